"""Times shown in the venue's zone and, when it differs, in the viewer's."""

import zoneinfo
from datetime import datetime

from django import template
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from participants.timezones import zone_place_name

register = template.Library()




def _clock(moment: datetime, zone: zoneinfo.ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{formats.time_format(local, 'H:i')} {local.tzname()}"


def _labelled(moment: datetime, zone_name: str) -> str:
    """'10:00 JST (Tokyo)'; just '05:00 UTC' where the place would repeat the zone."""
    clock = _clock(moment, zoneinfo.ZoneInfo(zone_name))
    place = zone_place_name(zone_name)
    return clock if clock.endswith(f" {place}") else f"{clock} ({place})"


@register.simple_tag(takes_context=True)
def dual_time(context, moment: datetime | None, venue_zone_name: str):
    """'10:00 JST (Tokyo) · 21:00 EDT (New York), the day before'."""
    if moment is None:
        return ""
    venue_zone = zoneinfo.ZoneInfo(venue_zone_name)
    viewer_zone = timezone.get_current_timezone()
    venue_text = _labelled(moment, venue_zone_name)
    venue_local = moment.astimezone(venue_zone)
    viewer_local = moment.astimezone(viewer_zone)
    if venue_local.utcoffset() == viewer_local.utcoffset():
        return format_html('<time datetime="{}">{}</time>', moment.isoformat(), venue_text)
    day_shift = (viewer_local.date() - venue_local.date()).days
    viewer_text = _labelled(moment, str(viewer_zone))
    if day_shift < 0:
        viewer_text += _(", the day before")
    elif day_shift > 0:
        viewer_text += _(", the day after")
    return format_html(
        '<time datetime="{}">{} · <span class="viewer-time">{}</span></time>',
        moment.isoformat(),
        venue_text,
        viewer_text,
    )


@register.simple_tag
def venue_date(moment: datetime | None, venue_zone_name: str) -> str:
    """The date of the meeting where it is held, in the active language's format."""
    if moment is None:
        return ""
    return formats.date_format(moment.astimezone(zoneinfo.ZoneInfo(venue_zone_name)), "DATE_FORMAT")


@register.simple_tag(takes_context=True)
def when(context, moment: datetime | None, venue_zone_name: str):
    """The venue's date, then the time in both zones: '11 June 2024, 10:00 JST (Tokyo) · …'."""
    if moment is None:
        return ""
    return format_html(
        _("{date}, {time}"), date=venue_date(moment, venue_zone_name), time=dual_time(context, moment, venue_zone_name)
    )
