"""Accounts for officials, co-chairs and the secretariat come by invitation only.

The secretariat invites an address with a role and an organisation; the invitee receives
a signed link that works once, for INVITATION_MAX_AGE_DAYS (7) days, sets a password
there, is signed in, and is then sent to set up multi-factor sign-in (participants/mfa.py)
before anything else. One function per action, keyword-only, one transaction each.
"""

import logging
from datetime import timedelta
from functools import partial

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import record_event

from .affiliations import record_invited_affiliation
from .models import Invitation, Organization, Profile, RoleGrant
from .permissions import invitable_roles, needs_second_approval, organization_may_hold_cochair_role

logger = logging.getLogger(__name__)

TOKEN_SALT = "participants.invitation"
User = get_user_model()


class InvitationRefused(Exception):
    """The link cannot be used; `message` tells the visitor why and what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def max_age() -> timedelta:
    return timedelta(days=settings.INVITATION_MAX_AGE_DAYS)


def normalise_email(email: str) -> str:
    return User.objects.normalize_email(email.strip())


def account_exists(email: str) -> bool:
    """An account signs in with this address, or has proved it owns it. An address someone
    merely added to their account, unverified, proves nothing and blocks nobody: otherwise
    anyone could keep a future invitee from ever being invited."""
    return (
        User.objects.filter(email__iexact=email).exists()
        or User.objects.filter(username__iexact=email).exists()
        or EmailAddress.objects.filter(email__iexact=email, verified=True).exists()
    )


# The link ----------------------------------------------------------------------------


def invitation_token(invitation: Invitation) -> str:
    """Signed (SECRET_KEY, this module's salt) and timestamped: tampering or age shows."""
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=TOKEN_SALT)


def invitation_url(invitation: Invitation) -> str:
    path = reverse("participants:accept_invitation", args=[invitation_token(invitation)])
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def invitation_from_token(token: str) -> Invitation:
    """The pending invitation the link names, or InvitationRefused saying why not."""
    invalid = InvitationRefused(
        _("This invitation link is not valid. Copy the whole link from the e-mail, or ask the secretariat for a new one.")
    )
    expired = InvitationRefused(_("This invitation link has expired. Ask the secretariat to send a new one."))
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=max_age())
    except signing.SignatureExpired:
        raise expired from None
    except (signing.BadSignature, ValueError, TypeError, UnicodeError):
        raise invalid from None
    if not isinstance(data, dict) or not isinstance(data.get("i"), int) or not isinstance(data.get("n"), str):
        raise invalid
    invitation = Invitation.objects.select_related("organization").filter(pk=data["i"]).first()
    if invitation is None or not constant_time_compare(invitation.nonce, data["n"]):
        raise invalid
    status = invitation.status_at(timezone.now())
    if status == Invitation.Status.ACCEPTED:
        raise InvitationRefused(_("This invitation has already been used. Sign in with the account it made."))
    if status == Invitation.Status.REVOKED:
        raise InvitationRefused(_("This invitation was withdrawn by the secretariat."))
    if status == Invitation.Status.EXPIRED:
        raise expired
    return invitation


# The e-mail --------------------------------------------------------------------------


