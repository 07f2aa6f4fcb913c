"""Security keys and passkeys (WebAuthn) beside the authenticator app, and the setting that
requires them of privileged accounts (PORTAL_PHISHING_RESISTANT_MFA, OMB M-22-09). The
ceremony itself runs in a real browser (tests/e2e/test_security_keys.py)."""

import pytest
from allauth.mfa.models import Authenticator

from tests.factories import UserFactory, confirm_email

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
ADD_KEY = "/accounts/2fa/webauthn/add/"


def with_key(user) -> Authenticator:
    # The credential as allauth stores it matters not here: only that a key is enrolled.
    return Authenticator.objects.create(user=user, type=Authenticator.Type.WEBAUTHN,
                                        data={"name": "Desk key", "credential": {}})


def test_security_keys_are_offered_and_their_page_opens(client):
    official = confirm_email(UserFactory(role="official"))
    client.force_login(official)
    assert client.get("/accounts/2fa/webauthn/").status_code == 200
    page = client.get("/accounts/2fa/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ADD_KEY in page


def test_the_sign_in_page_offers_a_passkey(client):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sign in with a passkey" in page
    assert "mfa/js/webauthn.js" in page  # the script that asks the key (base.html's extra_body)


@pytest.mark.parametrize("role", ["official", "cochair", "secretariat", "administrator"])
def test_with_phishing_resistant_mfa_an_app_alone_is_not_enough(client, settings, role):
    settings.PORTAL_PHISHING_RESISTANT_MFA = True
    person = confirm_email(UserFactory(role=role, is_staff=role == "administrator",
                                       is_superuser=role == "administrator"))  # with an authenticator app
    client.force_login(person)
    assert client.get("/meetings/")["Location"] == ADD_KEY
    # No enrolment link is needed: the session was signed in with the app (allauth only
    # asks for the password again).
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert client.get(ADD_KEY).status_code == 200
    with_key(person)
    client.force_login(person)
    assert client.get("/meetings/").status_code == 200


def test_with_phishing_resistant_mfa_industry_is_left_alone(client, settings):
    settings.PORTAL_PHISHING_RESISTANT_MFA = True
    industry = confirm_email(UserFactory(role="industry"))
    client.force_login(industry)
    assert client.get("/meetings/").status_code == 200


def test_with_phishing_resistant_mfa_the_last_key_stays_even_beside_an_app(client, settings):
    settings.PORTAL_PHISHING_RESISTANT_MFA = True
    official = confirm_email(UserFactory(role="official"))
    key = with_key(official)
    client.force_login(official)
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    client.post(f"/accounts/2fa/webauthn/keys/{key.pk}/remove/")
    assert Authenticator.objects.filter(pk=key.pk).exists()
    # The app, not required then, may go.
    client.post("/accounts/2fa/totp/deactivate/")
    assert not Authenticator.objects.filter(user=official, type=Authenticator.Type.TOTP).exists()


def test_without_the_setting_a_second_key_or_the_app_lets_one_key_go(client):
    official = confirm_email(UserFactory(role="official"))  # an app…
    key = with_key(official)  # …and a key
    client.force_login(official)
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    client.post(f"/accounts/2fa/webauthn/keys/{key.pk}/remove/")
    assert not Authenticator.objects.filter(pk=key.pk).exists()
