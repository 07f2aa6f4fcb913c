"""A sign-in lasts 8 hours; the secretariat's ends after 30 idle minutes; "sign out
everywhere" ends every session of the person."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_session_cookie_lasts_8_hours_and_is_http_only():
    assert settings.PORTAL_SESSION_MAX_SECONDS == 8 * 3600
    # The store keeps it 5 more minutes, so that the portal ends it itself and says why.
    assert settings.SESSION_COOKIE_AGE == 8 * 3600 + 5 * 60
    assert settings.SESSION_COOKIE_HTTPONLY and settings.CSRF_COOKIE_HTTPONLY


@pytest.mark.parametrize("who", ["industry", "member", "secretariat"])
def test_a_sign_in_ends_after_8_hours_however_busy(client, cast, who):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(getattr(cast, who))
    # Busy all day: a page every 10 minutes.
    for minutes in range(10, 8 * 60, 10):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/my/registrations/").status_code == 200, minutes
    with time_machine.travel(start + timedelta(hours=8, minutes=1), tick=False):
        response = client.get("/my/registrations/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fmy%2Fregistrations%2F"
    assert not signed_in(client)
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert "a sign-in lasts 8 hours" in page.content.decode()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SESSION_EXPIRED, detail__reason="max_age").exists()


def test_the_secretariat_is_signed_out_after_30_idle_minutes(client, cast):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(cast.secretariat)
    with time_machine.travel(start + timedelta(minutes=25), tick=False):
        assert client.get("/audit/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=50), tick=False):
        assert client.get("/audit/").status_code == 200  # 25 idle minutes since the last page
    with time_machine.travel(start + timedelta(minutes=82), tick=False):
        response = client.get("/audit/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not signed_in(client)
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert "30 minutes without activity" in page.content.decode()
    assert AuditEvent.objects.filter(actor=cast.secretariat, action=AuditEvent.Action.SESSION_EXPIRED,
                                     detail__reason="idle").exists()


def test_the_secretariats_session_store_forgets_it_after_30_minutes(client, cast):
    client.force_login(cast.secretariat)
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        client.get("/audit/")
    assert client.session.get_expiry_age() <= settings.PORTAL_SECRETARIAT_IDLE_SECONDS + 5 * 60 + 1


def test_others_stay_signed_in_when_idle_for_hours(client, cast):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(cast.member)
    with time_machine.travel(start + timedelta(hours=3), tick=False):
        assert client.get("/my/registrations/").status_code == 200


def test_sign_out_everywhere_ends_every_session_of_the_person(client, cast):
    person = cast.member
    laptop, phone, colleague = Client(), Client(), Client()
    for device in (laptop, phone):
        device.force_login(person)
    colleague.force_login(cast.outsider)
    assert phone.get("/profile/").status_code == 200

    assert laptop.get("/profile/sign-out-everywhere/").status_code == 200
    response = laptop.post("/profile/sign-out-everywhere/", {"password": PASSWORD})

    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert phone.get("/profile/")["Location"].startswith("/accounts/login/")
    assert laptop.get("/profile/")["Location"].startswith("/accounts/login/")
    assert colleague.get("/profile/").status_code == 200  # only that person's sessions
    assert AuditEvent.objects.filter(actor=person, action=AuditEvent.Action.SIGNED_OUT_EVERYWHERE).exists()
    # The password itself still works.
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


def test_sign_out_everywhere_needs_the_password(client, cast):
    other = Client()
    other.force_login(cast.member)
    client.force_login(cast.member)
    response = client.post("/profile/sign-out-everywhere/", {"password": "not-it"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "not your password" in response.content.decode()
    assert other.get("/profile/").status_code == 200


def test_guessing_the_password_there_is_rate_limited(client, cast):
    client.force_login(cast.member)
    for _attempt in range(10):
        assert client.post("/profile/sign-out-everywhere/", {"password": "guess"}).status_code == 400
    assert client.post("/profile/sign-out-everywhere/", {"password": PASSWORD}).status_code == 429
    assert signed_in(client)


def test_the_profile_page_offers_sign_out_everywhere_and_mfa(client, cast):
    client.force_login(cast.industry)
    page = client.get("/profile/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "/profile/sign-out-everywhere/" in page and "/accounts/2fa/" in page


def test_a_visitor_cannot_sign_anyone_out(client):
    UserFactory(role="industry")
    assert client.post("/profile/sign-out-everywhere/", {"password": PASSWORD})["Location"].startswith("/accounts/login/")