def send_invitation_email(invitation_id: int) -> None:
    """Runs after the commit that made (or renewed) the invitation. A mail server that
    refuses is logged, not raised: the invitation stands, and the secretariat's page
    offers to send it again."""
    invitation = Invitation.objects.select_related("organization", "invited_by__profile").get(pk=invitation_id)
    with translation.override(invitation.language):
        context = {
            "invitation": invitation,
            "url": invitation_url(invitation),
            "days": settings.INVITATION_MAX_AGE_DAYS,
            "role": invitation.get_role_display(),
            "organization": invitation.organization.display_name,
            "portal_url": settings.PORTAL_BASE_URL,
        }
        subject = " ".join(render_to_string("email/account_invitation/subject.txt", context).split())
        text = render_to_string("email/account_invitation/body.txt", context)
        html = render_to_string("email/account_invitation/body.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [invitation.email])
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception:
        logger.warning("Could not send the invitation %s; the secretariat may send it again.", invitation_id,
                       exc_info=True)


# The secretariat's actions -------------------------------------------------------------


def _require_inviter(by, role: str) -> None:
    if role not in invitable_roles(by):
        raise PermissionDenied(_("Only the secretariat invites officials, co-chairs and the secretariat."))


def invite(
    *, email: str, role: str, organization: Organization, by, full_name: str = "", language: str = "en"
) -> Invitation:
    """Invites `email` to an account with `role` at `organization`.

    Side effects: one Invitation (an earlier pending one to the same address is revoked,
    so only the newest link works), one audit event, and after the commit one e-mail.
    Raises PermissionDenied (not the secretariat, or a role it cannot give) or
    ValidationError (the address already has an account, or a field is invalid).
    """
    _require_inviter(by, role)
    email = normalise_email(email)
    if role == Profile.Role.COCHAIR and not organization_may_hold_cochair_role(organization):
        raise ValidationError(
            {"organization": _("The co-chair role is only for accounts of a co-chair office (a government "
                               "organisation of a co-chair country).")}
        )
    if account_exists(email):
        raise ValidationError(
            {"email": _("An account with this address already exists. Change its role on the people page instead.")}
        )
    now = timezone.now()
    with transaction.atomic():
        Invitation.objects.filter(email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=now
        )
        invitation = Invitation(
            email=email, role=role, organization=organization, full_name=full_name.strip(), language=language,
            invited_by=by, expires_at=now + max_age(),
        )
        invitation.full_clean()
        invitation.save()
        record_event(actor=by, action=AuditEvent.Action.INVITATION_SENT, target=invitation,
                     detail={"email": email, "role": role, "organization": organization.name})
        transaction.on_commit(partial(send_invitation_email, invitation.pk))
    return invitation


def resend_invitation(*, invitation: Invitation, by) -> Invitation:
    """A new link for a pending or expired invitation, valid 7 days from now; the old
    link stops working. Side effects: the invitation's nonce and expiry, an audit event,
    an e-mail after the commit. Raises PermissionDenied or ValidationError (accepted or
    revoked already)."""
    _require_inviter(by, invitation.role)
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is not None or invitation.revoked_at is not None:
            raise ValidationError(_("This invitation is no longer open; invite the person again."))
        invitation.nonce = Invitation._meta.get_field("nonce").get_default()
        invitation.expires_at = timezone.now() + max_age()
        invitation.save(update_fields=["nonce", "expires_at"])
        record_event(actor=by, action=AuditEvent.Action.INVITATION_SENT, target=invitation,
                     detail={"email": invitation.email, "role": invitation.role, "again": True})
        transaction.on_commit(partial(send_invitation_email, invitation.pk))
    return invitation


def revoke_invitation(*, invitation: Invitation, by) -> Invitation:
    """The link stops working. Side effects: revoked_at, an audit event."""
    _require_inviter(by, invitation.role)
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is not None:
            raise ValidationError(_("This invitation was already accepted; change the account's role instead."))
        if invitation.revoked_at is None:
            invitation.revoked_at = timezone.now()
            invitation.save(update_fields=["revoked_at"])
            record_event(actor=by, action=AuditEvent.Action.INVITATION_REVOKED, target=invitation,
                         detail={"email": invitation.email})
    return invitation


# The invitee's action ------------------------------------------------------------------


def accept_invitation(*, token: str, full_name: str, password: str, full_name_ja: str = "", job_title: str = ""):
    """Makes the account the invitation offers and returns its user.

    The link is checked again inside the transaction, with the row locked: two clicks at
    once make one account, and the second is refused as used. The address is confirmed
    (the link reached it); role, organisation and language come from the invitation.
    Side effects: a User, its confirmed EmailAddress and Profile, the invitation marked
    used, an audit event. A privileged role (co-chair, secretariat) is not given by the link:
    the account starts as an official, with the inviter's pending RoleGrant for a second
    member of the secretariat to approve. Raises InvitationRefused or ValidationError.
    """
    with transaction.atomic():
        found = invitation_from_token(token)
        invitation = Invitation.objects.select_for_update(of=("self",)).select_related("organization").get(pk=found.pk)
        if invitation.accepted_at is not None:
            raise InvitationRefused(_("This invitation has already been used. Sign in with the account it made."))
        if account_exists(invitation.email):
            raise InvitationRefused(_("An account with this address already exists. Sign in with it instead."))
        user = User(username=invitation.email, email=invitation.email)
        validate_password(password, user)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save()
        # The link reached the address: unverified claims on it by other accounts end here.
        EmailAddress.objects.filter(email__iexact=invitation.email, verified=False).exclude(user=user).delete()
        EmailAddress.objects.create(user=user, email=invitation.email, verified=True, primary=True)
        four_eyes = needs_second_approval(invitation.role)
        profile = Profile(
            user=user,
            full_name=full_name.strip(),
            full_name_ja=full_name_ja.strip(),
            job_title=job_title.strip(),
            organization=invitation.organization,
            role=Profile.Role.OFFICIAL if four_eyes else invitation.role,
            preferred_language=invitation.language,
            time_zone=settings.PORTAL_DEFAULT_VIEWER_TIME_ZONE,
        )
        profile.full_clean(validate_unique=False, validate_constraints=False)
        profile.save()
        # The secretariat chose the organisation: verified from the start.
        record_invited_affiliation(profile=profile, by=invitation.invited_by)
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        record_event(actor=user, action=AuditEvent.Action.INVITATION_ACCEPTED, target=invitation,
                     detail={"email": invitation.email, "role": invitation.role})
        if four_eyes and invitation.invited_by is not None:
            grant = RoleGrant.objects.create(profile=profile, role=invitation.role, previous_role=profile.role,
                                             requested_by=invitation.invited_by)
            record_event(actor=invitation.invited_by, action=AuditEvent.Action.ROLE_GRANT_REQUESTED, target=user,
                         detail={"grant": grant.pk, "from": profile.role, "to": invitation.role,
                                 "email": user.email, "invitation": invitation.pk})
    return user
