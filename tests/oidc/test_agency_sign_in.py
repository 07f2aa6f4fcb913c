"""Agency sign-in (OpenID Connect) against a real OpenID provider on loopback.

The portal is driven by Django's test client; the identity provider is a real node
process (tests/oidc/provider.mjs) reached over HTTP both by the "browser" (requests) and by
the portal itself (discovery, token endpoint, keys).
"""

from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from participants.models import Profile
from tests.factories import UserFactory, confirm_email

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def agency(settings, identity_provider):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {**settings.SOCIALACCOUNT_PROVIDERS["openid_connect"], "APPS": identity_provider.apps()},
    }
    return identity_provider


class AgencyBrowser:
    """One person's browser: the portal's test client and the identity provider's cookies."""

    def __init__(self, client):
        self.client = client
        self.at_identity_provider = requests.Session()
        self.authorize_url = ""
        self.callback_path = ""

    def start(self, provider_id: str, account: str):
        query = urlencode({"auth_params": urlencode({"login_hint": account})})
        return self.client.post(f"/accounts/oidc/{provider_id}/login/?{query}")

    def sign_in(self, provider_id: str, account: str):
        """Starts at the portal, signs in at the identity provider, returns the portal's
        answer to the callback."""
        started = self.start(provider_id, account)
        assert started.status_code == 302, started.content[:500]
        self.authorize_url = url = started["Location"]
        for _ in range(10):
            if url.startswith("http://testserver/"):
                self.callback_path = url.removeprefix("http://testserver")
                return self.client.get(self.callback_path)
            answer = self.at_identity_provider.get(url, allow_redirects=False, timeout=10)
            assert answer.status_code in (302, 303), answer.text[:500]
            url = urljoin(url, answer.headers["Location"])
        raise AssertionError("the identity provider never sent the browser back")

    def signed_in_user(self):
        user_id = self.client.session.get("_auth_user_id")
        return User.objects.get(pk=user_id) if user_id else None


@pytest.fixture
def browser(client, agency) -> AgencyBrowser:
    return AgencyBrowser(client)


def assert_refused(response) -> None:
    """allauth's page for a sign-in that went wrong, in the portal's frame."""
    assert response.status_code == 401
    names = [template.name for template in response.templates]
    assert "socialaccount/authentication_error.html" in names and "base.html" in names


def official(email: str = "official@mod.example", *, verified: bool = True, mfa: bool = True):
    user = UserFactory(email=email, username=email, role="official", mfa=mfa)
    if verified:
        confirm_email(user)
    else:
        EmailAddress.objects.create(user=user, email=email, verified=False, primary=True)
    return user


def test_it_sends_a_fresh_nonce_and_pkce_with_every_authorization_request(browser):
    first = parse_qs(urlsplit(browser.start("agency", "newcomer")["Location"]).query)
    second = parse_qs(urlsplit(browser.start("agency", "newcomer")["Location"]).query)
    assert len(first["nonce"][0]) >= 40 and first["nonce"] != second["nonce"]
    assert first["state"] != second["state"]
    assert first["code_challenge_method"] == ["S256"]


def test_a_nonce_in_the_query_string_is_not_the_one_sent(browser):
    query = urlencode({"auth_params": urlencode({"login_hint": "newcomer", "nonce": "chosen-by-an-attacker"})})
    sent = parse_qs(urlsplit(browser.client.post(f"/accounts/oidc/agency/login/?{query}")["Location"]).query)
    assert sent["nonce"] != ["chosen-by-an-attacker"]


def test_a_newcomer_with_a_verified_address_gets_an_account_with_no_role(browser):
    response = browser.sign_in("agency", "newcomer")

    user = browser.signed_in_user()
    assert user is not None and user.email == "newcomer@agency.example"
    # The identity provider said "secretariat" and "administrator": the portal gave nothing.
    assert user.profile.role == Profile.Role.INDUSTRY
    assert not user.is_staff and not user.is_superuser
    assert not user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified
    assert SocialAccount.objects.get(user=user).provider == "agency"
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SIGNED_IN, actor=user).exists()


def test_a_newcomer_whose_address_the_agency_did_not_verify_gets_no_account(browser):
    response = browser.sign_in("agency", "unverified-newcomer")

    assert browser.signed_in_user() is None
    assert not User.objects.filter(email="unconfirmed@agency.example").exists()
    assert response["Location"] == reverse("account_login")
    page = browser.client.get(response["Location"])
    assert "did not confirm your e-mail address" in page.content.decode()


def test_it_links_an_existing_account_through_an_address_both_sides_verified(browser):
    person = official()

    response = browser.sign_in("agency", "official-password")

    assert SocialAccount.objects.get(provider="agency").user == person
    # A password at the agency is one factor: the portal asks for its own second one.
    assert response["Location"] == reverse("mfa_authenticate")
    assert browser.signed_in_user() is None
    person.profile.refresh_from_db()
    assert person.profile.role == Profile.Role.OFFICIAL


