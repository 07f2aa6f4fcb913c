"""The queries the forum's pages need, with their joins."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import DateTimeField, DurationField, ExpressionWrapper, F, Min, QuerySet, Subquery, Value
from django.utils import timezone

from audit.models import AuditEvent

from .filters import apply_schedule_filters
from .models import AgendaItem, Document, Forum, Meeting, Minutes
from .permissions import visible_meetings_filter


def meetings_visible_to(user) -> QuerySet[Meeting]:
    return Meeting.objects.filter(visible_meetings_filter(user)).select_related(
        "working_group", "venue_country", "forum"
    )


def meeting_row(pk: int) -> Meeting | None:
    """The meeting with what its page and its .ics check and show around the cached parts."""
    return Meeting.objects.select_related("working_group", "venue_country").filter(pk=pk).first()


def ending_at_or_after(meetings: QuerySet[Meeting], moment: datetime) -> QuerySet[Meeting]:
    """The meetings not over by `moment`, said so that the index on the start serves it.

    "Ends at or after" alone makes the database read, in order of start, every meeting
    that is long over before the first that is not (40,000 rows of 60,000 for the next
    page of the schedule). A meeting that ends after `moment` started after `moment` less
    the longest meeting's length: that bounds the start, and the longest length is one
    lookup in its own index (Meeting.Meta.indexes, "meeting_length").
    """
    longest = (
        Meeting.objects.annotate(length=ExpressionWrapper(F("ends_at") - F("starts_at"), output_field=DurationField()))
        .order_by("-length")
        .values("length")[:1]
    )
    earliest_start = ExpressionWrapper(Value(moment) - Subquery(longest), output_field=DateTimeField())
    return meetings.filter(ends_at__gte=moment, starts_at__gte=earliest_start)


def upcoming_meetings_for(user, *, limit: int | None = None) -> QuerySet[Meeting]:
    meetings = ending_at_or_after(meetings_visible_to(user), timezone.now()).order_by("starts_at", "pk")
    return meetings[:limit] if limit else meetings


def schedule_for(user, *, filters: dict, past: bool = False) -> QuerySet[Meeting]:
    """Upcoming meetings soonest first, or past ones latest first."""
    meetings = apply_schedule_filters(meetings_visible_to(user), filters)
    now = timezone.now()
    if past:
        # A meeting over by now started before now: the bound lets the index on the start
        # skip the meetings to come.
        return meetings.filter(ends_at__lt=now, starts_at__lt=now).order_by("-starts_at", "-pk")
    return ending_at_or_after(meetings, now).order_by("starts_at", "pk")


def next_schedule_change(user, *, filters: dict) -> datetime | None:
    """When the next of these meetings ends, leaving "upcoming" for "past"."""
    meetings = apply_schedule_filters(Meeting.objects.filter(visible_meetings_filter(user)), filters)
    return meetings.filter(ends_at__gte=timezone.now()).aggregate(next=Min("ends_at"))["next"]


def meetings_between(user, *, filters: dict, start: datetime, end: datetime) -> QuerySet[Meeting]:
    return (
        ending_at_or_after(apply_schedule_filters(meetings_visible_to(user), filters), start)
        .filter(starts_at__lt=end)
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


def handling_acknowledged(*, user, document: Document) -> bool:
    """Whether `user` has acknowledged the handling rule of this paper (an audit event)."""
    if not user.is_authenticated:
        return False
    return AuditEvent.objects.filter(
        actor=user, action=AuditEvent.Action.HANDLING_ACKNOWLEDGED,
        target_type=ContentType.objects.get_for_model(Document), target_id=document.pk,
    ).exists()
