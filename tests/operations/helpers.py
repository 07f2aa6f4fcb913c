"""Rows of the outbox for the operations tests, made directly (the services have their own tests)."""

from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from notifications.models import Delivery, Dispatch
from tests.factories import MeetingFactory, UserFactory


def outbox_with(statuses: dict[str, int], *, pending_due_minutes_ago: float = 0.0) -> Dispatch:
    """One expanded dispatch with so many deliveries of each status (a person each)."""
    meeting = MeetingFactory()
    dispatch = Dispatch.objects.create(
        event=Dispatch.Event.PAPER_ADDED, audience=Dispatch.Audience.MEETING_VIEWERS,
        target_type=ContentType.objects.get_for_model(meeting), target_id=meeting.pk, expanded_at=timezone.now(),
    )
    due = timezone.now() - timedelta(minutes=pending_due_minutes_ago)
    for status, count in statuses.items():
        for _ in range(count):
            Delivery.objects.create(
                dispatch=dispatch, recipient=UserFactory(), status=status, next_attempt_at=due,
                claimed_at=timezone.now() if status == Delivery.Status.SENDING else None,
                sent_at=timezone.now() if status == Delivery.Status.SENT else None,
            )
    return dispatch
