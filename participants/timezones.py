"""Time-zone names the portal accepts: IANA names known to this system's zoneinfo."""

import zoneinfo
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


@lru_cache(maxsize=1)
def available_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_valid_time_zone(name: str) -> bool:
    return name in available_time_zones()


def validate_time_zone(name: str) -> None:
    if not is_valid_time_zone(name):
        raise ValidationError(
            _("“%(name)s” is not a known time zone; use an IANA name such as Asia/Tokyo."),
            code="unknown_time_zone",
            params={"name": name},
        )


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(available_time_zones())]


# The forum meets in these places; their zones are named after the capital, not the
# city IANA happens to use (an official in Washington thinks "Washington time").
ZONE_PLACE_NAMES = {
    "America/New_York": _("Washington"),
    "Asia/Tokyo": _("Tokyo"),
    "Pacific/Honolulu": _("Honolulu"),
    "Australia/Sydney": _("Sydney"),
    "Asia/Kolkata": _("New Delhi"),
    "UTC": _("UTC"),
}


def zone_place_name(name: str) -> str:
    return str(ZONE_PLACE_NAMES.get(name, name.rsplit("/", 1)[-1].replace("_", " ")))


# Offered first in the zone switcher: where the forum's people live and meet.
COMMON_TIME_ZONES = ["Asia/Tokyo", "America/New_York", "Pacific/Honolulu", "America/Los_Angeles",
                     "Europe/London", "Australia/Sydney", "Asia/Kolkata", "UTC"]
