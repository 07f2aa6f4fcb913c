"""The queries the working-group pages need, with their joins."""

from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils import timezone

from forums.models import Meeting
from forums.permissions import can_view_meeting, visible_meetings_filter

from .models import ActionItem, Membership, WorkingGroup
from .permissions import owned_by_filter, visible_action_items_filter


def action_items_with_owners() -> QuerySet[ActionItem]:
    return ActionItem.objects.select_related(
        "owner_person__profile", "owner_organization", "working_group", "meeting"
    ).order_by("due_on", "pk")


def open_action_items(*, user, groups: QuerySet[WorkingGroup] | list[WorkingGroup] | None = None) -> QuerySet[ActionItem]:
    """The open and in-progress items `user` may see, soonest due first; of `groups` when given."""
    items = action_items_with_owners().filter(visible_action_items_filter(user), status__in=ActionItem.OPEN_STATUSES)
    if groups is not None:
        items = items.filter(working_group__in=groups)
    return items


def action_items_for_review(*, user, meeting: Meeting) -> list[ActionItem]:
    """What a "Review of action items" agenda item lists: the open items of the meeting's
    working group, or of every group of the forum for a plenary, as far as `user` may see."""
    if meeting.working_group_id:
        groups = WorkingGroup.objects.filter(pk=meeting.working_group_id)
    else:
        groups = WorkingGroup.objects.filter(forum_id=meeting.forum_id)
    return mark_overdue(open_action_items(user=user, groups=groups), viewer=user)


def action_items_owned_by(user) -> QuerySet[ActionItem]:
    """Items owned by the person, or by their organisation, soonest due first."""
    return action_items_with_owners().filter(owned_by_filter(user))


def group_by_slug(slug: str) -> WorkingGroup | None:
    # Slugs are unique within a forum; the portal runs one forum, the first is the one.
    return WorkingGroup.objects.select_related("forum").filter(slug=slug).order_by("forum_id").first()


def group_members(group: WorkingGroup) -> QuerySet[Membership]:
    return (
        group.memberships.select_related("person__profile__organization__country")
        .order_by("role", "person__profile__full_name", "pk")
    )


def group_meetings(*, user, group: WorkingGroup) -> QuerySet[Meeting]:
    return (
        Meeting.objects.filter(visible_meetings_filter(user), working_group=group)
        .select_related("venue_country")
        .order_by("-starts_at", "-pk")
    )



def mark_overdue(items: Iterable[ActionItem], *, viewer, group_ids: Iterable[int] | None = None) -> list[ActionItem]:
    """Sets `overdue` on each item against today in the viewer's time zone (activated per
    request), and `shown_meeting`: the meeting it was raised at, only if `viewer` may see it
    (an owner outside the group must not learn a closed meeting's title from their list).
    `group_ids`: the viewer's working groups, when the caller has read them already."""
    today = timezone.localdate()
    marked = list(items)
    group_ids = set(group_ids) if group_ids is not None else set(Membership.objects.filter(person=viewer).values_list("working_group_id", flat=True)) if (
        viewer is not None and viewer.is_authenticated and any(item.meeting_id for item in marked)) else set()
    for item in marked:
        item.overdue = item.is_overdue(today)
        item.shown_meeting = item.meeting if item.meeting_id and can_view_meeting(
            viewer, item.meeting, group_ids=group_ids) else None
    return marked
