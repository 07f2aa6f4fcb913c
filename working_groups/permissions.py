"""May this person see a working group's inner workings or change its action items?"""

from collections.abc import Iterable

from django.db.models import Q

from participants.permissions import is_participant, is_secretariat, sees_every_meeting, verified_organization_id

from .models import ActionItem, Membership, WorkingGroup


def is_member(user, group: WorkingGroup) -> bool:
    return is_participant(user) and Membership.objects.filter(working_group=group, person=user).exists()


def can_see_group_workings(user, group: WorkingGroup, *, group_ids: Iterable[int] | None = None) -> bool:
    """The member list and the action items: for the group's members, the co-chairs and the secretariat.

    `group_ids`: the person's working groups, when the caller has read them already."""
    if sees_every_meeting(user):
        return True
    if group_ids is not None:
        return is_participant(user) and group.pk in group_ids
    return is_member(user, group)


def visible_action_items_filter(user) -> Q:
    """The condition on ActionItem rows `user` may see: their groups' items and their own."""
    if sees_every_meeting(user):
        return Q()
    if not is_participant(user):
        return Q(pk__in=[])
    their_groups = Membership.objects.filter(person=user).values("working_group_id")
    return Q(working_group_id__in=their_groups) | owned_by_filter(user)


def owned_by_filter(user) -> Q:
    """Items owned by the person, or by the organisation the portal verified they work for
    (never one they merely named)."""
    own = Q(owner_person=user)
    if (organization_id := verified_organization_id(user)) is not None:
        own |= Q(owner_organization_id=organization_id)
    return own


def can_record_action_items(user) -> bool:
    return is_secretariat(user)


def owns_action_item(user, item: ActionItem) -> bool:
    if not is_participant(user):
        return False
    if item.owner_person_id is not None:
        return item.owner_person_id == user.pk
    organization_id = verified_organization_id(user)
    return organization_id is not None and organization_id == item.owner_organization_id


def statuses_settable_by(user, item: ActionItem) -> list[str]:
    """The secretariat sets any status; an owner reports progress but does not drop an item."""
    if is_secretariat(user):
        return list(ActionItem.Status.values)
    if owns_action_item(user, item):
        return [ActionItem.Status.OPEN, ActionItem.Status.IN_PROGRESS, ActionItem.Status.DONE]
    return []
