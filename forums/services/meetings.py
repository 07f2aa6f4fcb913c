"""Changes to meetings. One function per action, keyword-only, one transaction each."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import record_event
from notifications.models import Dispatch
from notifications.services import record_dispatch, supersede_held

from ..models import AgendaItem, Forum, Meeting
from ..permissions import can_create_meeting, can_manage_meeting

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
    Side effects: the notice the change calls for (record_change_notice) and an audit
    event naming each changed field's old and new value.
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
        _audit_change(stored, meeting, by)
    return meeting


STATUS_ACTIONS = {
    Meeting.Status.SCHEDULED: AuditEvent.Action.MEETING_PUBLISHED,
    Meeting.Status.POSTPONED: AuditEvent.Action.MEETING_POSTPONED,
    Meeting.Status.CANCELLED: AuditEvent.Action.MEETING_CANCELLED,
    Meeting.Status.HELD: AuditEvent.Action.MEETING_HELD,
}


def _audit_change(old: Meeting, new: Meeting, by) -> None:
    """Who changed what (old and new value of each field), for the audit record."""
    changed = {}
    for field in Meeting._meta.concrete_fields:
        before, after = getattr(old, field.attname), getattr(new, field.attname)
        if field.attname in ("updated_at", "sequence") or before == after:
            continue
        changed[field.attname] = [_jsonable(before), _jsonable(after)]
    if not changed:
        return
    action = AuditEvent.Action.MEETING_CHANGED
    if old.status != new.status:
        published = old.status == Meeting.Status.DRAFT and new.status == Meeting.Status.SCHEDULED
        if published or new.status != Meeting.Status.SCHEDULED:
            action = STATUS_ACTIONS.get(new.status, AuditEvent.Action.MEETING_CHANGED)
    record_event(actor=by, action=action, target=new, detail={"changed": changed})


def _jsonable(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


# A change to any of these moves the meeting in people's calendars: they are told.
RESCHEDULE_FIELDS = ("starts_at", "ends_at", "time_zone", "venue_en", "venue_ja")
CHANGE_EVENTS = (
    Dispatch.Event.MEETING_RESCHEDULED,
    Dispatch.Event.MEETING_POSTPONED,
    Dispatch.Event.MEETING_CANCELLED,
)


def _previous_state(meeting: Meeting) -> dict:
    """What people were last told of the meeting, as the notice's context keeps it."""
    return {
        "previous_starts_at": meeting.starts_at.isoformat(),
        "previous_ends_at": meeting.ends_at.isoformat(),
        "previous_time_zone": meeting.time_zone,
        "previous_venue_en": meeting.venue_en,
        "previous_venue_ja": meeting.venue_ja,
        "previous_status": meeting.status,
    }


def _unchanged_since(previous: dict, meeting: Meeting) -> bool:
    current = _previous_state(meeting)
    return all(previous.get(name, current[name]) == current[name] for name in current)


def record_change_notice(old: Meeting, new: Meeting) -> Dispatch | None:
    """Records, in the saving transaction, the notice a change calls for: cancelled,
    postponed, or rescheduled (new time or place, or back on after a postponement).
    A draft was nobody's business, and a meeting already held or cancelled has no news.

    The notice is held for NOTIFICATIONS_MEETING_CHANGE_HOLD_SECONDS; a notice about the
    same meeting still held then is replaced by this one, which says what changed since
    the replaced one's "before" (what people last heard). Edits that end where they began
    tell nobody."""
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
    hold = settings.NOTIFICATIONS_MEETING_CHANGE_HOLD_SECONDS
    context = _previous_state(old)
    if event == Dispatch.Event.MEETING_CANCELLED and new.cancellation_reason:
        context["reason"] = new.cancellation_reason
    dispatch = record_dispatch(
        event=event,
        target=new,
        audience=Dispatch.Audience.MEETING_VIEWERS,
        context=context,
        hold_until=timezone.now() + timedelta(seconds=hold) if hold > 0 else None,
    )
    replaced = supersede_held(target=new, events=CHANGE_EVENTS, by=dispatch)
    if replaced:
        # Told as one change from what people heard last, before the replaced notices.
        earliest = {name: value for name, value in replaced[0].context.items() if name.startswith("previous_")}
        dispatch.context = {**context, **earliest}
        if event == Dispatch.Event.MEETING_RESCHEDULED and _unchanged_since(dispatch.context, new):
            dispatch.superseded_by = dispatch  # nothing to tell: back where it was
        dispatch.save(update_fields=["context", "superseded_by"])
    return dispatch


def cancel_meeting(*, meeting: Meeting, by, reason: str = "") -> Meeting:
    """Cancelled, with the reason shown on its page and in the notice (METHOD:CANCEL)."""
    return update_meeting(meeting=meeting, by=by, status=Meeting.Status.CANCELLED,
                          cancellation_reason=reason.strip())


