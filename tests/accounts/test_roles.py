"""Roles change through one service, audited; nobody raises their own role through any
form that edits a profile."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied

from audit.models import AuditEvent
from participants.admin import ProfileAdmin
from participants.models import Profile
from participants.services import change_role
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def role_of(user) -> str:
    return Profile.objects.get(user=user).role


def test_the_secretariat_changes_a_role_and_the_change_is_audited(client, cast):
    client.force_login(cast.secretariat)
    profile = cast.industry.profile
    assert client.get(f"/people/{profile.pk}/role/").status_code == 200

    response = client.post(f"/people/{profile.pk}/role/", {"role": "official"}, REMOTE_ADDR="192.0.2.10")

    assert response.status_code == 302
    assert role_of(cast.industry) == "official"
    event = AuditEvent.objects.get(action=AuditEvent.Action.ROLE_CHANGED)
    assert event.actor == cast.secretariat and event.target == cast.industry
    assert event.detail["from"] == "industry" and event.detail["to"] == "official"
    assert event.ip == "192.0.2.10"


def test_a_role_taken_away_is_gone_at_the_next_request(client, cast, django_capture_on_commit_callbacks):
    from django.test import Client

    demoted = UserFactory(role="secretariat")
    theirs = Client()
    theirs.force_login(demoted)
    assert theirs.get("/audit/").status_code == 200  # their profile is now in the cache
    client.force_login(cast.secretariat)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/people/{demoted.profile.pk}/role/", {"role": "industry"})
    assert theirs.get("/audit/").status_code == 403
    assert theirs.get("/people/").status_code == 403


def test_a_person_just_made_official_must_set_up_mfa(client, cast):
    client.force_login(cast.secretariat)
    client.post(f"/people/{cast.industry.profile.pk}/role/", {"role": "official"})
    client.force_login(cast.industry)
    # …through the link sent to their address (tests/accounts/test_mfa_hardening.py).
    assert client.get("/meetings/")["Location"] == "/security/enrol/"


def test_nobody_changes_their_own_role(client, cast):
    client.force_login(cast.secretariat)
    own = cast.secretariat.profile
    assert client.get(f"/people/{own.pk}/role/").status_code == 403
    assert client.post(f"/people/{own.pk}/role/", {"role": "industry"}).status_code == 403
    with pytest.raises(PermissionDenied):
        change_role(profile=own, role="official", by=cast.secretariat)
    assert role_of(cast.secretariat) == "secretariat"


def test_nobody_is_made_administrator_and_no_administrator_is_changed(client, cast):
    client.force_login(cast.secretariat)
    response = client.post(f"/people/{cast.industry.profile.pk}/role/", {"role": "administrator"})
    assert response.status_code == 400
    assert role_of(cast.industry) == "industry"

    admin = get_user_model().objects.create_superuser("root@example.org", "root@example.org", "x-long-password")
    admin_profile = Profile.objects.create(user=admin, role="administrator", full_name="Root",
                                           organization=OrganizationFactory())
    assert client.post(f"/people/{admin_profile.pk}/role/", {"role": "industry"}).status_code == 403
    with pytest.raises(PermissionDenied):
        change_role(profile=admin_profile, role="industry", by=cast.secretariat)


@pytest.mark.parametrize("who", ["industry", "outsider", "member", "cochair"])
def test_only_the_secretariat_sees_people_and_changes_roles(client, cast, who):
    person = getattr(cast, who)
    client.force_login(person)
    assert client.get("/people/").status_code == 403
    target = cast.industry.profile if who != "industry" else cast.outsider.profile
    assert client.post(f"/people/{target.pk}/role/", {"role": "secretariat"}).status_code == 403
    assert client.post(f"/people/{person.profile.pk}/role/", {"role": "secretariat"}).status_code == 403
    with pytest.raises(PermissionDenied):
        change_role(profile=person.profile, role="secretariat", by=person)
    assert role_of(person) == person.profile.role
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ROLE_CHANGED).exists()


PROFILE_STEP_DATA = {"full_name": "Hanako Sato", "job_title": "Manager", "preferred_language": "en",
                     "time_zone": "Asia/Tokyo", "new_organization": "", "country": ""}


def test_the_profile_form_never_changes_the_role(client, cast):
    client.force_login(cast.industry)
    data = {**PROFILE_STEP_DATA, "organization": cast.industry.profile.organization_id,
            "role": "secretariat", "is_staff": "on", "is_superuser": "on"}
    response = client.post("/profile/details/", data)
    assert response.status_code == 302
    cast.industry.refresh_from_db()
    assert role_of(cast.industry) == "industry"
    assert not cast.industry.is_staff and not cast.industry.is_superuser


def test_the_preference_switches_never_change_the_role(client, cast):
    client.force_login(cast.industry)
    client.post("/i18n/setlang/", {"language": "ja", "role": "secretariat"})
    client.post("/preferences/time-zone/", {"time_zone": "Asia/Tokyo", "role": "secretariat"})
    client.post("/notifications/preferences/", {"role": "secretariat"})
    assert role_of(cast.industry) == "industry"


def test_signing_up_never_gives_another_role(client):
    client.post("/accounts/signup/", {"email": "climber@example.org", "password1": "a-long-and-unusual-passphrase",
                                      "password2": "a-long-and-unusual-passphrase", "role": "secretariat"})
    assert Profile.objects.get(user__email="climber@example.org").role == "industry"


def test_the_admin_shows_the_role_read_only():
    assert "role" in ProfileAdmin.readonly_fields


def test_the_people_page_lists_roles_and_second_factors(client, cast):
    UserFactory(role="official", mfa=False)
    client.force_login(cast.secretariat)
    page = client.get("/people/?role=official")
    assert page.status_code == 200
    rows = page.context["page"].object_list
    assert {profile.role for profile in rows} == {"official"}
    assert {profile.has_mfa for profile in rows} == {True, False}
    assert client.get("/people/?role=emperor").status_code == 400


def test_the_people_page_takes_the_same_queries_for_5_and_50_people(client, cast, django_assert_max_num_queries):
    for _ in range(45):
        UserFactory(role="industry")
    client.force_login(cast.secretariat)
    with django_assert_max_num_queries(8):
        assert client.get("/people/").status_code == 200
