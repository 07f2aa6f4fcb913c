"""Agency sign-in: OpenID Connect through allauth, with the checks allauth leaves out.

allauth's openid_connect provider sends no `nonce`, does not verify the ID token's
signature when the token came from the token endpoint, and ignores `amr`/`acr`. Here:

- every authorization request carries a fresh nonce, kept in allauth's single-use state
  (in the session), and the ID token must carry the same one;
- the ID token's signature is always verified against the identity provider's keys, its
  issuer must be the configured one (and so must the discovery document's), its audience
  this portal's client id;
- a sign-in links to an existing account only when the identity provider says the address
  is verified AND the portal has verified the same address itself; an address that belongs
  to an account in any other way refuses the sign-in rather than create a second account;
- nothing the identity provider says gives a role: a new account is an industry
  representative, as at sign-up, and an existing one keeps its own;
- a second factor counts only when the ID token asserts one (`amr`, or an `acr` the
  configuration lists); otherwise the portal asks for its own, as for a password sign-in.
"""

import hmac
import logging
import secrets

from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.stages import AuthenticateStage
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.helpers import render_authentication_error
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialLogin
from allauth.socialaccount.providers.base import AuthProcess
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from requests import RequestException

from .names import without_control_characters
from .onboarding import start_industry_profile

logger = logging.getLogger(__name__)

NONCE_BYTES = 32
# Set on the request that completes an SSO sign-in whose ID token asserted a second factor.
REQUEST_MFA_ATTRIBUTE = "_portal_identity_provider_mfa"


def _same_issuer(first: str | None, second: str | None) -> bool:
    return bool(first) and bool(second) and first.rstrip("/") == second.rstrip("/")


def mfa_asserted(claims: dict, app_settings: dict) -> bool:
    """True when the ID token says its person used a second factor (RFC 8176 `amr`, or an
    `acr` value the provider's configuration lists); never for a password alone."""
    amr = claims.get("amr")
    if isinstance(amr, list) and set(map(str, amr)) & set(app_settings.get("mfa_amr_values", ())):
        return True
    acr = claims.get("acr")
    return isinstance(acr, str) and acr in app_settings.get("mfa_acr_values", ())


def identity_provider_asserted_mfa(request: HttpRequest | None, user=None) -> bool:
    """True in the request that signs `user` in through an identity provider that asserted MFA."""
    asserted_for = getattr(request, REQUEST_MFA_ATTRIBUTE, None)
    return asserted_for is not None and (user is None or asserted_for == user.pk)


class PortalOpenIDConnectAdapter(OpenIDConnectOAuth2Adapter):
    """allauth's adapter, with the ID token checked in full. `expected_nonce` is set by the
    callback view from the state it has just consumed."""

    expected_nonce: str | None = None

    @property
    def openid_config(self) -> dict:
        config = super().openid_config
        configured = self.get_provider().app.settings.get("issuer")
        if not _same_issuer(config.get("issuer"), configured):
            # A discovery document naming another issuer would have the ID token checked
            # against that issuer: refuse it rather than follow it.
            raise OAuth2Error("The identity provider's discovery document names another issuer")
        return config

    def _decode_id_token(self, app, id_token: str) -> dict:
        claims = jwtkit.verify_and_decode(
            credential=id_token,
            keys_url=self.openid_config["jwks_uri"],
            issuer=app.settings["issuer"],
            audience=app.client_id,
            lookup_kid=jwtkit.lookup_kid_jwk,
            # Always: the token endpoint's TLS is the only other protection, and a portal
            # behind a proxy may not see it end to end.
            verify_signature=True,
        )
        nonce = claims.get("nonce")
        if not self.expected_nonce or not isinstance(nonce, str) or not hmac.compare_digest(
            nonce.encode(), self.expected_nonce.encode()
        ):
            raise OAuth2Error("The ID token's nonce is not the one this sign-in sent")
        if not claims.get("sub"):
            raise OAuth2Error("The ID token names no subject")
        return claims

    def complete_login(self, request: HttpRequest, app, token, **kwargs):
        if not kwargs["response"].get("id_token"):
            raise OAuth2Error("The identity provider sent no ID token")
        login = super().complete_login(request, app, token, **kwargs)
        data = login.account.extra_data
        userinfo, id_token = data.get("userinfo"), data["id_token"]
        if userinfo is not None and str(userinfo.get("sub")) != str(id_token["sub"]):
            raise OAuth2Error("The user info is about another subject than the ID token")
        return login


class PortalOpenIDConnectProvider(OpenIDConnectProvider):
    """Sends a fresh nonce with every authorization request and keeps it in the state."""

    oauth2_adapter_class = PortalOpenIDConnectAdapter
    # allauth finds a provider's URLs through its package: allauth's own, not this module's.
    package = "allauth.socialaccount.providers.openid_connect"

    def get_auth_params(self) -> dict:
        return dict(self.app.settings.get("auth_params") or {})

    def get_auth_params_from_request(self, request: HttpRequest, action) -> dict:
        # Parameters a visitor's query string may add; the nonce is never one of them.
        params = super().get_auth_params_from_request(request, action)
        params.pop("nonce", None)
        return params

    def redirect(self, request: HttpRequest, process, next_url=None, data=None, **kwargs):
        nonce = secrets.token_urlsafe(NONCE_BYTES)
        auth_params = kwargs.pop("auth_params", None)
        if auth_params is None:
            auth_params = self.get_auth_params()
        auth_params = {**auth_params, "nonce": nonce}
        try:
            return super().redirect(request, process, next_url, data, auth_params=auth_params, nonce=nonce, **kwargs)
        except (OAuth2Error, RequestException) as error:
            # The identity provider is down or its discovery document is wrong: say so.
            logger.warning("Agency sign-in through %s could not start: %s", self.app.provider_id, error)
            return render_authentication_error(request, self, exception=error)


