"""How long a sign-in lasts, and signing out everywhere.

- Every sign-in ends 8 hours after it began, however busy the person is: a session left
  open on a shared computer in a delegation's office does not last the week.
- The secretariat can change everything (roles, invitations, what is published), so its
  sessions also end after 30 idle minutes.
- "Sign out everywhere" ends every session of the person at once, on every device.
"""

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import record_event

from .permissions import is_secretariat

SIGNED_IN_AT = "portal_signed_in_at"  # seconds since the epoch, as a float
LAST_SEEN_AT = "portal_last_seen_at"
# The idle clock is written at most this often: a write per request would cost a query
# on every page, and a minute either way does not matter against 30.
LAST_SEEN_GRANULARITY = 60
# Set on the request when the middleware ends a session, so that the sign-out it causes
# is recorded as an expiry rather than as the person signing out.
EXPIRED_FLAG = "_portal_session_expired"


def _now() -> float:
    return timezone.now().timestamp()


def start_session_clock(request: HttpRequest) -> None:
    """Called at every sign-in (participants.signals): the 8 hours start now."""
    now = _now()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN_AT] = now


def idle_limit_for(user) -> int | None:
    return settings.PORTAL_SECRETARIAT_IDLE_SECONDS if is_secretariat(user) else None


def _expiry_reason(request: HttpRequest, now: float) -> str | None:
    session = request.session
    started = session.get(SIGNED_IN_AT)
    if not isinstance(started, (int, float)):
        # A session from before this rule (or made by a test's force_login): start now.
        start_session_clock(request)
        return None
    if now - started > settings.PORTAL_SESSION_MAX_SECONDS:
        return "max_age"
    idle_limit = idle_limit_for(request.user)
    last_seen = session.get(LAST_SEEN_AT, started)
    if idle_limit is not None and isinstance(last_seen, (int, float)) and now - last_seen > idle_limit:
        return "idle"
    return None


class SessionLifetimeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = _now()
            reason = _expiry_reason(request, now)
            if reason is not None:
                return self._end(request, reason)
            idle_limit = idle_limit_for(user)
            last_seen = request.session.get(LAST_SEEN_AT)
            if idle_limit is not None and (
                not isinstance(last_seen, (int, float)) or now - last_seen >= LAST_SEEN_GRANULARITY
            ):
                # The store forgets the session too once idle, not only this check.
                request.session[LAST_SEEN_AT] = now
                left = settings.PORTAL_SESSION_MAX_SECONDS - (now - request.session[SIGNED_IN_AT])
                request.session.set_expiry(max(1, int(min(idle_limit, left)) + settings.PORTAL_SESSION_GRACE_SECONDS))
        return self.get_response(request)

    def _end(self, request: HttpRequest, reason: str) -> HttpResponse:
        record_event(actor=request.user, action=AuditEvent.Action.SESSION_EXPIRED, detail={"reason": reason})
        setattr(request, EXPIRED_FLAG, True)
        logout(request)
        if reason == "idle":
            notice = _("You were signed out after %(minutes)d minutes without activity. Sign in again to continue.") % {
                "minutes": settings.PORTAL_SECRETARIAT_IDLE_SECONDS // 60
            }
        else:
            notice = _("You were signed out: a sign-in lasts %(hours)d hours. Sign in again to continue.") % {
                "hours": settings.PORTAL_SESSION_MAX_SECONDS // 3600
            }
        messages.info(request, notice)
        login_url = reverse(settings.LOGIN_URL)
        if request.method in ("GET", "HEAD"):
            login_url = f"{login_url}?{urlencode({'next': request.get_full_path()})}"
        return HttpResponseRedirect(login_url)


def sign_out_everywhere(*, user, password: str) -> bool:
    """Ends every session of `user`, on every device, the one making the request included.

    Django ties each session to a hash of the account's password hash; setting the same
    password again draws a new salt, so every existing session stops matching at its next
    request (django.contrib.auth's `get_session_auth_hash`). Asking for the password also
    makes sure that whoever clicks is the person. Returns False, changing nothing, when the
    password is wrong. Side effects: the password hash, one audit event.
    """
    if not password or not user.check_password(password):
        return False
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        record_event(actor=user, action=AuditEvent.Action.SIGNED_OUT_EVERYWHERE, target=user)
    return True
