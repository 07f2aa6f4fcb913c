"""iCalendar (RFC 5545) data for meetings: one meeting's .ics, and which meetings a
person's feed holds and how it reads.

Calendar programs match an event across downloads by its UID and replace their copy
only when SEQUENCE grows, so the UID never changes and `services.update_meeting`
raises `Meeting.sequence` whenever something shown here changes.
"""

import hashlib
import zoneinfo
from collections.abc import Callable, Iterable
from datetime import date, timedelta

from django.core.cache import caches
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, Timezone

from participants.models import in_language
from working_groups.models import Membership

from . import cache as page_cache
from .models import AgendaVersion, Meeting, Registration
from .permissions import visible_meetings_filter

PRODID = "-//DICAS Portal//Meetings//EN"
UID_DOMAIN = "dicas-portal"

# VTIMEZONE rules are written out for the span of the calendar's meetings, with a margin,
# rather than icalendar's default 1970-2038: shorter files, and meetings after 2038 still work.
TIME_ZONE_MARGIN = timedelta(days=366)

STATUS_OF_EVENT = {
    Meeting.Status.CANCELLED: "CANCELLED",
    # A postponed meeting keeps its old date until a new one is set: the date is not firm.
    Meeting.Status.POSTPONED: "TENTATIVE",
}

# Builds an absolute address ("https://host/meetings/3/") from a path; views pass
# `request.build_absolute_uri`.
AbsoluteUri = Callable[[str], str]


def with_agenda_titles(meetings: QuerySet[Meeting]) -> QuerySet[Meeting]:
    """What an .ics shows of each meeting, in a fixed number of queries however many there are.

    Only the published agenda: a draft the secretariat is still editing never leaves the portal.
    """
    versions = AgendaVersion.objects.order_by("-number").only("meeting_id", "number", "items")
    return meetings.prefetch_related(Prefetch("agenda_versions", queryset=versions, to_attr="published_agendas"))


def personal_feed_meetings(user) -> QuerySet[Meeting]:
    """The meetings of `user`'s feed: their working groups' meetings, every plenary and
    preparatory meeting, and those they registered for and still attend; always within
    what the pages show them."""
    their_groups = Membership.objects.filter(person=user).values("working_group_id")
    their_registrations = (
        Registration.objects.filter(person=user)
        .exclude(status__in=[Registration.Status.CANCELLED, Registration.Status.DECLINED])
        .values("meeting_id")
    )
    # Subqueries rather than joins: each meeting comes once, whatever the memberships.
    concerns_them = (
        Q(working_group_id__in=their_groups)
        | Q(kind__in=[Meeting.Kind.PLENARY, Meeting.Kind.PREPARATORY])
        | Q(pk__in=their_registrations)
    )
    # Never more than the pages show them; distinct in case the permission filter joins.
    meetings = Meeting.objects.filter(visible_meetings_filter(user)).filter(concerns_them).distinct()
    return with_agenda_titles(meetings.order_by("starts_at", "pk"))


def meeting_uid(meeting: Meeting) -> str:
    return f"meeting-{meeting.pk}@{UID_DOMAIN}"


def meeting_description(meeting: Meeting) -> str:
    """The summary, then the titles of the published agenda (prefetched by `with_agenda_titles`)."""
    parts = []
    if meeting.summary:
        parts.append(meeting.summary)
    versions = getattr(meeting, "published_agendas", None)
    if versions is None:
        versions = list(meeting.agenda_versions.order_by("-number")[:1])
    items = [in_language(entry.get("title_en", ""), entry.get("title_ja", "")) for entry in versions[0].items] if versions else []
    if items:
        lines = [_("Agenda:")] + [f"{number}. {title}" for number, title in enumerate(items, start=1)]
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def meeting_event(meeting: Meeting, absolute_uri: AbsoluteUri) -> Event:
    venue_zone = zoneinfo.ZoneInfo(meeting.time_zone)
    event = Event()
    event.add("uid", meeting_uid(meeting))
    event.add("sequence", meeting.sequence)
    # Without METHOD, DTSTAMP is when the stored information last changed (RFC 5545
    # 3.8.7.2); it also keeps the file identical between downloads when nothing changed.
    event.add("dtstamp", meeting.updated_at)
    event.add("last-modified", meeting.updated_at)
    # In the venue's zone, with its TZID: the event stays right across daylight-saving changes.
    event.add("dtstart", meeting.starts_at.astimezone(venue_zone))
    event.add("dtend", meeting.ends_at.astimezone(venue_zone))
    event.add("summary", meeting.title)
    if meeting.venue:
        event.add("location", meeting.venue)
    description = meeting_description(meeting)
    if description:
        event.add("description", description)
    event.add("url", absolute_uri(meeting.get_absolute_url()))
    event.add("status", STATUS_OF_EVENT.get(meeting.status, "CONFIRMED"))
    return event