class PortalOpenIDConnectCallbackView(OAuth2CallbackView):
    def dispatch(self, request: HttpRequest, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except (OAuth2Error, RequestException) as error:
            # allauth fetches the discovery document outside its own error handling.
            logger.warning("Agency sign-in callback failed: %s", error)
            return render_authentication_error(request, self.adapter.get_provider(), exception=error)

    def _get_state(self, request: HttpRequest, provider):
        state, response = super()._get_state(request, provider)
        if state is not None:
            self.adapter.expected_nonce = state.get("nonce")
        return state, response


@never_cache
def callback(request: HttpRequest, provider_id: str):
    """The identity provider's answer: allauth's callback with the portal's adapter."""
    from allauth.socialaccount.models import SocialApp

    try:
        view = PortalOpenIDConnectCallbackView.adapter_view(PortalOpenIDConnectAdapter(request, provider_id))
        return view(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None


class MFAUnlessIdentityProviderAssertedStage(AuthenticateStage):
    """allauth's second-factor step, skipped only when the identity provider asserted MFA
    for this very sign-in."""

    def _should_handle(self, request: HttpRequest) -> bool:
        if identity_provider_asserted_mfa(request, self.login.user):
            return False
        return super()._should_handle(request)


def _refuse(request: HttpRequest, sociallogin: SocialLogin, message: str, reason: str) -> None:
    from audit.models import AuditEvent
    from audit.services import record_event

    record_event(
        actor=None,
        action=AuditEvent.Action.SIGN_IN_FAILED,
        detail={"provider": sociallogin.account.get_provider().app.provider_id if sociallogin.account else "",
                "login": ", ".join(address.email for address in sociallogin.email_addresses),
                "reason": reason},
    )
    messages.error(request, message)
    raise ImmediateHttpResponse(HttpResponseRedirect(reverse("account_login")))


class PortalSocialAccountAdapter(DefaultSocialAccountAdapter):
    """Who an SSO sign-in may become (see the module's docstring)."""

    def authenticate_by_email(self, sociallogin: SocialLogin):
        for claimed in sociallogin.email_addresses:
            if not claimed.verified:
                continue
            address = (
                EmailAddress.objects.filter(email__iexact=claimed.email, verified=True, user__is_active=True)
                .select_related("user")
                .first()
            )
            if address is not None:
                return address.user, address.email
        return None

    def can_authenticate_by_email(self, login: SocialLogin, email: str) -> bool:
        return True

    def is_auto_signup_allowed(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return True

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        if sociallogin.state.get("process") == AuthProcess.CONNECT:
            _refuse(request, sociallogin, _("Agency sign-in cannot be attached to an account from here."), "connect")
        claims = sociallogin.account.extra_data.get("id_token") or {}
        app_settings = sociallogin.account.get_provider().app.settings
        if sociallogin.is_existing:
            if not sociallogin.user.is_active:
                _refuse(request, sociallogin, _("This account is closed."), "inactive")
        else:
            addresses = [claimed.email for claimed in sociallogin.email_addresses]
            taken = any(
                EmailAddress.objects.filter(email__iexact=email).exists()
                or get_user_model().objects.filter(email__iexact=email).exists()
                for email in addresses
            )
            if taken:
                _refuse(
                    request, sociallogin,
                    _("An account with this e-mail address exists, but the address is not verified both by "
                      "your agency and by the portal. Sign in with your password, or ask the secretariat."),
                    "address_unverified",
                )
            if not any(claimed.verified for claimed in sociallogin.email_addresses):
                _refuse(
                    request, sociallogin,
                    _("Your agency did not confirm your e-mail address, so the portal cannot open an account for it."),
                    "no_verified_address",
                )
        if mfa_asserted(claims, app_settings):
            # Read by the second-factor step and the MFA set-up check in this same request.
            setattr(request, REQUEST_MFA_ATTRIBUTE, sociallogin.user.pk if sociallogin.is_existing else "new")

    def populate_user(self, request: HttpRequest, sociallogin: SocialLogin, data):
        # Names come from another system: no control character reaches a mail header.
        cleaned = {key: without_control_characters(value) if isinstance(value, str) else value
                   for key, value in data.items()}
        return super().populate_user(request, sociallogin, cleaned)

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form=None):
        """A new account from agency sign-in: an industry representative with a profile to
        complete, exactly as at sign-up. Roles are the secretariat's to give."""
        with transaction.atomic():
            user = super().save_user(request, sociallogin, form)
            start_industry_profile(user=user, request=request)
        if getattr(request, REQUEST_MFA_ATTRIBUTE, None) == "new":
            setattr(request, REQUEST_MFA_ATTRIBUTE, user.pk)
        return user
