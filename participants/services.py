"""Changes to participants. One function per action, keyword-only, one transaction each."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import record_event

from dicas_portal import erasure_ledger

from .affiliations import default_review_on, request_affiliation
from .enrolment import send_enrolment_link
from .mfa import has_second_factor
from .models import Country, EnrolmentLink, Invitation, Organization, Profile, RoleGrant, new_calendar_token
from .permissions import (
    REVIEWED_ROLES,
    can_change_role,
    can_decide_role_grant,
    may_hold_cochair_role,
    mfa_required,
    needs_second_approval,
)


def reset_calendar_token(*, profile: Profile) -> Profile:
    """Give the person a new secret feed address; the old one stops working at once."""
    with transaction.atomic():
        profile.calendar_token = new_calendar_token()
        profile.save(update_fields=["calendar_token"])
    return profile


@transaction.atomic
def remember_time_zone(*, profile: Profile, time_zone: str) -> Profile:
    """Every time on every page is then shown in this zone for the person."""
    profile.time_zone = time_zone
    profile.full_clean(validate_unique=False, validate_constraints=False)
    profile.save(update_fields=["time_zone"])
    return profile


@transaction.atomic
def remember_language(*, profile: Profile, language: str) -> Profile:
    """The portal and its e-mails then speak this language to the person."""
    profile.preferred_language = language
    profile.full_clean(validate_unique=False, validate_constraints=False)
    profile.save(update_fields=["preferred_language"])
    return profile


def save_profile_details(
    *,
    user,
    full_name: str,
    full_name_ja: str = "",
    organization: Organization | None = None,
    new_organization: str = "",
    country: Country | None = None,
    job_title: str = "",
    preferred_language: str,
    time_zone: str,
) -> Profile:
    """The profile step: who the person is and for which organisation they speak.

    Side effects: creates the person's profile if they have none, with the industry role
    (self sign-up never gives another; an existing role is left as it is); with
    `new_organization`, reuses the organisation of that name awaiting confirmation or creates
    it unconfirmed, for the secretariat to confirm. Naming another organisation than the current
    affiliation's ends that one and asks for the new one (participants/affiliations.py): it
    counts once verified. Raises ValidationError for invalid values.
    """
    with transaction.atomic():
        profile, _created = Profile.objects.select_for_update().get_or_create(
            user=user, defaults={"role": Profile.Role.INDUSTRY}
        )
        if new_organization:
            # Two colleagues may ask for the same company: the second joins the first's request.
            organization = Organization.objects.filter(name__iexact=new_organization).first()
            if organization is None:
                kind = Organization.Kind.INDUSTRY if profile.role == Profile.Role.INDUSTRY else Organization.Kind.GOVERNMENT
                organization = Organization(name=new_organization, kind=kind, country=country, confirmed=False)
                organization.full_clean()
                organization.save()
        profile.full_name = full_name
        profile.full_name_ja = full_name_ja
        profile.organization = organization
        profile.job_title = job_title
        profile.preferred_language = preferred_language
        profile.time_zone = time_zone
        profile.full_clean(validate_unique=False, validate_constraints=False)
        profile.save()
        if organization is not None:
            request_affiliation(profile=profile, organization=organization)
            # A verified domain may have confirmed it on the spot.
            profile.refresh_from_db(fields=["verified_organization", "affiliation_review_on"])
    return profile


def change_role(*, profile: Profile, role: str, by) -> RoleGrant | None:
    """The one way a role changes (the admin shows it read-only; no form of a person's own
    carries it). Nobody changes their own role, nor an administrator's, and nobody is made
    an administrator here (participants.permissions.assignable_roles).

    A privileged role (co-chair, secretariat) is not given here but asked for: it waits,
    as a RoleGrant, for another member of the secretariat (approve_role_grant); the person
    keeps their role meanwhile. Any other role is given at once.

    Side effects: the profile's role (with its review date) and a ROLE_CHANGED audit event
    (and, for a role that needs a second factor the person has not got, an enrolment link
    sent to their verified address: participants/enrolment.py), or a pending RoleGrant
    and a ROLE_GRANT_REQUESTED audit event (returned). Raises PermissionDenied when `by`
    may not give this role to this person, ValidationError when a grant already waits.
    """
    with transaction.atomic():
        profile = Profile.objects.select_for_update(of=("self",)).select_related("user").get(pk=profile.pk)
        if not can_change_role(by, profile, role):
            raise PermissionDenied(_("You may not give this role to this person."))
        previous = profile.role
        if previous == role:
            return None
        if needs_second_approval(role):
            if RoleGrant.objects.filter(profile=profile, status=RoleGrant.Status.PENDING).exists():
                raise ValidationError(_("A role for this person already awaits approval."))
            grant = RoleGrant.objects.create(profile=profile, role=role, previous_role=previous, requested_by=by)
            record_event(actor=by, action=AuditEvent.Action.ROLE_GRANT_REQUESTED, target=profile.user,
                         detail={"grant": grant.pk, "from": previous, "to": role, "email": profile.user.email})
            return grant
        _set_role(profile=profile, role=role, by=by)
        record_event(actor=by, action=AuditEvent.Action.ROLE_CHANGED, target=profile.user,
                     detail={"from": previous, "to": role, "email": profile.user.email})
    return None


def _set_role(*, profile: Profile, role: str, by) -> None:
    profile.role = role
    # People leave their posts: a co-chair or secretariat role is reviewed within a year.
    profile.role_review_on = default_review_on() if role in REVIEWED_ROLES else None
    profile.full_clean(validate_unique=False, validate_constraints=False)
    profile.save(update_fields=["role", "role_review_on"])
    # The password alone enrols no second factor: a link to the verified address does.
    if mfa_required(profile.user) and not has_second_factor(profile.user):
        send_enrolment_link(user=profile.user, reason=EnrolmentLink.Reason.PROMOTED, by=by)


def _locked_pending_grant(grant: RoleGrant, by) -> RoleGrant:
    grant = (RoleGrant.objects.select_for_update(of=("self",)).select_related("profile__user", "requested_by")
             .get(pk=grant.pk))
    if grant.status != RoleGrant.Status.PENDING:
        raise ValidationError(_("This role grant was already decided."))
    if not can_decide_role_grant(by, grant):
        raise PermissionDenied(_("Another member of the secretariat decides this role grant."))
    return grant


def approve_role_grant(*, grant: RoleGrant, by) -> RoleGrant:
    """The second member of the secretariat approves: the person now holds the role.

    Side effects: the grant approved (by, when), the profile's role, a ROLE_GRANT_APPROVED
    and a ROLE_CHANGED audit event naming both members. Raises PermissionDenied (the giver,
    the person themselves, or not the secretariat) or ValidationError (already decided, or
    the person may no longer hold the role: their role or organisation changed meanwhile).
    """
    with transaction.atomic():
        grant = _locked_pending_grant(grant, by)
        profile = Profile.objects.select_for_update(of=("self",)).select_related("user", "organization").get(
            pk=grant.profile_id)
        if profile.role != grant.previous_role:
            raise ValidationError(_("The person's role changed since this grant was given; give it again."))
        if grant.role == Profile.Role.COCHAIR and not may_hold_cochair_role(profile.user):
            raise ValidationError(_("The co-chair role is only for accounts of a co-chair office."))
        grant.status, grant.decided_by, grant.decided_at = RoleGrant.Status.APPROVED, by, timezone.now()
        grant.save(update_fields=["status", "decided_by", "decided_at"])
        _set_role(profile=profile, role=grant.role, by=by)
        record_event(actor=by, action=AuditEvent.Action.ROLE_GRANT_APPROVED, target=profile.user,
                     detail={"grant": grant.pk, "to": grant.role, "requested_by": grant.requested_by.email})
        record_event(actor=by, action=AuditEvent.Action.ROLE_CHANGED, target=profile.user,
                     detail={"from": grant.previous_role, "to": grant.role, "email": profile.user.email,
                             "requested_by": grant.requested_by.email, "approved_by": by.email})
    return grant


def decline_role_grant(*, grant: RoleGrant, by) -> RoleGrant:
    """The second member of the secretariat declines: nothing changes for the person.

    Side effects: the grant declined (by, when), a ROLE_GRANT_DECLINED audit event. Raises
    PermissionDenied or ValidationError as approve_role_grant does.
    """
    with transaction.atomic():
        grant = _locked_pending_grant(grant, by)
        grant.status, grant.decided_by, grant.decided_at = RoleGrant.Status.DECLINED, by, timezone.now()
        grant.save(update_fields=["status", "decided_by", "decided_at"])
        record_event(actor=by, action=AuditEvent.Action.ROLE_GRANT_DECLINED, target=grant.profile.user,
                     detail={"grant": grant.pk, "to": grant.role, "requested_by": grant.requested_by.email})
    return grant


ERASED_EMAIL_DOMAIN = "erased.invalid"


def erase_person(*, user, by) -> None:
    """Erases a person's personal data for good: their name, job title, e-mail addresses,
    password, authenticators and enrolment links; the account stays (as "erased-<id>", unable to sign in) so
    that what they took part in keeps its shape.

    Side effects: the account and profile anonymised, every session of theirs ended (the
    password hash changes), their e-mail addresses, authenticators and enrolment links deleted, their name
    and address taken out of the audit record's lines about them and of their invitation,
    one audit event, and a line in the erasure ledger (dicas_portal/erasure_ledger.py), so
    that a restore of an older backup erases them again.
    """
    with transaction.atomic():
        _scrub(user.pk)
        record_event(actor=by, action=AuditEvent.Action.PERSON_ERASED, target=get_user_model().objects.get(pk=user.pk))
        erasure_ledger.record_erasure(user_id=user.pk)


def reapply_erasure(*, user_id: int) -> bool:
    """Erases again a person the ledger names, after a restore of a backup taken before they
    were erased. Returns False, changing nothing, when there is no such account in the
    database or it is erased already (the backup was taken after the erasure).

    Side effects: as erase_person, without a new ledger line; the audit event says it was
    re-applied.
    """
    with transaction.atomic():
        already = get_user_model().objects.filter(
            pk=user_id, email=f"erased-{user_id}@{ERASED_EMAIL_DOMAIN}", is_active=False
        ).exists()
        if already or not _scrub(user_id):
            return False
        record_event(actor=None, action=AuditEvent.Action.PERSON_ERASED,
                     target=get_user_model().objects.get(pk=user_id), detail={"reapplied_after_restore": True})
    return True


def _scrub(user_id: int) -> bool:
    User = get_user_model()
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        return False
    former_email = user.email
    alias = f"erased-{user.pk}"
    user.username = alias
    user.email = f"{alias}@{ERASED_EMAIL_DOMAIN}"
    user.first_name = ""
    user.last_name = ""
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.set_unusable_password()
    user.save()
    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    # An enrolment link names the address it was sent to, and the account can no longer use it.
    EnrolmentLink.objects.filter(user=user).delete()
    profile = Profile.objects.select_for_update().filter(user=user).first()
    if profile is not None:
        profile.full_name = ""
        profile.full_name_ja = ""
        profile.job_title = ""
        profile.calendar_token = new_calendar_token()
        profile.save()
    if former_email:
        Invitation.objects.filter(email__iexact=former_email).update(email=user.email, full_name="")
    Invitation.objects.filter(accepted_by=user).update(email=user.email, full_name="")
    _scrub_audit_record(user, former_email)
    return True


def _scrub_audit_record(user, former_email: str) -> None:
    """The lines about the person keep what happened, not who they were: their address
    comes out of every line's detail (a failed sign-in keeps what was typed as `login`),
    and the lines whose target is their account or profile no longer name them."""
    about_them = AuditEvent.objects.filter(target_type=ContentType.objects.get_for_model(user), target_id=user.pk)
    profile_id = Profile.objects.filter(user=user).values_list("pk", flat=True).first()
    if profile_id is not None:
        about_them |= AuditEvent.objects.filter(target_type=ContentType.objects.get_for_model(Profile),
                                                target_id=profile_id)
    naming_them = AuditEvent.objects.none()
    if former_email:
        naming_them = AuditEvent.objects.filter(
            models.Q(detail__email__iexact=former_email) | models.Q(detail__login__iexact=former_email)
        )
    alias = f"erased-{user.pk}"
    target_ids = set(about_them.values_list("pk", flat=True))
    for event in (about_them | naming_them).distinct():
        detail = {key: value for key, value in (event.detail or {}).items()
                  if key not in ("email", "login", "name", "full_name")}
        event.detail = detail
        if event.pk in target_ids:
            event.target_repr = alias
        event.save(update_fields=["detail", "target_repr"])
