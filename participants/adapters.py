"""How allauth fits the portal: every new account is an industry representative with a
profile to complete, and is sent to the profile step until it is complete; the client's
address is the portal's one answer (dicas_portal/client_address.py); and failed sign-ins
are limited per account (allauth's "login_failed" by key) and, counting failures only,
per address (PORTAL_SIGN_IN_FAILURES_PER_ADDRESS), so that a stranger cannot lock the owner
out; the MFA adapter encrypts secrets at rest and keeps a privileged account's last factor."""

from typing import Any
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core.internal import ratelimit
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from dicas_portal.client_address import client_ip

from .devices import trusted_device_id
from .mfa_secrets import decrypt_secret, encrypt_secret
from .models import Profile
from .onboarding import needs_profile_step, profile_step_url, start_industry_profile
from .timezones import is_valid_time_zone


# The per-address count of failed sign-ins, in allauth's rate-limit store (the cache).
ADDRESS_FAILURES_APP = "dicas_portal"
ADDRESS_FAILURES = "sign_in_failure"


def _address_failure_limits() -> dict[str, str]:
    rates = ",".join(f"{rate.strip()}/ip" for rate in settings.PORTAL_SIGN_IN_FAILURES_PER_ADDRESS.split(",")
                     if rate.strip())
    return {ADDRESS_FAILURES: rates}


class PortalAccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request: HttpRequest) -> str:
        # What every limit counts against: the client behind a trusted proxy, not the proxy.
        address = client_ip(request)
        if not address:
            raise PermissionDenied("Unable to determine the client's address")
        return address

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """Refuses before the password is checked only an address that failed too often
        (looking counts nothing: a right password never adds to the address's count), and
        not for an account this browser signed in to before (participants/devices.py: colleagues
        who signed in before are never turned away because someone at their shared address is
        guessing); then allauth's per-account count, which a right password gives back."""
        address_exhausted = not ratelimit.consume(request, app=ADDRESS_FAILURES_APP, action=ADDRESS_FAILURES,
                                                  config=_address_failure_limits(), dry_run=True)
        login = str(credentials.get("email") or credentials.get("username") or "")
        if address_exhausted and trusted_device_id(request, login) is None:
            raise self.validation_error("too_many_login_attempts")
        super().pre_authenticate(request, **credentials)

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        ratelimit.consume(request, app=ADDRESS_FAILURES_APP, action=ADDRESS_FAILURES,
                          config=_address_failure_limits())
        super().authentication_failed(request, **credentials)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """allauth's e-mails (address confirmation, password reset, sign-up with a known
        address…) in the portal's own templates (templates/account/email/), in the language
        and time zone of the account the address belongs to, else of the page that asked."""
        profile = _profile_with_address(email)
        language = translation.get_language() or settings.LANGUAGE_CODE
        zone = timezone.get_current_timezone_name()
        if profile is not None:
            language = profile.preferred_language or language
            zone = profile.time_zone if is_valid_time_zone(profile.time_zone) else zone
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        request = allauth_context.request
        with translation.override(language), timezone.override(zone):
            super().send_mail(template_prefix, email, {
                **context,
                "recipient_name": profile.display_name if profile is not None and profile.full_name else "",
                # The portal as it was reached: the links in the mail lead back to the same place.
                "portal_url": request.build_absolute_uri("/") if request is not None else settings.PORTAL_BASE_URL,
            })

    def format_email_subject(self, subject: str) -> str:
        # The portal's name, never allauth's "[host:port]" (ACCOUNT_EMAIL_SUBJECT_PREFIX is "").
        return _("DICAS Portal: %(subject)s") % {"subject": subject}

    def save_user(self, request: HttpRequest, user, form, commit: bool = True):
        """The account, and its profile with the industry role: other roles are given by the
        secretariat, never by signing up. Language and zone start as the visitor's own."""
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=commit)
            if commit:
                start_industry_profile(user=user, request=request)
        return user

    def get_login_stages(self) -> list[str]:
        # The second-factor step knows when an identity provider asserted MFA (participants/sso.py).
        return [
            "participants.sso.MFAUnlessIdentityProviderAssertedStage" if stage == "allauth.mfa.stages.AuthenticateStage"
            else stage
            for stage in super().get_login_stages()
        ]

    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        # Where the sign-up resumes once the e-mail address is confirmed: a new account
        # always has its profile to complete.
        return profile_step_url()

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials) -> str:
        """Wrong passwords are counted per account, so that guessing from many addresses is
        held back, except from a browser that signed in to the account before: those get
        a count of their own, which a stranger's guesses never fill (participants/devices.py).
        (allauth names this method private; pinned with allauth in requirements.txt.)"""
        key = super()._get_login_attempts_cache_key(request, **credentials)
        device = trusted_device_id(request, credentials.get("email", credentials.get("username", "")))
        return f"{key}:device:{device}" if device else key

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        # Straight to the profile step after confirming the e-mail address: nothing else
        # works before it is done (ProfileStepMiddleware), so it saves a redirect.
        if needs_profile_step(request.user):
            return profile_step_url()
        return super().get_login_redirect_url(request)


def _profile_with_address(email: str) -> Profile | None:
    user = (get_user_model().objects.filter(email__iexact=email).select_related("profile")
            .order_by("-last_login").first())
    return getattr(user, "profile", None) if user is not None else None


# Multi-factor sign-in ----------------------------------------------------------------------


class PortalMFAAdapter(DefaultMFAAdapter):
    """allauth.mfa as the portal needs it: secrets encrypted at rest, and a privileged
    account's last factor kept (participants/mfa.py)."""

    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": _lazy(
            "You cannot switch off your last second factor: your role requires one. Add another first "
            "(an authenticator app or a security key), then remove this one."
        ),
    }

    def encrypt(self, text: str) -> str:
        return encrypt_secret(text)

    def decrypt(self, encrypted_text: str) -> str:
        return decrypt_secret(encrypted_text)

    def can_delete_authenticator(self, authenticator) -> bool:
        from .mfa import may_remove_authenticator, record_refused_removal

        allowed = may_remove_authenticator(authenticator)
        if not allowed:
            record_refused_removal(None, authenticator)
        return allowed

    def get_public_key_credential_rp_entity(self) -> dict[str, str]:
        # The relying party is the portal's own host (PORTAL_BASE_URL), never what a request's
        # Host header says: ALLOWED_HOSTS admits several, and a key works for one name only.
        # Browsers refuse an IP address here: hence http://localhost:8000 in development.
        return {"id": urlsplit(settings.PORTAL_BASE_URL).hostname or "localhost", "name": "DICAS Portal"}
