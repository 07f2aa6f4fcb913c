"""Changes to participants. One function per action, keyword-only, one transaction each."""

from django.db import transaction

from .models import Profile, new_calendar_token


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