def build_calendar(meetings: Iterable[Meeting], *, name: str, absolute_uri: AbsoluteUri) -> Calendar:
    """A calendar of `meetings`, with the VTIMEZONE of every venue zone they use.

    Titles and descriptions come out in the active language.
    """
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    first: date | None = None
    last: date | None = None
    for meeting in meetings:
        calendar.add_component(meeting_event(meeting, absolute_uri))
        first = min(first, meeting.starts_at.date()) if first else meeting.starts_at.date()
        last = max(last, meeting.ends_at.date()) if last else meeting.ends_at.date()
    if first is not None:
        calendar.add_missing_timezones(first_date=first - TIME_ZONE_MARGIN, last_date=last + TIME_ZONE_MARGIN)
    return calendar


def meeting_calendar(meeting: Meeting, *, absolute_uri: AbsoluteUri) -> bytes:
    return build_calendar([meeting], name=meeting.title, absolute_uri=absolute_uri).to_ical()


def personal_calendar(meetings: QuerySet[Meeting], *, absolute_uri: AbsoluteUri) -> bytes:
    return cached_calendar(meetings, name=_("DICAS meetings"), absolute_uri=absolute_uri)


# A feed of hundreds of meetings, built from pieces kept in the cache -----------------------
#
# Each meeting's VEVENT is a function of the meeting row (its SEQUENCE and updated_at move
# with every change), of its latest published agenda, of the language and of the site's
# address: that is its key, so no piece ever needs invalidating. Each zone's VTIMEZONE is a
# function of the zone and the span of years it covers. Only what is missing is rendered.

END_OF_CALENDAR = b"END:VCALENDAR\r\n"


def _event_key(pk: int, sequence: int, updated_at, version_id: int | None, language_and_site: str) -> str:
    return f"portal:vevent:{pk}:{sequence}:{updated_at.timestamp()}:{version_id}:{language_and_site}"


def time_zone_component(zone_name: str, first_year: int, last_year: int) -> bytes:
    """The VTIMEZONE of a zone for whole years (kept per process: zone rules change only
    with a new release of the system's zone data)."""
    local = caches["local"]
    key = f"portal:vtimezone:{zone_name}:{first_year}:{last_year}"
    component = local.get(key)
    if component is None:
        try:
            timezone = Timezone.from_tzid(zone_name, first_date=date(first_year, 1, 1),
                                          last_date=date(last_year, 12, 31))
        except ValueError:  # a zone icalendar does not know: calendars fall back on the UTC offset
            component = b""
        else:
            component = timezone.to_ical()
        local.set(key, component, timeout=None)
    return component


def cached_calendar(meetings: QuerySet[Meeting], *, name: str, absolute_uri: AbsoluteUri) -> bytes:
    """The same calendar as `build_calendar(meetings, …).to_ical()` (VTIMEZONEs span whole
    years), in three queries however many meetings: the keys of the meetings' pieces, then
    the rows of the pieces not in the cache (with their latest agenda)."""
    latest_version = AgendaVersion.objects.filter(meeting=OuterRef("pk")).order_by("-number")
    rows = list(
        meetings.prefetch_related(None)
        .annotate(latest_agenda_version_id=Subquery(latest_version.values("pk")[:1]))
        .values_list("pk", "sequence", "updated_at", "latest_agenda_version_id", "time_zone", "starts_at", "ends_at")
    )
    language_and_site = hashlib.sha256(f"{get_language()}|{absolute_uri('/')}".encode()).hexdigest()[:16]
    keys = {row[0]: _event_key(*row[:4], language_and_site) for row in rows}
    cache = page_cache.available_cache()
    try:
        events = cache.get_many(list(keys.values())) if cache is not None else {}
    except Exception:  # noqa: BLE001 — without the cache, every piece is rendered
        page_cache.cache_failed("reading calendar events")
        cache, events = None, {}
    missing = [pk for pk, key in keys.items() if key not in events]
    if missing:
        made = {}
        fresh = Meeting.objects.filter(pk__in=missing).annotate(
            latest_agenda_items=Subquery(latest_version.values("items")[:1])
        )
        for meeting in fresh:
            items = meeting.latest_agenda_items
            meeting.published_agendas = [AgendaVersion(items=items)] if items is not None else []
            made[keys[meeting.pk]] = meeting_event(meeting, absolute_uri).to_ical()
        try:
            if cache is not None:
                cache.set_many(made)
        except Exception:  # noqa: BLE001
            page_cache.cache_failed("storing calendar events")
        events.update(made)

    header = Calendar()
    header.add("prodid", PRODID)
    header.add("version", "2.0")
    header.add("x-wr-calname", name)
    head = header.to_ical()
    assert head.endswith(END_OF_CALENDAR)
    parts = [head[: -len(END_OF_CALENDAR)]]
    if rows:
        first = min(row[5] for row in rows).date() - TIME_ZONE_MARGIN
        last = max(row[6] for row in rows).date() + TIME_ZONE_MARGIN
        for zone_name in sorted({row[4] for row in rows}):
            parts.append(time_zone_component(zone_name, first.year, last.year))
    parts.extend(events[keys[row[0]]] for row in rows)
    parts.append(END_OF_CALENDAR)
    return b"".join(parts)
