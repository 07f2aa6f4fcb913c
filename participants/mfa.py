"""Multi-factor sign-in is required of officials, co-chairs and the secretariat.

allauth.mfa does the work (TOTP, recovery codes, the code asked at sign-in); this module
only decides who must have it (participants.permissions.mfa_required) and sends those who
have none yet to set it up, from every page but the few the set-up itself needs.
"""

from collections.abc import Callable
from functools import lru_cache

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .permissions import mfa_required

# A recovery code alone is no second factor: it is the way back when the phone is lost.
SECOND_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


# The session remembers that its person has a second factor, so that the check costs no
# query on every page. Set at sign-in and when an authenticator is added; cleared in the
# session that removes one (other sessions of that person end within 8 hours anyway).
SESSION_FLAG = "portal_mfa_user"


def has_second_factor(user) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTORS).exists()


def remember_second_factor(request: HttpRequest, user) -> None:
    """Looks again (at each sign-in, and when one is added): a session signed in anew keeps
    its data, and must not keep a flag the account no longer deserves."""
    if not hasattr(request, "session"):
        return
    from .sso import identity_provider_asserted_mfa

    if has_second_factor(user) or identity_provider_asserted_mfa(request, user):
        request.session[SESSION_FLAG] = user.pk
    else:
        request.session.pop(SESSION_FLAG, None)


def forget_second_factor(request: HttpRequest) -> None:
    if hasattr(request, "session"):
        request.session.pop(SESSION_FLAG, None)


def needs_mfa_setup(user, request: HttpRequest | None = None) -> bool:
    if user is None or not user.is_authenticated or not mfa_required(user):
        return False
    if request is not None and request.session.get(SESSION_FLAG) == user.pk:
        return False
    if not has_second_factor(user):
        return True
    if request is not None:
        request.session[SESSION_FLAG] = user.pk
    return False


def mfa_setup_url() -> str:
    return reverse("mfa_activate_totp")


@lru_cache(maxsize=1)
def _open_prefixes() -> tuple[str, ...]:
    """Pages reachable before MFA is on: the set-up (with the password check allauth asks
    before it), signing out, the language and zone switchers, health and static files."""
    return (
        reverse("mfa_index"),  # /accounts/2fa/: TOTP activation, recovery codes
        reverse("account_reauthenticate"),
        reverse("account_logout"),
        reverse("set_language"),
        reverse("set_time_zone"),
        reverse("healthz"),
        settings.STATIC_URL,
    )


class MFARequiredMiddleware:
    """Sends a privileged person without an authenticator to set one up first.

    Their account may read restricted papers and minutes; until a second factor protects
    it, it reaches nothing else. Requests that are not page views (POST elsewhere) are
    refused the same way: nothing is done on their behalf before then.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if not request.path.startswith(_open_prefixes()) and needs_mfa_setup(user, request):
            if request.method in ("GET", "HEAD"):
                messages.info(
                    request,
                    _("Your role requires two-factor sign-in. Set up an authenticator app to continue."),
                )
            return HttpResponseRedirect(mfa_setup_url())
        return self.get_response(request)
