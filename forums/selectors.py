"""The queries the forum's pages need, with their joins."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from .filters import apply_schedule_filters
from .models import AgendaItem, Forum, Meeting, Minutes
from .permissions import visible_meetings_filter


def meetings_visible_to(user) -> QuerySet[Meeting]:
    return Meeting.objects.filter(visible_meetings_filter(user)).select_related(
        "working_group", "venue_country", "forum"
    )


def upcoming_meetings_for(user, *, limit: int | None = None) -> QuerySet[Meeting]:
    meetings = meetings_visible_to(user).filter(ends_at__gte=timezone.now()).order_by("starts_at", "pk")
    return meetings[:limit] if limit else meetings


def schedule_for(user, *, filters: dict, past: bool = False) -> QuerySet[Meeting]:
    """Upcoming meetings soonest first, or past ones latest first."""
    meetings = apply_schedule_filters(meetings_visible_to(user), filters)
    now = timezone.now()
    if past:
        return meetings.filter(ends_at__lt=now).order_by("-starts_at", "-pk")
    return meetings.filter(ends_at__gte=now).order_by("starts_at", "pk")


def meetings_between(user, *, filters: dict, start: datetime, end: datetime) -> QuerySet[Meeting]:
    return (
        apply_schedule_filters(meetings_visible_to(user), filters)
        .filter(starts_at__lt=end, ends_at__gte=start)
        .order_by("starts_at", "pk")
    )


@dataclass(frozen=True)
class TimedAgendaItem:
    item: AgendaItem
    starts_at: datetime


def timed_agenda(meeting: Meeting) -> tuple[list[TimedAgendaItem], timedelta]:
    """Each item with its start, run on from the meeting's start; and the agenda's total length."""
    timed, clock = [], meeting.starts_at
    for item in meeting.agenda_items.select_related("presenter_organization").order_by("position"):
        timed.append(TimedAgendaItem(item=item, starts_at=clock))
        clock += timedelta(minutes=item.duration_minutes)
    return timed, clock - meeting.starts_at


def published_minutes(meeting: Meeting) -> Minutes | None:
    return meeting.minutes.filter(status=Minutes.Status.PUBLISHED).order_by("-version").first()


def the_forum() -> Forum | None:
    """The portal runs one forum today; the model leaves room for more."""
    return (
        Forum.objects.prefetch_related("cochairs__country", "working_groups", "country_standings__country")
        .order_by("pk")
        .first()
    )
