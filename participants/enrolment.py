"""Enrolling a second factor when one is required and none is there.

Whoever holds only the password must not be able to add an authenticator of their own to
a privileged account (issue 13, finding 6). So a person promoted to a privileged role, or
whose factor was lost and removed, gets a single-use link sent to their verified address
(like the invitations, participants/invitations.py); opening it in their own signed-in
session lets that session set up an authenticator for a while. An invitation's link is
such a proof too: accepting one lets the new account enrol at once.
One function per action, keyword-only, one transaction each.
"""

import logging
import time
from datetime import timedelta
from functools import partial

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import record_event

from .models import EnrolmentLink

logger = logging.getLogger(__name__)

TOKEN_SALT = "participants.mfa_enrolment"
# What the session that opened the link may do, and until when (a Unix time).
PERMIT_KEY = "portal_mfa_enrolment_permit"
PERMIT_SECONDS = 30 * 60


class EnrolmentRefused(Exception):
    """The link cannot be used; `message` tells the visitor why and what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def max_age() -> timedelta:
    return timedelta(hours=settings.MFA_ENROLMENT_LINK_MAX_AGE_HOURS)


def verified_address(user) -> str | None:
    """The address the link goes to: the account's verified primary one (else any verified)."""
    found = (EmailAddress.objects.filter(user=user, verified=True).order_by("-primary", "pk")
             .values_list("email", flat=True).first())
    return found or None


def enrolment_token(link: EnrolmentLink) -> str:
    return signing.dumps({"e": link.pk, "n": link.nonce}, salt=TOKEN_SALT)


def enrolment_url(link: EnrolmentLink) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + reverse("participants:mfa_enrolment_link", args=[enrolment_token(link)])


# Sending ---------------------------------------------------------------------------------


def send_enrolment_link(*, user, reason: str, by=None) -> EnrolmentLink | None:
    """Sends `user` a new single-use enrolment link; an earlier unused one stops working.

    Side effects: one EnrolmentLink, one audit event, and after the commit one e-mail to the
    verified address. Returns None (and sends nothing) when the account has no verified
    address: the secretariat must then confirm one first.
    """
    address = verified_address(user)
    if address is None:
        logger.warning("No verified address for account %s: no enrolment link sent.", user.pk)
        return None
    now = timezone.now()
    with transaction.atomic():
        EnrolmentLink.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True).update(revoked_at=now)
        link = EnrolmentLink.objects.create(user=user, email=address, reason=reason, expires_at=now + max_age())
        record_event(actor=by or user, action=AuditEvent.Action.MFA_ENROLMENT_LINK_SENT, target=user,
                     detail={"email": address, "reason": reason})
        transaction.on_commit(partial(_send_email, link.pk))
    return link


def _send_email(link_id: int) -> None:
    """After the commit. A mail server that refuses is logged: the person may ask again."""
    link = EnrolmentLink.objects.select_related("user__profile").get(pk=link_id)
    profile = getattr(link.user, "profile", None)
    language = profile.preferred_language if profile and profile.preferred_language in dict(settings.LANGUAGES) \
        else settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "name": profile.display_name if profile else "",
            "url": enrolment_url(link),
            "hours": settings.MFA_ENROLMENT_LINK_MAX_AGE_HOURS,
            "promoted": link.reason == EnrolmentLink.Reason.PROMOTED,
            "portal_url": settings.PORTAL_BASE_URL,
            "LANGUAGE_CODE": language,
        }
        subject = " ".join(render_to_string("email/mfa_enrolment/subject.txt", context).split())
        text = render_to_string("email/mfa_enrolment/body.txt", context)
        html = render_to_string("email/mfa_enrolment/body.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [link.email])
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception:
        logger.warning("Could not send the enrolment link %s; the person may ask again.", link_id, exc_info=True)


# Opening ---------------------------------------------------------------------------------


def use_enrolment_link(*, token: str, request: HttpRequest) -> EnrolmentLink:
    """Spends the link for the signed-in person it was sent to, and lets this session add
    an authenticator for PERMIT_SECONDS. Side effects: used_at, an audit event, the
    session's permit. Raises EnrolmentRefused saying why not."""
    invalid = EnrolmentRefused(
        _("This enrolment link is not valid. Copy the whole link from the e-mail, or ask for a new one.")
    )
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=max_age())
    except signing.SignatureExpired:
        raise EnrolmentRefused(_("This enrolment link has expired. Ask for a new one.")) from None
    except (signing.BadSignature, ValueError, TypeError, UnicodeError):
        raise invalid from None
    if not isinstance(data, dict) or not isinstance(data.get("e"), int) or not isinstance(data.get("n"), str):
        raise invalid
    with transaction.atomic():
        link = EnrolmentLink.objects.select_for_update().filter(pk=data["e"]).first()
        if link is None or not constant_time_compare(link.nonce, data["n"]):
            raise invalid
        if link.user_id != request.user.pk:
            # Sent to someone else: a link forwarded to, or opened by, another account does nothing.
            raise EnrolmentRefused(_("This enrolment link was sent to another account. Sign in with that account."))
        if link.used_at is not None:
            raise EnrolmentRefused(_("This enrolment link has already been used. Ask for a new one if you need it."))
        if link.revoked_at is not None:
            raise EnrolmentRefused(_("A newer enrolment link was sent since: use the latest e-mail."))
        if timezone.now() >= link.expires_at:
            raise EnrolmentRefused(_("This enrolment link has expired. Ask for a new one."))
        link.used_at = timezone.now()
        link.save(update_fields=["used_at"])
        record_event(actor=request.user, action=AuditEvent.Action.MFA_ENROLMENT_LINK_USED, target=request.user,
                     detail={"email": link.email})
    grant_enrolment_permit(request, request.user)
    return link


def grant_enrolment_permit(request: HttpRequest, user) -> None:
    """This session may set up an authenticator for `user` for a while: it proved it can
    read the verified address (an enrolment link, or the invitation's)."""
    request.session[PERMIT_KEY] = {"user": user.pk, "until": time.time() + PERMIT_SECONDS}


def has_enrolment_permit(request: HttpRequest, user) -> bool:
    permit = request.session.get(PERMIT_KEY) if hasattr(request, "session") else None
    return (isinstance(permit, dict) and permit.get("user") == user.pk
            and isinstance(permit.get("until"), (int, float)) and permit["until"] > time.time())


def spend_enrolment_permit(request: HttpRequest) -> None:
    if hasattr(request, "session"):
        request.session.pop(PERMIT_KEY, None)
