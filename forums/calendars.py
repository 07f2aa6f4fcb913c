"""iCalendar (RFC 5545) data for meetings: one meeting's .ics, and which meetings a
person's feed holds and how it reads.

Calendar programs match an event across downloads by its UID and replace their copy
only when SEQUENCE grows, so the UID never changes and `services.update_meeting`
raises `Meeting.sequence` whenever something shown here changes.
"""

import calendar as calendar_module
import functools
import hashlib
import zoneinfo
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import caches
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard

from participants.models import in_language
from working_groups.models import Membership

from . import cache as page_cache
from .models import AgendaVersion, Meeting, Registration
from .permissions import visible_meetings_filter

PRODID = "-//DICAS Portal//Meetings//EN"
# Part of the key of every calendar kept in the cache: raised when the way files are written
# changes, so that none written the old way is served after an upgrade.
FORMAT = 2


def written_as() -> str:
    """What, besides the content, a kept calendar depends on: how files are written and
    the UID domain (a setting)."""
    return f"{FORMAT}@{settings.PORTAL_UID_DOMAIN}"

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
    """Random per meeting and stored, at this installation's domain: unique in the world, as
    RFC 5545 asks, and the same in every download and invitation of the meeting."""
    return f"{meeting.calendar_uid_part}@{settings.PORTAL_UID_DOMAIN}"


