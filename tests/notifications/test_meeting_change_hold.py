"""Several quick edits of a meeting make one e-mail, and it is the last state that goes out:
each change notice is held for a short while (NOTIFICATIONS_MEETING_CHANGE_HOLD_SECONDS)
and a newer one about the same meeting takes its place. Run through the outbox's own
code: the services record, the tasks expand and send, the minute sweep picks up what the
hold left."""

from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
import time_machine
from django.core import mail
from icalendar import Calendar

from forums import services as forums_services
from forums.models import Meeting, Registration
from notifications import tasks
from notifications.models import Dispatch
from tests.factories import RegistrationFactory

pytestmark = pytest.mark.django_db

UTC = dt_timezone.utc
T0 = datetime(2030, 5, 1, 9, 0, tzinfo=UTC)
HOLD = 120


@pytest.fixture
def held_changes(settings):
    settings.NOTIFICATIONS_MEETING_CHANGE_HOLD_SECONDS = HOLD
    settings.NOTIFICATIONS_SWEEP_AFTER_SECONDS = 60


@pytest.fixture
def change(django_capture_on_commit_callbacks, cast):
    """Saves a change as the edit page does, at `at`, and runs what its commit queues."""

    def change(meeting: Meeting, *, at: datetime, service=forums_services.update_meeting, **changes) -> None:
        with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
            service(meeting=Meeting.objects.get(pk=meeting.pk), by=cast.secretariat, **changes)

    return change


def sweep(at: datetime) -> None:
    """The beat's minute sweep, at `at`."""
    with time_machine.travel(at, tick=False):
        tasks.sweep_outbox()


def messages_to(user) -> list:
    return [message for message in mail.outbox if user.email in message.to[0]]


def test_three_quick_edits_send_one_email_with_the_last_state(held_changes, change, cast, group_meeting):
    RegistrationFactory(meeting=group_meeting, person=cast.cochair, status=Registration.Status.CONFIRMED)
    start, end = group_meeting.starts_at, group_meeting.ends_at
    mail.outbox.clear()

    change(group_meeting, at=T0, starts_at=start + timedelta(hours=1), ends_at=end + timedelta(hours=1))
    change(group_meeting, at=T0 + timedelta(seconds=30), starts_at=start + timedelta(hours=2),
           ends_at=end + timedelta(hours=2))
    change(group_meeting, at=T0 + timedelta(seconds=60), venue_en="Yokosuka")

    assert mail.outbox == []  # all three held
    sweep(T0 + timedelta(seconds=150))  # the first two are due, but replaced
    assert mail.outbox == []
    sweep(T0 + timedelta(seconds=250))  # the last is due

    [message] = messages_to(cast.member)
    assert message.subject.startswith("Meeting rescheduled: ")
    # From what people last heard to where it ended.
    assert "It was to start: June 11, 2030 10:00 JST (Tokyo)" in message.body
    assert "June 11, 2030 12:00 JST (Tokyo)" in message.body
    assert "It was to be held at: Ministry of Defense, Ichigaya" in message.body
    assert "Place: Yokosuka" in message.body
    [event] = Calendar.from_ical(message.attachments[0].get_payload(decode=True)).walk("VEVENT")
    assert event.decoded("DTSTART") == start + timedelta(hours=2)
    assert event["SEQUENCE"] == Meeting.objects.get(pk=group_meeting.pk).sequence
    assert len(messages_to(cast.cochair)) == 1  # the registrant
    dispatches = list(Dispatch.objects.filter(event=Dispatch.Event.MEETING_RESCHEDULED).order_by("created_at"))
    # Each replaced by the next, which carries the first one's "before".
    assert [d.superseded_by_id for d in dispatches] == [dispatches[1].pk, dispatches[2].pk, None]


def test_a_cancellation_right_after_a_move_sends_only_the_cancellation(held_changes, change, cast, group_meeting):
    mail.outbox.clear()
    change(group_meeting, at=T0, starts_at=group_meeting.starts_at + timedelta(days=1),
           ends_at=group_meeting.ends_at + timedelta(days=1))
    change(group_meeting, at=T0 + timedelta(seconds=10), service=forums_services.cancel_meeting,
           reason="Typhoon warning")
    sweep(T0 + timedelta(seconds=400))

    [message] = messages_to(cast.member)
    assert message.subject.startswith("Meeting cancelled: ")
    assert "Reason: Typhoon warning" in message.body
    assert Calendar.from_ical(message.attachments[0].get_payload(decode=True))["METHOD"] == "CANCEL"


def test_edits_that_end_where_they_began_tell_nobody(held_changes, change, cast, group_meeting):
    mail.outbox.clear()
    change(group_meeting, at=T0, venue_en="Yokosuka")
    change(group_meeting, at=T0 + timedelta(seconds=20), venue_en=group_meeting.venue_en)
    sweep(T0 + timedelta(seconds=400))

    assert mail.outbox == []
    assert not Dispatch.objects.filter(superseded_by__isnull=True).exclude(event=Dispatch.Event.DIGEST).exists()


def test_a_change_after_the_hold_is_over_is_a_new_email(held_changes, change, cast, group_meeting):
    mail.outbox.clear()
    change(group_meeting, at=T0, venue_en="Yokosuka")
    sweep(T0 + timedelta(seconds=250))
    change(group_meeting, at=T0 + timedelta(seconds=300), venue_en="Sasebo")
    sweep(T0 + timedelta(seconds=600))

    first, second = messages_to(cast.member)
    assert "Place: Yokosuka" in first.body
    assert "It was to be held at: Yokosuka" in second.body and "Place: Sasebo" in second.body
