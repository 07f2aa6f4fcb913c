"""Multi-factor sign-in is required of officials, co-chairs, the secretariat and administrators.

allauth.mfa does the work (TOTP, security keys and passkeys through WebAuthn, recovery
codes, the code asked at sign-in); this module decides the portal's rules around it:

- who must have a second factor (participants.permissions.mfa_required), and of which
  kind: with PORTAL_PHISHING_RESISTANT_MFA, a WebAuthn key (OMB M-22-09);
- those who have none are sent to set one up from every page but the few the set-up
  needs, and may set one up only after proving they read their verified address
  (participants/enrolment.py): never with the password alone;
- the last required factor of such an account cannot be removed;
- wrong codes typed in a row after a right password make the next attempt wait longer
  and longer, and tell the person and the secretariat (`wrong_codes_repeated`).
"""

from collections.abc import Callable
from datetime import timedelta
from functools import lru_cache

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.dispatch import Signal
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import record_event

from .enrolment import has_enrolment_permit
from .models import SecondFactorFailures
from .permissions import mfa_required

# A recovery code alone is no second factor: it is the way back when the phone is lost.
SECOND_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
PHISHING_RESISTANT_FACTORS = (Authenticator.Type.WEBAUTHN,)


# The session remembers that its person has the second factor they need, so that the check
# costs no query on every page. Set at sign-in and when an authenticator is added; cleared
# in the session that removes one (other sessions of that person end within 8 hours anyway).
SESSION_FLAG = "portal_mfa_user"


def phishing_resistant_required(user) -> bool:
    return bool(settings.PORTAL_PHISHING_RESISTANT_MFA) and mfa_required(user)


def required_factor_types(user) -> tuple[str, ...]:
    return PHISHING_RESISTANT_FACTORS if phishing_resistant_required(user) else SECOND_FACTORS


def has_second_factor(user) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTORS).exists()


def has_required_factor(user) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type__in=required_factor_types(user)).exists()


def remember_second_factor(request: HttpRequest, user) -> None:
    """Looks again (at each sign-in, and when one is added): a session signed in anew keeps
    its data, and must not keep a flag the account no longer deserves."""
    if not hasattr(request, "session"):
        return
    from .sso import identity_provider_asserted_mfa

    if has_required_factor(user) or identity_provider_asserted_mfa(request, user):
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
    if not has_required_factor(user):
        return True
    if request is not None:
        request.session[SESSION_FLAG] = user.pk
    return False


def mfa_setup_url(user=None) -> str:
    """Where a person who may enrol sets up the factor they need."""
    if user is not None and phishing_resistant_required(user):
        return reverse("mfa_add_webauthn")
    return reverse("mfa_activate_totp")


def enrolment_url() -> str:
    return reverse("participants:mfa_enrolment")


def may_enrol(request: HttpRequest, user) -> bool:
    """A person with a second factor already adds another in their (MFA-signed-in) session;
    one with none must first open the link sent to their verified address."""
    return not mfa_required(user) or has_second_factor(user) or has_enrolment_permit(request, user)


def needs_enrolment_link(user) -> bool:
    """Must have a second factor and has none at all: adding one needs the link."""
    return user.is_authenticated and mfa_required(user) and not has_second_factor(user)


# The last factor -----------------------------------------------------------------------


def may_remove_authenticator(authenticator: Authenticator) -> bool:
    """A privileged account keeps at least one factor of the kind it needs."""
    user = authenticator.user
    if not mfa_required(user):
        return True
    required = required_factor_types(user)
    if authenticator.type not in required:
        return True
    return Authenticator.objects.filter(user_id=user.pk, type__in=required).exclude(pk=authenticator.pk).exists()


def record_refused_removal(request: HttpRequest | None, authenticator: Authenticator) -> None:
    record_event(actor=authenticator.user, action=AuditEvent.Action.MFA_REMOVAL_REFUSED, target=authenticator.user,
                 detail={"type": authenticator.type})


# Wrong codes in a row --------------------------------------------------------------------

# The first few wrong codes cost nothing (a mistyped digit, a clock a little off); from the
# third in a row each one doubles the wait before the next attempt, up to a quarter of an hour.
FREE_WRONG_CODES = 2
FIRST_WAIT_SECONDS = 30
LONGEST_WAIT_SECONDS = 15 * 60
# A streak is forgotten after a day without a wrong code.
STREAK_MEMORY = timedelta(days=1)
# The person and the secretariat are told when the waiting starts, and again every tenth code.
TELL_AT = FREE_WRONG_CODES + 1
TELL_EVERY = 10

# Sent inside the transaction that counted the wrong code (the outbox, notifications/receivers.py,
# records its notices in it): sender=SecondFactorFailures, user, failures, ip.
wrong_codes_repeated = Signal()


