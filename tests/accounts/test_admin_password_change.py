"""Penetration test, finding 7: the Django admin's own password change (/admin/password_change/)
was open to staff, with no audit record and no rate limit. It now sends to the portal's,
which asks the current password under allauth's rate limit and is audited."""

import pytest

from audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OLD, NEW = "correct-horse-battery", "an-entirely-new-passphrase"


@pytest.fixture
def staff(client):
    # Only administrators (superusers, with their second factor) reach the admin at all.
    person = UserFactory(role="administrator", is_staff=True, is_superuser=True)
    client.force_login(person)
    return person


def test_the_secretariat_never_reaches_the_admins_password_form(client):
    person = UserFactory(role="secretariat", is_staff=True)
    client.force_login(person)
    response = client.get("/admin/password_change/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_admins_password_change_sends_to_the_portals(client, staff):
    response = client.get("/admin/password_change/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/change/"


def test_a_post_to_the_admins_password_change_changes_nothing(client, staff):
    client.post("/admin/password_change/", {"old_password": OLD, "new_password1": NEW, "new_password2": NEW})

    staff.refresh_from_db()
    assert staff.check_password(OLD) and not staff.check_password(NEW)


def test_the_portals_password_change_is_audited(client, staff):
    response = client.post("/accounts/password/change/", {"oldpassword": OLD, "password1": NEW, "password2": NEW})

    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.check_password(NEW)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PASSWORD_CHANGED, actor=staff).exists()
