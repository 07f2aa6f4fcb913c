"""Changes to participants. One function per action, keyword-only, one transaction each."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import record_event

from .affiliations import default_review_on, request_affiliation
from .enrolment import send_enrolment_link
from .mfa import has_second_factor
from .models import Country, EnrolmentLink, Organization, Profile, RoleGrant, new_calendar_token
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
