"""Times in e-mails: written out in full (a mail is read later, and away from the page),
in the venue's zone and, when it differs, in the recipient's."""

import zoneinfo
from datetime import datetime

from django import template
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from participants.timezones import zone_place_name

register = template.Library()


def _moment_in(moment: datetime, zone_name: str) -> str:
    local = moment.astimezone(zoneinfo.ZoneInfo(zone_name))
    return _("%(date)s %(time)s %(zone)s (%(place)s)") % {
        "date": formats.date_format(local, "DATE_FORMAT"),
        "time": formats.time_format(local, "H:i"),
        "zone": local.tzname(),
        "place": zone_place_name(zone_name),
    }


@register.simple_tag
def both_zones(moment: datetime | None, venue_zone_name: str) -> str:
    """'June 11, 2024 10:00 JST (Tokyo); for you: June 10, 2024 21:00 EDT (Washington)'.

    The recipient's zone is the active one (the renderer activates it from the profile).
    """
    if moment is None:
        return ""
    venue_text = _moment_in(moment, venue_zone_name)
    viewer_zone = timezone.get_current_timezone()
    if moment.astimezone(viewer_zone).utcoffset() == moment.astimezone(zoneinfo.ZoneInfo(venue_zone_name)).utcoffset():
        return venue_text
    return _("%(venue)s; for you: %(viewer)s") % {
        "venue": venue_text,
        "viewer": _moment_in(moment, str(viewer_zone)),
    }


@register.simple_tag
def viewer_zone(moment: datetime | None) -> str:
    """'June 11, 2030 02:00 EDT (Washington)': when something happened, for the recipient
    alone (no venue to compare with)."""
    if moment is None:
        return ""
    return _moment_in(moment, str(timezone.get_current_timezone()))
