"""Changes to participants. One function per action, keyword-only, one transaction each."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import record_event

from .affiliations import default_review_on, request_affiliation
from .enrolment import send_enrolment_link
from .mfa import has_second_factor
from .models import Country, EnrolmentLink, Organization, Profile, new_calendar_token
from .permissions import REVIEWED_ROLES, can_change_role, mfa_required


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


def change_role(*, profile: Profile, role: str, by) -> Profile:
    """The one way a role changes (the admin shows it read-only; no form of a person's own
    carries it). Nobody changes their own role, nor an administrator's, and nobody is made
    an administrator here (participants.permissions.assignable_roles).

    Side effects: the profile's role, one audit event with the old and new role; for a
    role that needs a second factor the person has not got, an enrolment link sent to
    their verified address (participants/enrolment.py: the password alone enrols none).
    Raises PermissionDenied when `by` may not give this role to this person.
    """
    with transaction.atomic():
        profile = Profile.objects.select_for_update(of=("self",)).select_related("user").get(pk=profile.pk)
        if not can_change_role(by, profile, role):
            raise PermissionDenied(_("You may not give this role to this person."))
        previous = profile.role
        if previous == role:
            return profile
        profile.role = role
        # People leave their posts: a co-chair or secretariat role is reviewed within a year.
        profile.role_review_on = default_review_on() if role in REVIEWED_ROLES else None
        profile.full_clean(validate_unique=False, validate_constraints=False)
        profile.save(update_fields=["role", "role_review_on"])
        record_event(actor=by, action=AuditEvent.Action.ROLE_CHANGED, target=profile.user,
                     detail={"from": previous, "to": role, "email": profile.user.email})
        if mfa_required(profile.user) and not has_second_factor(profile.user):
            send_enrolment_link(user=profile.user, reason=EnrolmentLink.Reason.PROMOTED, by=by)
    return profile
