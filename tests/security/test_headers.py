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


def assert_hardened(response, path: str) -> None:
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy, path
    assert "frame-ancestors 'none'" in policy, path
    assert response["X-Frame-Options"] == "DENY", path
    assert response["Referrer-Policy"] == "same-origin", path
    assert response["X-Content-Type-Options"] == "nosniff", path
    assert "camera=()" in response["Permissions-Policy"], path


def inline_scripts(page: str) -> list[str]:
    """<script> elements with code in them (JSON data blocks are not run, and allowed)."""
    import re

    return [match for match in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>\s*\S", page)
            if "application/json" not in match]


def test_the_account_and_admin_pages_carry_the_headers_and_no_inline_script(client):
    from tests.factories import UserFactory, confirm_email

    for path in ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_hardened(response, path)
        assert not inline_scripts(response.content.decode()), path

    industry = confirm_email(UserFactory(role="industry"))
    client.force_login(industry)
    for path in ["/accounts/2fa/", "/accounts/email/", "/accounts/password/change/", "/profile/sign-out-everywhere/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_hardened(response, path)
        assert not inline_scripts(response.content.decode()), path

    admin = confirm_email(UserFactory(is_staff=True, is_superuser=True))
    client.force_login(admin)
    for path in ["/admin/", "/admin/audit/auditevent/", "/admin/participants/profile/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_hardened(response, path)
        assert not inline_scripts(response.content.decode()), path


def test_the_secretariat_pages_carry_the_headers(client, cast):
    client.force_login(cast.secretariat)
    for path in ["/audit/", "/people/", "/invitations/", "/notifications/dispatches/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_hardened(response, path)
        assert not inline_scripts(response.content.decode()), path


def test_every_form_carries_a_csrf_token(client, cast):
    """Each <form method="post"> on the main pages has the token (the matrix checks that a
    POST without it is refused on every URL)."""
    import re

    client.force_login(cast.secretariat)
    meeting = MeetingFactory()
    for path in ["/", "/meetings/", meeting.get_absolute_url(), "/profile/", "/profile/details/", "/invitations/",
                 "/people/", "/notifications/preferences/", "/profile/sign-out-everywhere/"]:
        page = client.get(path).content.decode()
        for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>.*?</form>", page, re.S | re.I):
            assert "csrfmiddlewaretoken" in form, (path, form[:200])


def test_production_sends_hsts_and_secure_cookies():
    """With the production variables: HSTS on HTTPS answers, cookies only over HTTPS."""

    from tests.foundation.test_settings import run_django
    from tests.production import production_variables

    script = (
        "from django.conf import settings; from django.test import Client; "
        "response = Client().get('/healthz', secure=True, HTTP_HOST='dicas-portal.example'); "
        "print(response['Strict-Transport-Security']); "
        "print(settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY); "
        "print(Client().get('/healthz', HTTP_HOST='dicas-portal.example').status_code)"
    )
    result = run_django(
        ["shell", "--verbosity", "0", "-c", script],
        **production_variables(DATABASE_URL="sqlite:///:memory:"),
    )
    assert result.returncode == 0, result.stderr
    hsts, cookies, plain = result.stdout.strip().splitlines()
    assert "max-age=31536000" in hsts and "includeSubDomains" in hsts and "preload" in hsts
    assert cookies == "True True True"
    assert plain == "301"  # plain HTTP is sent to HTTPS
