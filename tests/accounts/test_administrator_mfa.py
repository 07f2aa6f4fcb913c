"""Finding 1 of the penetration test (issue 13): the superuser signed in with a password
alone and got the Django admin and every secretariat power. Administrators need a second
factor like officials, the admin's own sign-in included; the demo administrator has one."""

import io

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command

from tests.factories import UserFactory, confirm_email, enrol_totp, totp_code, totp_secret_of

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
CHALLENGE = "/accounts/2fa/authenticate/"
# Where someone who must have a second factor and has none is sent: the portal's enrolment
# page, or allauth's set-up itself.
SET_UP_PAGES = ("/security/enrol/", "/accounts/2fa/")


def administrator(*, mfa: bool):
    person = confirm_email(UserFactory(role="administrator", is_staff=True, is_superuser=True, mfa=False))
    if mfa:
        enrol_totp(person)
    return person


def is_sent_to_set_up(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(SET_UP_PAGES)


def test_an_administrator_without_a_second_factor_gets_no_admin_and_no_secretariat_power(client):
    person = administrator(mfa=False)
    client.post("/accounts/login/", {"login": person.email, "password": PASSWORD})
    assert client.session.get("_auth_user_id") == str(person.pk)  # the password signs them in…
    for path in ["/admin/", "/admin/auth/user/", "/people/", "/invitations/", "/audit/",
                 "/notifications/dispatches/", "/meetings/"]:
        assert is_sent_to_set_up(client.get(path)), path  # …and sends them to set up a second factor
    assert is_sent_to_set_up(client.post("/invitations/", {"email": "someone@mod.example", "role": "official"}))


def test_a_superuser_without_a_profile_needs_a_second_factor_too(client):
    person = confirm_email(UserFactory(is_staff=True, is_superuser=True, mfa=False))  # as `createsuperuser` makes one
    client.force_login(person)
    assert is_sent_to_set_up(client.get("/admin/"))
    assert is_sent_to_set_up(client.get("/audit/"))


def test_the_admins_own_sign_in_form_asks_an_administrator_for_the_code(client):
    person = administrator(mfa=True)
    # The admin's form sends to the portal's sign-in, whatever is posted to it.
    refused = client.post("/admin/login/?next=/admin/", {"username": person.email, "password": PASSWORD})
    assert refused.status_code == 302 and refused["Location"].startswith("/accounts/login/")
    assert client.session.get("_auth_user_id") is None

    response = client.post("/accounts/login/?next=/admin/", {"login": person.email, "password": PASSWORD})
    assert response["Location"] == CHALLENGE
    assert client.session.get("_auth_user_id") is None  # not signed in before the code
    assert client.post(CHALLENGE, {"code": totp_code(totp_secret_of(person))}).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_an_administrator_with_a_second_factor_reaches_the_admin(client):
    person = administrator(mfa=True)
    client.force_login(person)
    assert client.get("/admin/").status_code == 200
    assert client.get("/audit/").status_code == 200


def test_the_demo_administrator_is_enrolled_with_the_printed_secret(client):
    from forums.management.commands.load_demo import DEMO_TOTP_SECRET

    output = io.StringIO()
    call_command("load_demo", stdout=output)
    printed = output.getvalue()
    assert DEMO_TOTP_SECRET in printed
    admin_line = next(line for line in printed.splitlines() if "admin@dicas.example" in line)
    assert "authenticator app" in admin_line
    assert Authenticator.objects.filter(user__email="admin@dicas.example", type=Authenticator.Type.TOTP).exists()

    response = client.post("/accounts/login/", {"login": "admin@dicas.example", "password": "dicas-demo-2024"})
    assert response["Location"] == CHALLENGE
    assert client.post(CHALLENGE, {"code": totp_code(DEMO_TOTP_SECRET)}).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_the_first_administrator_enrols_through_a_link_printed_on_the_server(client):
    import re

    from django.contrib.auth import get_user_model

    person = get_user_model().objects.create_superuser("root@example.org", "root@example.org", PASSWORD)
    client.force_login(person)
    # No confirmed address to mail a link to (createsuperuser makes none)…
    assert "no confirmed e-mail address" in client.get("/security/enrol/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    output = io.StringIO()
    call_command("mfa_enrolment_link", "root@example.org", stdout=output)
    link = re.search(r"https?://[^/\s]+(/security/enrol/\S+/)", output.getvalue()).group(1)
    # …so the person running the server prints one.
    assert client.get(link)["Location"] == "/accounts/2fa/totp/activate/"
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    page = client.get("/accounts/2fa/totp/activate/")
    assert client.post("/accounts/2fa/totp/activate/", {"code": totp_code(page.context["form"].secret)}).status_code == 302
    assert Authenticator.objects.filter(user=person, type=Authenticator.Type.TOTP).exists()
    assert client.get("/admin/").status_code == 200
