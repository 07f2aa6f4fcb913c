"""Who a dispatch is told to: its audience rule, resolved by the worker when it sends, and
filtered through the same permission functions as the pages (forums/permissions.py), so
nobody is told of a meeting, minutes or paper they may not see."""

from collections.abc import Iterator

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import OuterRef, Q, Subquery

from forums.models import CoChair, Document, Meeting, Minutes, Registration
from forums.permissions import PaperClearance, can_read_minutes, can_view_meeting
from participants.permissions import STAFF_ROLES, Role
from working_groups.models import Membership, WorkingGroup

from .models import Dispatch, NotificationPreference, category_of, is_transactional

User = get_user_model()
Audience = Dispatch.Audience

# Registrations still coming to the meeting (the feed counts these too).
ATTENDING = [Registration.Status.PENDING, Registration.Status.CONFIRMED, Registration.Status.WAITLISTED]
# Every participant hears of these meetings, as every participant's calendar feed shows them.
MEETINGS_FOR_EVERYONE = frozenset({Meeting.Kind.PLENARY, Meeting.Kind.PREPARATORY})


def meeting_of(target: models.Model | None) -> Meeting | None:
    """The meeting a notice is about: the target itself, or the meeting it belongs to."""
    if isinstance(target, Meeting):
        return target
    return getattr(target, "meeting", None)


def group_of(target: models.Model | None) -> WorkingGroup | None:
    """The working group a notice is about, directly or through its meeting."""
    if isinstance(target, WorkingGroup):
        return target
    group = getattr(target, "working_group", None)
    if group is not None:
        return group
    meeting = meeting_of(target)
    return meeting.working_group if meeting is not None else None


def forum_id_of(target: models.Model | None) -> int | None:
    for candidate in (target, meeting_of(target), group_of(target)):
        forum_id = getattr(candidate, "forum_id", None)
        if forum_id is not None:
            return forum_id
    return None


def may_be_told(user, target: models.Model, *, group_ids: set[int] | None = None) -> bool:
    """Whether `user` may see what the notice is about, asked as the pages ask it.
    `group_ids`: the person's working groups, when the caller read them for many people."""
    if isinstance(target, Minutes):
        return can_read_minutes(user, target, group_ids=group_ids)
    if isinstance(target, Document):
        return PaperClearance(user, group_ids=group_ids).may_download(target)
    meeting = meeting_of(target)
    if meeting is not None:
        return can_view_meeting(user, meeting, group_ids=group_ids)
    return True


def _members(group: WorkingGroup | None) -> Q:
    if group is None:
        return Q(pk__in=[])
    return Q(pk__in=Membership.objects.filter(working_group=group).values("person_id"))


def _registered(meeting: Meeting | None, statuses: list[str]) -> Q:
    if meeting is None:
        return Q(pk__in=[])
    return Q(pk__in=Registration.objects.filter(meeting=meeting, status__in=statuses).values("person_id"))


def audience_condition(dispatch: Dispatch, target: models.Model) -> Q:
    """The rule as a condition on users, before permissions: who the notice concerns."""
    meeting = meeting_of(target)
    group = group_of(target)
    audience = dispatch.audience
    if audience == Audience.MEETING_VIEWERS:
        # Those whose calendar feed shows the meeting (forums.calendars.personal_feed_meetings).
        condition = _members(group) | _registered(meeting, ATTENDING)
        if meeting is not None and meeting.kind in MEETINGS_FOR_EVERYONE:
            condition |= Q(profile__isnull=False)
        return condition
    if audience == Audience.MEETING_ATTENDEES:
        return _members(group) | _registered(meeting, [Registration.Status.CONFIRMED])
    if audience == Audience.GROUP_MEMBERS:
        return _members(group)
    if audience == Audience.COCHAIRS:
        # The holders of the co-chair offices, and anyone given the co-chair role.
        holders = CoChair.objects.filter(forum_id=forum_id_of(target), holder__isnull=False).values("holder_id")
        return Q(profile__role=Role.COCHAIR) | Q(pk__in=holders)
    if audience == Audience.SECRETARIAT:
        return Q(profile__role__in=STAFF_ROLES) | Q(is_superuser=True)
    if audience == Audience.PERSON:
        return Q(pk=dispatch.person_id) if dispatch.person_id else Q(pk__in=[])
    raise ValueError(f"unknown audience {audience!r}")


def held_for_digest(person) -> bool:
    """Whether a person `recipients` gave takes this kind of notice in the daily digest.
    Never so for a notice about their own registration: it goes at once, whatever they chose."""
    return getattr(person, "notice_mode", None) == NotificationPreference.Mode.DIGEST


def recipients(dispatch: Dispatch, target: models.Model) -> Iterator:
    """The people to tell, one by one: concerned by the rule, active, with an address,
    not unsubscribed from this kind of notice (unless it is about their own
    registration), and allowed to see the target."""
    people = (
        User.objects.filter(audience_condition(dispatch, target), is_active=True)
        .exclude(email="")
        .select_related("profile__organization")
        .order_by("pk")
    )
    if not is_transactional(dispatch):
        chosen = NotificationPreference.objects.filter(category=category_of(dispatch))
        switched_off = chosen.filter(mode=NotificationPreference.Mode.OFF).values("person_id")
        # Read with the people, for held_for_digest: no query per person.
        people = people.exclude(pk__in=switched_off).annotate(
            notice_mode=Subquery(chosen.filter(person=OuterRef("pk")).values("mode")[:1])
        )
    for chunk in _in_chunks(people):
        # The permission check needs each person's groups: read for the chunk at once,
        # not once per person (ten thousand queries for a large group's minutes).
        group_ids = group_ids_by_person(person.pk for person in chunk)
        for person in chunk:
            if may_be_told(person, target, group_ids=group_ids[person.pk]):
                yield person


RECIPIENT_CHUNK = 2000


def _in_chunks(people: models.QuerySet) -> Iterator[list]:
    """The people ordered by pk, a chunk per query (keyset): bounded memory, and each chunk
    planned as an ordinary query; a server-side cursor is planned for its first rows and,
    on a freshly filled table, chose a plan a hundred times slower."""
    last_pk = 0
    while chunk := list(people.filter(pk__gt=last_pk)[:RECIPIENT_CHUNK]):
        yield chunk
        last_pk = chunk[-1].pk


def group_ids_by_person(person_ids) -> dict[int, set[int]]:
    """Each person's working groups, for many people in one query (may_be_told's `group_ids`)."""
    group_ids: dict[int, set[int]] = {person_id: set() for person_id in person_ids}
    memberships = Membership.objects.filter(person_id__in=group_ids).values_list("person_id", "working_group_id")
    for person_id, group_id in memberships:
        group_ids[person_id].add(group_id)
    return group_ids
