"""Browsers that signed in to an account before ("device cookies", OWASP's answer to
lock-outs by strangers).

allauth refuses the 6th wrong password for an account within a minute, from anywhere:
that holds back guessing from many addresses, but a stranger who keeps typing wrong
passwords would keep the owner out for as long as they like. So a browser that once
signed in to the account carries a signed cookie naming it; its attempts are counted on
their own (participants.adapters.PortalAccountAdapter), and only its own wrong passwords
can hold it back, for a minute at most.
"""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.http import HttpRequest, HttpResponse

COOKIE_NAME = "portal_device"
SALT = "participants.devices"
MAX_AGE_SECONDS = 365 * 24 * 60 * 60


def remember_device(response: HttpResponse, user) -> None:
    """Sets the cookie on the response of a completed sign-in (second factor included)."""
    value = signing.dumps({"u": user.pk, "d": secrets.token_urlsafe(12)}, salt=SALT, compress=True)
    response.set_cookie(
        COOKIE_NAME, value, max_age=MAX_AGE_SECONDS, httponly=True, samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def trusted_device_id(request: HttpRequest | None, login: str) -> str | None:
    """The id of this browser if it signed in to the account `login` names before."""
    raw = request.COOKIES.get(COOKIE_NAME) if request is not None else None
    if not raw or not login:
        return None
    try:
        data = signing.loads(raw, salt=SALT, max_age=MAX_AGE_SECONDS)
    except (signing.BadSignature, ValueError, TypeError, UnicodeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("d"), str):
        return None
    User = get_user_model()
    login = login.strip()
    if not User.objects.filter(pk=data["u"], email__iexact=login).exists() and \
            not User.objects.filter(pk=data["u"], username__iexact=login).exists():
        return None
    return data["d"]