def wait_after(failures: int) -> int:
    if failures <= FREE_WRONG_CODES:
        return 0
    return min(FIRST_WAIT_SECONDS * 2 ** (failures - FREE_WRONG_CODES - 1), LONGEST_WAIT_SECONDS)


def seconds_to_wait(user) -> int:
    """How long before this account's next code is even looked at (0: now)."""
    row = SecondFactorFailures.objects.filter(user_id=user.pk).only("wait_until").first()
    if row is None or row.wait_until is None:
        return 0
    left = (row.wait_until - timezone.now()).total_seconds()
    return max(0, int(left + 0.999))


def record_wrong_code(*, user, ip: str | None = None) -> SecondFactorFailures:
    """Counts a wrong code after a right password.

    Side effects: the account's count and the time its next attempt may come; once the
    waiting starts, an audit event and `wrong_codes_repeated` (the outbox tells the person
    and the secretariat), again every TELL_EVERY codes.
    """
    now = timezone.now()
    with transaction.atomic():
        row, _created = SecondFactorFailures.objects.select_for_update().get_or_create(user_id=user.pk)
        if row.last_failed_at is not None and now - row.last_failed_at > STREAK_MEMORY:
            row.count = 0
        row.count += 1
        row.last_failed_at = now
        wait = wait_after(row.count)
        row.wait_until = now + timedelta(seconds=wait) if wait else None
        row.save()
        if row.count == TELL_AT or (row.count > TELL_AT and row.count % TELL_EVERY == 0):
            record_event(actor=None, action=AuditEvent.Action.MFA_SLOWED, target=user, ip=ip,
                         detail={"failures": row.count, "wait_seconds": wait})
            wrong_codes_repeated.send(sender=SecondFactorFailures, user=user, failures=row.count, ip=ip)
    return row


def clear_wrong_codes(*, user) -> None:
    """A right code ends the streak. Side effect: the account's count row is deleted."""
    SecondFactorFailures.objects.filter(user_id=user.pk).delete()


# The middleware --------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _open_prefixes() -> tuple[str, ...]:
    """Pages reachable before MFA is on: the set-up (with the password check allauth asks
    before it) and the enrolment link, signing out, the language and zone switchers,
    health and static files."""
    return (
        reverse("mfa_index"),  # /accounts/2fa/: TOTP activation, security keys, recovery codes
        reverse("account_reauthenticate"),
        reverse("account_logout"),
        enrolment_url(),
        reverse("set_language"),
        reverse("set_time_zone"),
        reverse("healthz"),
        settings.STATIC_URL,
    )


# allauth's pages that add an authenticator: for a privileged account without any, only
# after the enrolment link.
ENROLMENT_VIEWS = frozenset({"mfa_activate_totp", "mfa_add_webauthn"})
REMOVAL_VIEWS = frozenset({"mfa_remove_webauthn"})


class MFARequiredMiddleware:
    """Sends a privileged person without the second factor they need to set one up first.

    Their account may read restricted papers and minutes; until a second factor protects
    it, it reaches nothing else. Requests that are not page views (POST elsewhere) are
    refused the same way: nothing is done on their behalf before then. The set-up itself
    opens only to a session that opened the enrolment link (or has a factor already).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if not request.path.startswith(_open_prefixes()) and needs_mfa_setup(user, request):
            if request.method in ("GET", "HEAD"):
                messages.info(request, self._reason(user))
            if may_enrol(request, user):
                return HttpResponseRedirect(mfa_setup_url(user))
            return HttpResponseRedirect(enrolment_url())
        return self.get_response(request)

    @staticmethod
    def _reason(user) -> str:
        if has_second_factor(user):
            return _("Your role requires a security key or passkey. Add one to continue.")
        return _("Your role requires two-factor sign-in. Set up an authenticator app to continue.")

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        match = getattr(request, "resolver_match", None)
        name = match.url_name if match is not None else None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if name in ENROLMENT_VIEWS and not may_enrol(request, user):
            return HttpResponseRedirect(enrolment_url())
        if name in REMOVAL_VIEWS and request.method == "POST":
            authenticator = Authenticator.objects.filter(
                user_id=user.pk, type=Authenticator.Type.WEBAUTHN, pk=view_kwargs.get("pk")
            ).select_related("user").first()
            if authenticator is not None and not may_remove_authenticator(authenticator):
                record_refused_removal(request, authenticator)
                messages.error(request, last_factor_message())
                return HttpResponseRedirect(reverse("mfa_list_webauthn"))
        return None


def last_factor_message() -> str:
    return _("You cannot switch off your last second factor: your role requires one. Add another first "
             "(an authenticator app or a security key), then remove this one.")
