"""How allauth fits the portal: every new account is an industry representative with a
profile to complete, and is sent to the profile step until it is complete; wrong
passwords are counted so that a stranger cannot lock the owner out; the MFA adapter
encrypts secrets at rest and keeps a privileged account's last factor."""

from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _lazy

from .devices import trusted_device_id
from .mfa_secrets import decrypt_secret, encrypt_secret
from .models import Profile
from .onboarding import needs_profile_step, profile_step_url
from .timezones import is_valid_time_zone


class PortalAccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user, form, commit: bool = True):
        """The account, and its profile with the industry role: other roles are given by the
        secretariat, never by signing up. Language and zone start as the visitor's own."""
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=commit)
            if commit:
                language = translation.get_language() or settings.LANGUAGE_CODE
                if language not in dict(settings.LANGUAGES):
                    language = settings.LANGUAGE_CODE
                zone = getattr(request, "viewer_time_zone", "")
                Profile.objects.get_or_create(
                    user=user,
                    defaults={
                        "role": Profile.Role.INDUSTRY,
                        "preferred_language": language,
                        "time_zone": zone if is_valid_time_zone(zone) else settings.PORTAL_DEFAULT_VIEWER_TIME_ZONE,
                    },
                )
        return user

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
