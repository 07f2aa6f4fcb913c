"""The minutes workflow: draft → in review → approved (or returned) → published, and
amendments through the same steps. One function per step, keyword-only, one transaction each.

Every version is its own Minutes row and is never edited once published: an amendment is
the next version, so readers keep the old text and can compare the two. Each step records
who and when in explicit fields; simple-history keeps every state with the reason.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import record_event
from notifications.models import Dispatch
from notifications.services import record_dispatch

from ..models import Meeting, Minutes
from ..permissions import can_approve_minutes, can_read_minutes, can_write_minutes

Status = Minutes.Status
# The steps that go in the audit record (saving a draft's text does not).
AUDITED_STEPS = {
    "started": AuditEvent.Action.MINUTES_STARTED,
    "submitted": AuditEvent.Action.MINUTES_SUBMITTED,
    "approved": AuditEvent.Action.MINUTES_APPROVED,
    "returned": AuditEvent.Action.MINUTES_RETURNED,
    "published": AuditEvent.Action.MINUTES_PUBLISHED,
    "amendment started": AuditEvent.Action.MINUTES_AMENDED,
}


def _require_writer(by, meeting: Meeting) -> None:
    if not can_write_minutes(by, meeting):
        raise PermissionDenied(_("Only the secretariat writes and publishes minutes."))


def _require_approver(by, minutes: Minutes) -> None:
    if not can_approve_minutes(by, minutes.meeting):
        raise PermissionDenied(_("Only a co-chair approves or returns minutes."))
    if not can_read_minutes(by, minutes):
        # One rule for minutes and papers: approving needs the clearance to read them.
        raise PermissionDenied(_("Only a co-chair cleared for these minutes approves or returns them."))


def _locked(minutes: Minutes, *, expected: str, refusal: str) -> Minutes:
    """The row as stored, locked until commit, in the state the step starts from.

    Two people acting at once (two co-chairs approving) then act one after the other,
    and the second finds the state already changed and is refused.
    """
    stored = Minutes.objects.select_for_update().get(pk=minutes.pk)
    if stored.status != expected:
        raise ValidationError(refusal)
    return stored


def _save(minutes: Minutes, *, by, reason: str) -> None:
    # simple-history records who and why, also outside a request (shell, tasks).
    minutes._history_user = by if by is not None and by.is_authenticated else None
    minutes._change_reason = reason
    minutes.full_clean()
    minutes.save()
    if reason in AUDITED_STEPS:
        record_event(actor=by, action=AUDITED_STEPS[reason], target=minutes,
                     detail={"meeting_id": minutes.meeting_id, "version": minutes.version})


def _refresh(target: Minutes, source: Minutes) -> None:
    for field in Minutes._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))


def _context(minutes: Minutes, **extra) -> dict:
    return {"meeting_id": minutes.meeting_id, "version": minutes.version, **extra}


def start_minutes(*, meeting: Meeting, by, body: str = "") -> Minutes:
    """Starts version 1 of a meeting's minutes as a draft.

    Side effects: one Minutes row (and its history). Raises PermissionDenied (not the
    secretariat) or ValidationError (the minutes are already started).
    """
    _require_writer(by, meeting)
    with transaction.atomic():
        Meeting.objects.select_for_update().filter(pk=meeting.pk).first()
        if meeting.minutes.exists():
            raise ValidationError(_("These minutes are already started. Published minutes change by an amendment."))
        minutes = Minutes(meeting=meeting, version=1, body=body, status=Status.DRAFT, created_by=by)
        _save(minutes, by=by, reason="started")
    return minutes


def save_minutes_draft(*, minutes: Minutes, by, body: str, marking: str | None = None) -> Minutes:
    """Replaces the text (and optionally the marking) of a draft.

    Side effects: the Minutes row and a history entry. Raises PermissionDenied, or
    ValidationError when the version is not a draft: a text in review or approved waits
    for the co-chairs, and a published one is never edited (start an amendment).
    """
    _require_writer(by, minutes.meeting)
    with transaction.atomic():
        stored = Minutes.objects.select_for_update().get(pk=minutes.pk)
        if stored.status == Status.PUBLISHED:
            raise ValidationError(_("Published minutes are never edited. Start an amendment to change them."))
        if stored.status != Status.DRAFT:
            raise ValidationError(_("Only a draft can be edited; these minutes are waiting for the co-chairs."))
        stored.body = body
        if marking is not None:
            stored.marking = marking
        _save(stored, by=by, reason="edited")
    _refresh(minutes, stored)
    return minutes


def submit_minutes(*, minutes: Minutes, by) -> Minutes:
    """Sends a draft to the co-chairs for approval (draft → in review).

    Side effects: status, submitted_by/at, a history entry; a MINUTES_SUBMITTED Dispatch
    to the co-chairs.
    """
    _require_writer(by, minutes.meeting)
    with transaction.atomic():
        stored = _locked(minutes, expected=Status.DRAFT, refusal=_("Only a draft can be sent for approval."))
        if not stored.body.strip():
            raise ValidationError(_("Write the minutes before sending them for approval."))
        stored.status = Status.IN_REVIEW
        stored.submitted_by, stored.submitted_at = by, timezone.now()
        _save(stored, by=by, reason="submitted")
        record_dispatch(
            event=Dispatch.Event.MINUTES_SUBMITTED,
            target=stored,
            audience=Dispatch.Audience.COCHAIRS,
            context=_context(stored),
        )
    _refresh(minutes, stored)
    return minutes


def approve_minutes(*, minutes: Minutes, by) -> Minutes:
    """A co-chair approves the text in review (in review → approved).

    Side effects: status, approved_by/at, a history entry; a MINUTES_APPROVED Dispatch to
    the secretariat, who may now publish.
    """
    _require_approver(by, minutes)
    with transaction.atomic():
        stored = _locked(minutes, expected=Status.IN_REVIEW, refusal=_("Only minutes in review can be approved."))
        stored.status = Status.APPROVED
        stored.approved_by, stored.approved_at = by, timezone.now()
        _save(stored, by=by, reason="approved")
        record_dispatch(
            event=Dispatch.Event.MINUTES_APPROVED,
            target=stored,
            audience=Dispatch.Audience.SECRETARIAT,
            context=_context(stored),
        )
    _refresh(minutes, stored)
    return minutes


def return_minutes(*, minutes: Minutes, by, comment: str) -> Minutes:
    """A co-chair returns the text in review to the secretariat with a comment (in review → draft).

    Side effects: status, returned_by/at, return_comment, a history entry; a
    MINUTES_RETURNED Dispatch to the secretariat with the comment.
    """
    _require_approver(by, minutes)
    comment = comment.strip()
    if not comment:
        raise ValidationError(_("Say what should change: a comment is needed to return the minutes."))
    with transaction.atomic():
        stored = _locked(minutes, expected=Status.IN_REVIEW, refusal=_("Only minutes in review can be returned."))
        stored.status = Status.DRAFT
        stored.returned_by, stored.returned_at, stored.return_comment = by, timezone.now(), comment
        _save(stored, by=by, reason="returned")
        record_dispatch(
            event=Dispatch.Event.MINUTES_RETURNED,
            target=stored,
            audience=Dispatch.Audience.SECRETARIAT,
            context=_context(stored, comment=comment),
        )
    _refresh(minutes, stored)
    return minutes


def publish_minutes(*, minutes: Minutes, by) -> Minutes:
    """Publishes approved minutes (approved → published); readers see this version from now on.

    Side effects: status, published_by/at, a history entry; a Dispatch to the meeting's
    viewers: MINUTES_PUBLISHED for version 1, MINUTES_AMENDED for an amendment.
    Raises ValidationError when no co-chair has approved this version.
    """
    _require_writer(by, minutes.meeting)
    with transaction.atomic():
        stored = _locked(
            minutes, expected=Status.APPROVED, refusal=_("Only minutes a co-chair has approved can be published.")
        )
        stored.status = Status.PUBLISHED
        stored.published_by, stored.published_at = by, timezone.now()
        _save(stored, by=by, reason="published")
        record_dispatch(
            event=Dispatch.Event.MINUTES_AMENDED if stored.version > 1 else Dispatch.Event.MINUTES_PUBLISHED,
            target=stored,
            audience=Dispatch.Audience.MEETING_VIEWERS,
            context=_context(stored),
        )
    _refresh(minutes, stored)
    return minutes


def start_amendment(*, meeting: Meeting, by) -> Minutes:
    """Starts the next version as a draft, copied from the latest published text.

    Side effects: one Minutes row. The published versions stay as they are and readers
    keep seeing the latest of them until the amendment is approved and published.
    Raises ValidationError when nothing is published yet or a version is in the making.
    """
    _require_writer(by, meeting)
    with transaction.atomic():
        Meeting.objects.select_for_update().filter(pk=meeting.pk).first()
        if meeting.minutes.exclude(status=Status.PUBLISHED).exists():
            raise ValidationError(_("A version of these minutes is already in the making; finish it first."))
        latest = meeting.minutes.filter(status=Status.PUBLISHED).order_by("-version").first()
        if latest is None:
            raise ValidationError(_("Only published minutes can be amended."))
        number = (meeting.minutes.aggregate(last=Max("version"))["last"] or 0) + 1
        amendment = Minutes(
            meeting=meeting, version=number, body=latest.body, marking=latest.marking,
            status=Status.DRAFT, created_by=by,
        )
        _save(amendment, by=by, reason="amendment started")
    return amendment
