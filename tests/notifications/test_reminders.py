"""Reminders: one per meeting, 24 hours before, whatever how often beat runs the task."""

import zoneinfo
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core import mail

from forums.models import Meeting, Registration
from notifications import tasks
from notifications.models import Dispatch
from notifications.services import record_meeting_reminders
from tests.factories import MeetingFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
START = datetime(2030, 6, 11, 10, 0, tzinfo=TOKYO)


def reminders() -> list[Dispatch]:
    return list(Dispatch.objects.filter(event=Dispatch.Event.MEETING_REMINDER))


def test_a_meeting_is_reminded_of_once_within_24_hours_of_its_start(group_meeting):
    with time_machine.travel(START - timedelta(hours=25)):
        assert record_meeting_reminders() == []
    with time_machine.travel(START - timedelta(hours=23, minutes=55)):
        [reminder] = record_meeting_reminders()
        assert record_meeting_reminders() == []
    with time_machine.travel(START - timedelta(hours=2)):
        assert record_meeting_reminders() == []
    assert reminder.target == group_meeting and reminder.audience == Dispatch.Audience.MEETING_ATTENDEES
    assert reminders() == [reminder]


def test_drafts_cancelled_and_past_meetings_get_no_reminder(cast):
    for status in (Meeting.Status.DRAFT, Meeting.Status.CANCELLED, Meeting.Status.POSTPONED):
        MeetingFactory(status=status, starts_at=START, ends_at=START + timedelta(hours=2))
    MeetingFactory(starts_at=START - timedelta(hours=13), ends_at=START - timedelta(hours=11))  # under way

    with time_machine.travel(START - timedelta(hours=12)):
        assert record_meeting_reminders() == []


def test_a_meeting_moved_to_another_day_is_reminded_of_again_but_not_for_a_new_hour(group_meeting, cast):
    with time_machine.travel(START - timedelta(hours=20)):
        record_meeting_reminders()
        # Moved by two hours on the same day: the reminder already sent still holds.
        group_meeting.starts_at += timedelta(hours=2)
        group_meeting.ends_at += timedelta(hours=2)
        group_meeting.save()
        assert record_meeting_reminders() == []
        # Moved to the next day: the people are reminded of it again when it comes.
        group_meeting.starts_at += timedelta(hours=20)
        group_meeting.ends_at += timedelta(hours=20)
        group_meeting.save()
    with time_machine.travel(START + timedelta(hours=2)):
        assert len(record_meeting_reminders()) == 1
    assert len(reminders()) == 2


def test_the_reminder_reaches_the_confirmed_attendees_and_group_members(cast, group_meeting,
                                                                        django_capture_on_commit_callbacks):
    RegistrationFactory(meeting=group_meeting, person=cast.cochair, status=Registration.Status.CONFIRMED)
    RegistrationFactory(meeting=group_meeting, person=cast.secretariat, status=Registration.Status.CANCELLED)

    with time_machine.travel(START - timedelta(hours=23)), django_capture_on_commit_callbacks(execute=True):
        tasks.record_meeting_reminders.delay()

    assert sorted(message.to[0].split("<")[1].rstrip(">") for message in mail.outbox) == sorted(
        [cast.member.email, cast.cochair.email]
    )
    assert all(message.subject.startswith("Reminder: ") for message in mail.outbox)
