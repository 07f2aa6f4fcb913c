"""iCalendar (RFC 5545) data for meetings: one meeting's .ics, and which meetings a
person's feed holds and how it reads.

Calendar programs match an event across downloads by its UID and replace their copy
only when SEQUENCE grows, so the UID never changes and `services.update_meeting`
raises `Meeting.sequence` whenever something shown here changes.
"""

import zoneinfo
from collections.abc import Callable, Iterable
from datetime import date, timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from participants.models import in_language
from working_groups.models import Membership

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


def personal_calendar(meetings: Iterable[Meeting], *, absolute_uri: AbsoluteUri) -> bytes:
    return build_calendar(meetings, name=_("DICAS meetings"), absolute_uri=absolute_uri).to_ical()
