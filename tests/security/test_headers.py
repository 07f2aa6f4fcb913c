"""Hardened headers on the main pages: no inline script, no framing, no leaking referrers."""

import pytest

from tests.factories import MeetingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def main_pages(db) -> list[str]:
    meeting = MeetingFactory()
    return ["/", "/meetings/", "/meetings/calendar/2024/6/", meeting.get_absolute_url(),
            f"/meetings/{meeting.pk}.ics", "/accounts/login/", "/healthz"]


def test_every_main_page_carries_the_security_headers(client, main_pages):
    for path in main_pages:
        response = client.get(path)
        assert response.status_code == 200, path
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, path
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy, path
        assert response["X-Frame-Options"] == "DENY", path
        assert response["Referrer-Policy"] == "same-origin", path
        assert response["X-Content-Type-Options"] == "nosniff", path
        assert "camera=()" in response["Permissions-Policy"], path


def test_pages_have_no_inline_script_or_style_that_the_policy_would_block(client, main_pages):
    for path in main_pages:
        page = client.get(path).content.decode()
        assert "<script>" not in page and " style=" not in page and "<style" not in page, path
        assert "javascript:" not in page, path


def test_the_session_cookie_set_at_sign_in_is_http_only(client, settings):
    from allauth.account.models import EmailAddress

    from tests.factories import UserFactory

    person = UserFactory(role="industry", password="a-long-enough-password")
    EmailAddress.objects.create(user=person, email=person.email, verified=True, primary=True)
    response = client.post("/accounts/login/", {"login": person.email, "password": "a-long-enough-password"})
    assert response.status_code == 302
    assert response.cookies[settings.SESSION_COOKIE_NAME]["httponly"] is True
