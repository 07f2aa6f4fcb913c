"""Changes to participants. One function per action, keyword-only, one transaction each."""

from django.db import transaction

from .models import Country, Organization, Profile, new_calendar_token


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
    it unconfirmed, for the secretariat to confirm. Raises ValidationError for invalid values.
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
    return profile
