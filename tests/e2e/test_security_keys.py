"""Security keys and passkeys (WebAuthn) in a real browser: Chromium's virtual
authenticator, added through Playwright's CDP session, stands in for a USB key with a
PIN. Browsers refuse an IP address as the relying party, so the live server is reached
at http://localhost:<port>, the relying party being PORTAL_BASE_URL's host."""

import re

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import expect

from .conftest import DEMO_PASSWORD
from .test_browse import OFFICIAL_JP, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OFFICIAL_US = "official.us@dicas.example"


@pytest.fixture
def portal_url(live_server, settings) -> str:
    assert live_server.url.startswith("http://localhost:"), live_server.url  # WebAuthn refuses 127.0.0.1
    settings.PORTAL_BASE_URL = live_server.url
    return live_server.url


def add_virtual_security_key(page) -> dict:
    """A USB key with user verification (a PIN) that holds passkeys, and agrees at once."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    found = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "usb", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True,
    }})
    return {"cdp": cdp, "id": found["authenticatorId"]}


def credentials_on(key: dict) -> list:
    return key["cdp"].send("WebAuthn.getCredentials", {"authenticatorId": key["id"]})["credentials"]


def enrol_key(page, base_url: str, name: str) -> None:
    if "webauthn" not in page.url:
        page.goto(f"{base_url}/accounts/2fa/webauthn/add/")
    if "/reauthenticate/" in page.url:  # allauth asks for the password again before a factor is added
        page.locator("input[name=password]").fill(DEMO_PASSWORD)
        page.locator("main form button[type=submit]").first.click()
        expect(page).to_have_url(re.compile(r"/accounts/2fa/webauthn/add/"))
    page.locator("input[name=name]").fill(name)
    passwordless = page.locator("input[name=passwordless]")
    if passwordless.count():
        passwordless.check()  # a passkey: it also signs in without the password
    page.locator("#mfa_webauthn_add").click()
    expect(page).not_to_have_url(re.compile(r"/webauthn/add/"))


def sign_out(page, base_url: str) -> None:
    page.goto(f"{base_url}/accounts/logout/")
    page.locator("main form[action='/accounts/logout/'] button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/logout/"))


def test_an_official_enrols_a_security_key_signs_out_and_signs_in_with_it(page, portal_url, demo_data, screenshot):
    key = add_virtual_security_key(page)
    sign_in(page, portal_url, OFFICIAL_US)  # password and the authenticator app's code
    enrol_key(page, portal_url, "Desk key")
    assert Authenticator.objects.filter(user__email=OFFICIAL_US, type=Authenticator.Type.WEBAUTHN).count() == 1
    assert len(credentials_on(key)) == 1
    page.goto(f"{portal_url}/accounts/2fa/webauthn/")
    expect(page.locator("main")).to_contain_text("Desk key")
    screenshot(page, "security-keys-1-list")
    sign_out(page, portal_url)

    # The password, then the key instead of a code.
    page.goto(f"{portal_url}/accounts/login/")
    page.locator("input[name=login]").fill(OFFICIAL_US)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    screenshot(page, "security-keys-2-second-step")
    page.get_by_role("button", name="Use a security key").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/(2fa|login)/"))
    page.goto(f"{portal_url}/meetings/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Schedule")
    sign_out(page, portal_url)

    # The passkey alone: it knows the account and checked the PIN.
    page.goto(f"{portal_url}/accounts/login/")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/(2fa|login)/"))
    page.goto(f"{portal_url}/profile/")
    expect(page.locator("main")).to_contain_text("DCMA")


def test_with_phishing_resistant_mfa_an_official_with_an_app_only_is_sent_to_add_a_key(
    page, portal_url, demo_data, settings, screenshot
):
    settings.PORTAL_PHISHING_RESISTANT_MFA = True
    key = add_virtual_security_key(page)
    sign_in(page, portal_url, OFFICIAL_JP)  # the app's code still signs in…
    page.goto(f"{portal_url}/meetings/")
    # …but nothing opens before a key is added (after the password, asked again by allauth).
    expect(page).to_have_url(re.compile(r"webauthn(/|%2F)add"))
    expect(page.locator("main")).to_contain_text(re.compile("security key|セキュリティキー"))
    screenshot(page, "security-keys-3-required")
    enrol_key(page, portal_url, "Desk key")
    assert len(credentials_on(key)) == 1
    page.goto(f"{portal_url}/meetings/")
    expect(page).to_have_url(re.compile(r"/meetings/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Schedule|会議日程|日程"))