def test_it_never_links_through_an_address_the_portal_has_not_verified(browser):
    # Someone signed up with the victim's address and never confirmed it: the agency's
    # verified sign-in must neither enter that account nor open a second one beside it.
    squatter = UserFactory(email="victim@agency.example", username="victim@agency.example", role="industry")
    EmailAddress.objects.create(user=squatter, email="victim@agency.example", verified=False, primary=True)

    response = browser.sign_in("agency", "squatted")

    assert browser.signed_in_user() is None
    assert not SocialAccount.objects.exists()
    assert User.objects.filter(email__iexact="victim@agency.example").count() == 1
    squatter.refresh_from_db()
    assert squatter.has_usable_password()
    assert response["Location"] == reverse("account_login")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SIGN_IN_FAILED,
                                     detail__reason="address_unverified").exists()


def test_it_never_links_through_an_address_the_agency_has_not_verified(browser):
    official()

    browser.sign_in("agency", "official-unverified-claim")

    assert browser.signed_in_user() is None
    assert not SocialAccount.objects.exists()


def test_mfa_asserted_by_the_agency_counts_instead_of_the_portals(browser):
    person = official(mfa=False)

    response = browser.sign_in("agency", "official-key")

    assert browser.signed_in_user() == person
    assert response["Location"] != reverse("mfa_authenticate")
    # An official without a portal authenticator is not sent to set one up in this session.
    assert browser.client.get(reverse("forums:home")).status_code == 200


def test_an_acr_on_the_configured_list_counts_as_mfa(browser):
    person = official(mfa=False)

    browser.sign_in("agency", "official-aal2")

    assert browser.signed_in_user() == person
    assert browser.client.get(reverse("forums:home")).status_code == 200


def test_without_mfa_from_the_agency_an_official_without_a_factor_must_set_one_up(browser):
    person = official(mfa=False)

    browser.sign_in("agency", "official-password")

    assert browser.signed_in_user() == person
    home = browser.client.get(reverse("forums:home"))
    # The password of the agency alone enrols no factor: a link sent to the verified address does.
    assert home.status_code == 302 and home["Location"] == reverse("participants:mfa_enrolment")


@pytest.mark.parametrize("provider_id", ["wrong-nonce", "wrong-audience", "wrong-issuer", "forged-signature"])
def test_an_id_token_with_a_wrong_claim_or_signature_is_refused(browser, provider_id):
    official()

    response = browser.sign_in(provider_id, "official-key")

    assert browser.signed_in_user() is None
    assert not SocialAccount.objects.exists()
    assert not User.objects.filter(email="newcomer@agency.example").exists()
    assert_refused(response)


def test_a_replayed_state_is_refused(browser):
    browser.sign_in("agency", "newcomer")
    assert browser.signed_in_user() is not None
    browser.client.logout()

    again = browser.client.get(browser.callback_path)
    assert browser.signed_in_user() is None
    assert_refused(again)

    # Nor in another browser that got hold of the address.
    stranger = AgencyBrowser(Client())
    elsewhere = stranger.client.get(browser.callback_path)
    assert stranger.signed_in_user() is None
    assert_refused(elsewhere)


def test_a_discovery_document_naming_another_issuer_is_refused(settings, identity_provider, client):
    (app,) = [app for app in identity_provider.apps() if app["provider_id"] == "agency"]
    impostor = identity_provider.issuer.replace("127.0.0.1", "localhost")
    app["settings"].update(server_url=impostor, issuer=impostor)
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {**settings.SOCIALACCOUNT_PROVIDERS["openid_connect"], "APPS": [app]},
    }

    response = AgencyBrowser(client).start("agency", "newcomer")

    assert_refused(response)


def test_control_characters_in_the_agencys_names_never_reach_the_account(browser):
    browser.sign_in("agency", "control-name")

    user = browser.signed_in_user()
    assert user is not None
    assert "\r" not in user.first_name and "\n" not in user.first_name


def test_an_identity_provider_that_does_not_answer_gives_a_clear_page_not_a_500(settings, identity_provider, client):
    (app,) = [app for app in identity_provider.apps() if app["provider_id"] == "agency"]
    app["settings"].update(server_url="http://127.0.0.1:9", issuer="http://127.0.0.1:9")
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {**settings.SOCIALACCOUNT_PROVIDERS["openid_connect"], "APPS": [app]},
    }

    assert_refused(AgencyBrowser(client).start("agency", "newcomer"))


def test_a_signed_in_person_cannot_attach_an_agency_identity_to_their_account(browser):
    # Attaching would link an identity by something else than a verified address.
    person = official(email="someone.else@mod.example")
    browser.client.force_login(person)
    query = urlencode({"process": "connect", "auth_params": urlencode({"login_hint": "newcomer"})})
    started = browser.client.post(f"/accounts/oidc/agency/login/?{query}")
    url = started["Location"]
    while not url.startswith("http://testserver/"):
        url = urljoin(url, browser.at_identity_provider.get(url, allow_redirects=False, timeout=10).headers["Location"])

    response = browser.client.get(url.removeprefix("http://testserver"))

    assert response["Location"] == reverse("account_login")
    assert not SocialAccount.objects.exists()
