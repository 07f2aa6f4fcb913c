"""Changes to meetings. One function per action, keyword-only, one transaction each."""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from notifications.models import Dispatch
from notifications.services import record_dispatch

from ..models import Meeting
from ..permissions import can_manage_meeting

# The fields an .ics shows (see calendars.py). Calendar programs replace their copy of an
# event only when its SEQUENCE grows, so a change to any of these must raise it.
CALENDAR_FIELDS = (
    "starts_at",
    "ends_at",
    "time_zone",
    "title_en",
    "title_ja",
    "summary_en",
    "summary_ja",
    "venue_en",
    "venue_ja",
    "status",
)

# What `update_meeting` may change: the fields a form could edit, not the id or the sequence.
CHANGEABLE_FIELDS = frozenset(
    field.attname for field in Meeting._meta.concrete_fields if field.editable and not field.primary_key
) | frozenset(field.name for field in Meeting._meta.concrete_fields if field.editable and field.is_relation)


def bump_sequence_if_calendar_changed(old: Meeting, new: Meeting) -> bool:
    """Set `new.sequence` one above the stored `old` when a field calendars show differs.

    `old` must be the row as stored (read it with select_for_update inside the saving
    transaction, so that two edits at once both count).
    """
    if any(getattr(old, name) != getattr(new, name) for name in CALENDAR_FIELDS):
        new.sequence = old.sequence + 1
        return True
    new.sequence = old.sequence
    return False


def update_meeting(*, meeting: Meeting, by, **changes) -> Meeting:
    """Apply `changes` (field name → value), validate, and save; returns the meeting.

    Raises PermissionDenied when `by` may not manage the meeting, TypeError for a field
    that cannot be changed this way, and ValidationError when the result is invalid.
    """
    if not can_manage_meeting(by, meeting):
        raise PermissionDenied
    unknown = set(changes) - CHANGEABLE_FIELDS
    if unknown:
        raise TypeError(f"update_meeting() cannot change {', '.join(sorted(unknown))}")
    with transaction.atomic():
        # The row as stored now, locked until commit: the sequence grows from the latest
        # value, and the save writes `changes` over the latest row, not over a stale copy.
        stored = Meeting.objects.select_for_update().get(pk=meeting.pk)
        for field in Meeting._meta.concrete_fields:
            setattr(meeting, field.attname, getattr(stored, field.attname))
        for name, value in changes.items():
            setattr(meeting, name, value)
        bump_sequence_if_calendar_changed(stored, meeting)
        meeting.full_clean()
        meeting.save()
        record_change_notice(stored, meeting)
    return meeting


# A change to any of these moves the meeting in people's calendars: they are told.
RESCHEDULE_FIELDS = ("starts_at", "ends_at", "time_zone", "venue_en", "venue_ja")


def record_change_notice(old: Meeting, new: Meeting) -> Dispatch | None:
    """Records, in the saving transaction, the notice a change calls for: cancelled,
    postponed, or rescheduled (new time or place, or back on after a postponement).
    A draft was nobody's business, and a meeting already held or cancelled has no news."""
    Status = Meeting.Status
    if old.status in (Status.DRAFT, Status.HELD) or new.status in (Status.DRAFT, Status.HELD):
        return None
    if new.status != old.status and new.status == Status.CANCELLED:
        event = Dispatch.Event.MEETING_CANCELLED
    elif new.status != old.status and new.status == Status.POSTPONED:
        event = Dispatch.Event.MEETING_POSTPONED
    elif new.status != Status.CANCELLED and (
        any(getattr(old, name) != getattr(new, name) for name in RESCHEDULE_FIELDS) or new.status != old.status
    ):
        event = Dispatch.Event.MEETING_RESCHEDULED
    else:
        return None
    return record_dispatch(
        event=event,
        target=new,
        audience=Dispatch.Audience.MEETING_VIEWERS,
        context={
            "previous_starts_at": old.starts_at.isoformat(),
            "previous_ends_at": old.ends_at.isoformat(),
            "previous_time_zone": old.time_zone,
        },
    )


def cancel_meeting(*, meeting: Meeting, by) -> Meeting:
    return update_meeting(meeting=meeting, by=by, status=Meeting.Status.CANCELLED)


def postpone_meeting(*, meeting: Meeting, by) -> Meeting:
    """Postponed: the old date stays shown, as tentative, until a new one is set."""
    return update_meeting(meeting=meeting, by=by, status=Meeting.Status.POSTPONED)
