"""The queries the forum's pages need, with their joins."""

from django.db.models import QuerySet
from django.utils import timezone

from .models import Forum, Meeting
from .permissions import visible_meetings_filter


def meetings_visible_to(user) -> QuerySet[Meeting]:
    return (
        Meeting.objects.filter(visible_meetings_filter(user))
        .select_related("working_group", "venue_country", "forum")
        .distinct()
    )


def upcoming_meetings_for(user, *, limit: int | None = None) -> QuerySet[Meeting]:
    meetings = meetings_visible_to(user).filter(ends_at__gte=timezone.now()).order_by("starts_at", "pk")
    return meetings[:limit] if limit else meetings


def the_forum() -> Forum | None:
    """The portal runs one forum today; the model leaves room for more."""
    return (
        Forum.objects.prefetch_related("cochairs__country", "working_groups", "country_standings__country")
        .order_by("pk")
        .first()
    )