def venue_time(moment: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    """`moment` as DTSTART/DTEND write it: the venue's wall-clock time with its TZID, so that
    the event follows the venue's daylight-saving changes, except in the hour a fall-back
    repeats. A wall-clock time there names two moments, and RFC 5545 reads it as the first
    whichever was meant; in UTC every calendar program reads the same moment."""
    local = moment.astimezone(zone)
    if local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset():
        return moment.astimezone(UTC)
    return local


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
    event.add("dtstart", venue_time(meeting.starts_at, venue_zone))
    event.add("dtend", venue_time(meeting.ends_at, venue_zone))
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
    meetings = list(meetings)
    if meetings:
        first_year, last_year = time_zone_years(min(meeting.starts_at for meeting in meetings),
                                                max(meeting.ends_at for meeting in meetings))
        for zone_name in sorted({meeting.time_zone for meeting in meetings}):
            component = time_zone_component(zone_name, first_year, last_year)
            if component:
                calendar.add_component(Timezone.from_ical(component))
    for meeting in meetings:
        calendar.add_component(meeting_event(meeting, absolute_uri))
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


def time_zone_years(first_start: datetime, last_end: datetime) -> tuple[int, int]:
    """The whole years a calendar's VTIMEZONEs cover for meetings in this span, with a margin."""
    return (first_start.date() - TIME_ZONE_MARGIN).year, (last_end.date() + TIME_ZONE_MARGIN).year


def time_zone_component(zone_name: str, first_year: int, last_year: int) -> bytes:
    """The VTIMEZONE of a zone for whole years (kept per process: zone rules change only
    with a new release of the system's zone data); empty for a zone the system does not know."""
    local = caches["local"]
    key = f"portal:vtimezone:{FORMAT}:{zone_name}:{first_year}:{last_year}"
    component = local.get(key)
    if component is None:
        try:
            zone = zoneinfo.ZoneInfo(zone_name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            component = b""  # calendar programs fall back on the UTC offset
        else:
            component = time_zone_definition(zone_name, zone, first_year, last_year).to_ical()
        local.set(key, component, timeout=None)
    return component


# Checking the offset once a day finds every change of today's zones (none changes twice
# within a day); each change found is then narrowed down to the second.
SCAN_STEP = timedelta(days=1)


def _observance(moment: datetime, zone: zoneinfo.ZoneInfo) -> tuple[timedelta, bool, str]:
    local = moment.astimezone(zone)
    return local.utcoffset(), local.dst() > timedelta(0), local.tzname() or ""


@functools.lru_cache(maxsize=4096)
def changes_in_year(zone_name: str, year: int) -> tuple[tuple[datetime, timedelta, tuple], ...]:
    """Each change of the zone's offset, daylight saving or abbreviation in `year` (from its
    local new year to the next): (its UTC moment, the offset before, the observance after).

    Kept per process and year: feeds of different spans share the years they have in common.
    """
    zone = zoneinfo.ZoneInfo(zone_name)
    start = datetime(year, 1, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=zone).astimezone(UTC)
    changes = []
    before_moment, before = start, _observance(start, zone)
    moment = start
    while moment < end:
        moment = min(moment + SCAN_STEP, end)
        now = _observance(moment, zone)
        if now != before:
            low, high = before_moment, moment
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if _observance(middle, zone) == before:
                    low = middle
                else:
                    high = middle
            changes.append((high.replace(microsecond=0), before[0], now))
        before_moment, before = moment, now
    return tuple(changes)


WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def yearly_rule(onsets: list[datetime]) -> dict | None:
    """The RRULE that gives exactly these onsets, one a year, when they follow a rule such as
    "the second Sunday of March at 02:00" or "the last Sunday of October"; None otherwise."""
    if len(onsets) < 2:
        return None
    first = onsets[0]
    if [onset.year for onset in onsets] != list(range(first.year, first.year + len(onsets))):
        return None
    if any((onset.month, onset.weekday(), onset.time()) != (first.month, first.weekday(), first.time())
           for onset in onsets):
        return None
    positions = {(onset.day - 1) // 7 + 1 for onset in onsets}
    # "The last Sunday" before "the fourth": a few years of a last-Sunday rule may all fall
    # on fourth Sundays, and the rule must hold after them too.
    if all(onset.day + 7 > calendar_module.monthrange(onset.year, onset.month)[1] for onset in onsets):
        position = -1
    elif len(positions) == 1 and positions != {5}:
        position = positions.pop()
    else:
        return None
    return {"FREQ": "YEARLY", "BYMONTH": first.month, "BYDAY": f"{position}{WEEKDAYS[first.weekday()]}"}


def time_zone_definition(zone_name: str, zone: zoneinfo.ZoneInfo, first_year: int, last_year: int) -> Timezone:
    """The VTIMEZONE of `zone` from the start of `first_year` to the end of `last_year`,
    worked out from the system's zone data, written so that every calendar program we know
    reads it alike (tests/calendar_clients.py reads it with icalendar, vobject and ical.js).

    One observance per kind of change (to daylight saving, back to standard time), its first
    onset as DTSTART, in the local time before the change as RFC 5545 says (02:00 when New
    York springs forward, not 03:00). A kind that follows a yearly rule is written as an
    RRULE ("the second Sunday of March"), as Google Calendar and Outlook write theirs:
    Outlook misreads VTIMEZONEs made of RDATEs. Any other (a zone whose rules changed
    within the span) lists its changes one RDATE per line, the first one included: ical.js
    reads only the first date of an RDATE listing several (a Washington meeting came out an
    hour late), and ignores the DTSTART of an observance that has RDATEs.
    """
    start = datetime(first_year, 1, 1, tzinfo=zone).astimezone(UTC)
    timezone = Timezone()
    timezone.add("tzid", zone_name)

    def observance(offset_from: timedelta, offset_to: timedelta, daylight: bool, name: str):
        component = TimezoneDaylight() if daylight else TimezoneStandard()
        if name:
            component.add("tzname", name)
        component.add("tzoffsetfrom", offset_from)
        component.add("tzoffsetto", offset_to)
        return component

    kinds: dict[tuple, list[tuple[datetime, datetime]]] = {}
    for year in range(first_year, last_year + 1):
        for moment, offset_from, (offset_to, daylight, name) in changes_in_year(zone_name, year):
            onset = (moment + offset_from).replace(tzinfo=None)
            # DAYLIGHT for the change that puts clocks forward, whatever the zone data calls
            # it: Dublin's and Casablanca's call their winter time the daylight-saving one
            # (negative DST), and dateutil (icalendar, vobject) misreads it written that way.
            if offset_to != offset_from:
                daylight = offset_to > offset_from
            kinds.setdefault((offset_from, offset_to, daylight, name), []).append((moment, onset))

    components = []
    all_by_rule = bool(kinds)
    for (offset_from, offset_to, daylight, name), occurrences in kinds.items():
        component = observance(offset_from, offset_to, daylight, name)
        onsets = [onset for _, onset in occurrences]
        component.add("dtstart", onsets[0])
        rule = yearly_rule(onsets)
        if rule is not None:
            if onsets[-1].year < last_year:  # the zone stopped making this change
                rule["UNTIL"] = occurrences[-1][0]
            component.add("rrule", rule)
        elif len(onsets) > 1:
            all_by_rule = False
            for onset in onsets:
                component.add("rdate", onset)
        else:
            all_by_rule = False
        components.append(component)

    if not all_by_rule:
        # What holds from the first moment the definition covers. Not needed when every kind
        # is a yearly rule: each has had its first onset before the first meeting, a year on.
        offset, daylight, name = _observance(start, zone)
        opening = observance(offset, offset, daylight, name)
        opening.add("dtstart", (start + offset).replace(tzinfo=None))
        timezone.add_component(opening)
    for component in components:
        timezone.add_component(component)
    return timezone


def cached_calendar(meetings: QuerySet[Meeting], *, name: str, absolute_uri: AbsoluteUri) -> bytes:
    """The same calendar as `build_calendar(meetings, …).to_ical()`, in three queries however many meetings: the keys of the meetings' pieces, then
    the rows of the pieces not in the cache (with their latest agenda)."""
    latest_version = AgendaVersion.objects.filter(meeting=OuterRef("pk")).order_by("-number")
    rows = list(
        meetings.prefetch_related(None)
        .annotate(latest_agenda_version_id=Subquery(latest_version.values("pk")[:1]))
        .values_list("pk", "sequence", "updated_at", "latest_agenda_version_id", "time_zone", "starts_at", "ends_at")
    )
    language_and_site = hashlib.sha256(
        f"{get_language()}|{absolute_uri('/')}|{written_as()}".encode()).hexdigest()[:16]
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
        first_year, last_year = time_zone_years(min(row[5] for row in rows), max(row[6] for row in rows))
        for zone_name in sorted({row[4] for row in rows}):
            parts.append(time_zone_component(zone_name, first_year, last_year))
    parts.extend(events[keys[row[0]]] for row in rows)
    parts.append(END_OF_CALENDAR)
    return b"".join(parts)