def postpone_meeting(*, meeting: Meeting, by) -> Meeting:
    """Postponed: the old date stays shown, as tentative, until a new one is set."""
    return update_meeting(meeting=meeting, by=by, status=Meeting.Status.POSTPONED)


def create_meeting(*, by, forum: Forum | None = None, **fields) -> Meeting:
    """A new meeting, as a draft that only the secretariat sees until it is published.

    Raises PermissionDenied for anyone but the secretariat, TypeError for a field that
    cannot be set this way, ValidationError when the meeting is invalid. Tells nobody.
    """
    if not can_create_meeting(by):
        raise PermissionDenied
    unknown = set(fields) - CHANGEABLE_FIELDS - {"forum", "forum_id"}
    if unknown:
        raise TypeError(f"create_meeting() cannot set {', '.join(sorted(unknown))}")
    fields.pop("status", None)
    with transaction.atomic():
        if forum is None and "forum_id" not in fields:
            forum = Forum.objects.order_by("pk").first()
        meeting = Meeting(status=Meeting.Status.DRAFT, **({"forum": forum} if forum else {}), **fields)
        meeting.full_clean()
        meeting.save()
        record_event(actor=by, action=AuditEvent.Action.MEETING_CREATED, target=meeting)
    return meeting


def publish_meeting(*, meeting: Meeting, by) -> Meeting:
    """A draft becomes scheduled: on the schedule, in calendars, for whoever may see it.

    Raises ValidationError when the meeting is not a draft. Tells nobody by e-mail (the
    schedule and the feeds show it); its registration opens when its window says.
    """
    if meeting.status != Meeting.Status.DRAFT:
        raise ValidationError(_("Only a draft can be published; this meeting is already on the schedule."))
    return update_meeting(meeting=meeting, by=by, status=Meeting.Status.SCHEDULED)


def open_registration(*, meeting: Meeting, by, now=None) -> Meeting:
    """Registration opens now (it stays open until its closing time, or the start).

    Raises ValidationError when the meeting is not scheduled, already over, or already open.
    """
    now = now or timezone.now()
    if meeting.status != Meeting.Status.SCHEDULED:
        raise ValidationError(_("Registration opens only for a scheduled meeting: publish it first."))
    if meeting.starts_at <= now:
        raise ValidationError(_("This meeting has started: registration can no longer open."))
    if meeting.registration_opens_at is not None and meeting.registration_opens_at <= now:
        raise ValidationError(_("Registration is already open."))
    changes = {"registration_opens_at": now}
    if meeting.registration_closes_at is not None and meeting.registration_closes_at <= now:
        changes["registration_closes_at"] = None
    return update_meeting(meeting=meeting, by=by, **changes)


def mark_meeting_held(*, meeting: Meeting, by, now=None) -> Meeting:
    """The meeting took place: shown as held; its minutes and action items follow.

    Raises ValidationError when it has not started yet or is not scheduled. Tells nobody.
    """
    now = now or timezone.now()
    if meeting.status != Meeting.Status.SCHEDULED:
        raise ValidationError(_("Only a scheduled meeting can be marked as held."))
    if meeting.starts_at > now:
        raise ValidationError(_("A meeting can be marked as held only once it has started."))
    return update_meeting(meeting=meeting, by=by, status=Meeting.Status.HELD)


# What a copy of a meeting keeps: what it is and for whom, where, and how people register.
DUPLICATED_FIELDS = (
    "forum_id", "working_group_id", "kind", "title_en", "title_ja", "summary_en", "summary_ja",
    "starts_at", "ends_at", "time_zone", "venue_en", "venue_ja", "venue_country_id", "visibility",
    "registration_opens_at", "registration_closes_at", "capacity", "seats_per_organization", "vetting_required",
)
AGENDA_ITEM_FIELDS = (
    "position", "title_en", "title_ja", "presenter", "presenter_organization_id", "duration_minutes", "notes",
    "reviews_action_items",
)


def duplicate_meeting(*, meeting: Meeting, by) -> Meeting:
    """A new draft with the same kind, group, venue, visibility, registration settings
    and agenda items (as draft items, unpublished); its date is the original's, to be
    changed. No registrations, papers or minutes are copied. Tells nobody."""
    if not can_manage_meeting(by, meeting):
        raise PermissionDenied
    with transaction.atomic():
        copy = Meeting(status=Meeting.Status.DRAFT, **{name: getattr(meeting, name) for name in DUPLICATED_FIELDS})
        copy.full_clean()
        copy.save()
        AgendaItem.objects.bulk_create([
            AgendaItem(meeting=copy, **{name: getattr(item, name) for name in AGENDA_ITEM_FIELDS})
            for item in meeting.agenda_items.order_by("position")
        ])
        record_event(actor=by, action=AuditEvent.Action.MEETING_DUPLICATED, target=copy,
                     detail={"copied_from": meeting.pk})
    return copy
