"""How allauth fits the portal: every new account is an industry representative with a
profile to complete, and is sent to the profile step until it is complete; the client's
address is the portal's one answer (dicas_portal/client_address.py); and failed sign-ins
are limited per account (allauth's "login_failed" by key) and, counting failures only,
per address (PORTAL_SIGN_IN_FAILURES_PER_ADDRESS)."""

import hashlib
from datetime import timedelta
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit
from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from dicas_portal.client_address import client_ip

from .models import Profile
from .onboarding import needs_profile_step, profile_step_url
from .timezones import is_valid_time_zone


# The per-address count of failed sign-ins, in allauth's rate-limit store (the cache).
ADDRESS_FAILURES_APP = "dicas_portal"
ADDRESS_FAILURES = "sign_in_failure"


# A browser that completed a sign-in to an account (password and second factor) keeps a
# signed cookie naming it (a hash of the address it signs in with): from that browser the
# account is not refused for its address's failures, only for its own. So colleagues who
# signed in before are never turned away because someone at their shared address is
# guessing (OWASP's "device cookies"); a guesser has no such cookie for the accounts it tries.
KNOWN_BROWSER_COOKIE = "portal_known_sign_in"
KNOWN_BROWSER_SALT = "participants.adapters.known_browser"
KNOWN_BROWSER_MAX_AGE = timedelta(days=180)
KNOWN_ACCOUNTS_KEPT = 5


def _account_tag(login: str) -> str:
    return hashlib.sha256(login.strip().lower().encode()).hexdigest()[:32]


def _known_accounts(request: HttpRequest) -> list[str]:
    value = request.COOKIES.get(KNOWN_BROWSER_COOKIE)
    if not value:
        return []
    try:
        tags = signing.loads(value, salt=KNOWN_BROWSER_SALT, max_age=KNOWN_BROWSER_MAX_AGE)
    except (signing.BadSignature, ValueError):
        return []
    return [tag for tag in tags if isinstance(tag, str)][:KNOWN_ACCOUNTS_KEPT] if isinstance(tags, list) else []


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
        not for an account this browser signed in to before; then allauth's per-account
        count, which a right password gives back."""
        address_exhausted = not ratelimit.consume(request, app=ADDRESS_FAILURES_APP, action=ADDRESS_FAILURES,
                                                  config=_address_failure_limits(), dry_run=True)
        login = str(credentials.get("email") or credentials.get("username") or "")
        if address_exhausted and _account_tag(login) not in _known_accounts(request):
            raise self.validation_error("too_many_login_attempts")
        super().pre_authenticate(request, **credentials)

    def post_login(self, request: HttpRequest, user, **kwargs: Any) -> HttpResponse:
        """Once the whole sign-in is done (second factor included), this browser knows the account."""
        response = super().post_login(request, user, **kwargs)
        if user.email:
            tag = _account_tag(user.email)
            tags = [tag, *(known for known in _known_accounts(request) if known != tag)][:KNOWN_ACCOUNTS_KEPT]
            response.set_cookie(
                KNOWN_BROWSER_COOKIE, signing.dumps(tags, salt=KNOWN_BROWSER_SALT),
                max_age=int(KNOWN_BROWSER_MAX_AGE.total_seconds()), secure=settings.SESSION_COOKIE_SECURE,
                httponly=True, samesite="Lax",
            )
        return response

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        ratelimit.consume(request, app=ADDRESS_FAILURES_APP, action=ADDRESS_FAILURES,
                          config=_address_failure_limits())
        super().authentication_failed(request, **credentials)

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

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        # Straight to the profile step after confirming the e-mail address: nothing else
        # works before it is done (ProfileStepMiddleware), so it saves a redirect.
        if needs_profile_step(request.user):
            return profile_step_url()
        return super().get_login_redirect_url(request)
