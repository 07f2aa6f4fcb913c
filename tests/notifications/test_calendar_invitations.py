"""Meeting changes are told, and their invitations update the event already in people's
calendars: the same UID, a higher SEQUENCE, METHOD:CANCEL for a cancellation."""

import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from forums import services as forums_services
from forums.calendars import meeting_uid
from forums.models import Meeting, Registration
from notifications.models import Delivery, Dispatch
from notifications.services import expand_dispatch, record_dispatch, send_batch
from tests.calendar_clients import assert_clients_agree
from tests.factories import MeetingFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

Event = Dispatch.Event


@pytest.fixture
def notices(django_capture_on_commit_callbacks):
    """Runs a forums service as a request would, and returns the e-mails its commit sent."""

    def run(service, **kwargs) -> list:
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            service(**kwargs)
        return list(mail.outbox)

    return run


def invitation_of(message) -> Calendar:
    [attachment] = message.attachments
    calendar = Calendar.from_ical(attachment.get_payload(decode=True))
    assert calendar["METHOD"] == attachment.get_param("method")
    return calendar


def vevent(calendar: Calendar):
    [event] = calendar.walk("VEVENT")
    return event


def test_a_reschedule_sends_the_same_uid_with_a_higher_sequence_and_a_cancel_the_same_uid(
    cast, group_meeting, publish, notices
):
    registration = RegistrationFactory(meeting=group_meeting, person=cast.member, status=Registration.Status.CONFIRMED)
    publish(event=Event.REGISTRATION_CONFIRMED, target=registration, audience=Dispatch.Audience.PERSON,
            person=cast.member)
    confirmation = vevent(invitation_of(mail.outbox[0]))
    assert invitation_of(mail.outbox[0])["METHOD"] == "REQUEST"

    [moved] = notices(forums_services.update_meeting, meeting=group_meeting, by=cast.secretariat,
                      starts_at=group_meeting.starts_at + timedelta(days=1),
                      ends_at=group_meeting.ends_at + timedelta(days=1))
    assert moved.subject.startswith("Meeting rescheduled: ")
    assert "It was to start: June 11, 2030 10:00 JST (Tokyo)" in moved.body
    assert "June 12, 2030 10:00 JST (Tokyo)" in moved.body
    update = invitation_of(moved)
    assert update["METHOD"] == "REQUEST"
    assert vevent(update)["UID"] == confirmation["UID"] == f"{group_meeting.calendar_uid_part}@{settings.PORTAL_UID_DOMAIN}"
    assert vevent(update)["SEQUENCE"] > confirmation["SEQUENCE"]
    assert vevent(update).decoded("DTSTART") == group_meeting.starts_at

    [cancelled] = notices(forums_services.cancel_meeting, meeting=group_meeting, by=cast.secretariat)
    assert cancelled.subject.startswith("Meeting cancelled: ")
    cancel = invitation_of(cancelled)
    assert cancel["METHOD"] == "CANCEL"
    assert vevent(cancel)["UID"] == confirmation["UID"]
    assert vevent(cancel)["STATUS"] == "CANCELLED"
    assert vevent(cancel)["SEQUENCE"] > vevent(update)["SEQUENCE"]


def test_a_postponement_is_told_and_leaves_the_event_tentative(cast, group_meeting, notices):
    [postponed] = notices(forums_services.postpone_meeting, meeting=group_meeting, by=cast.secretariat)

    assert postponed.subject.startswith("Meeting postponed: ")
    assert invitation_of(postponed)["METHOD"] == "REQUEST"
    assert vevent(invitation_of(postponed))["STATUS"] == "TENTATIVE"


def test_a_new_venue_is_a_reschedule_but_a_new_title_or_a_draft_tells_nobody(cast, group_meeting, notices):
    assert notices(forums_services.update_meeting, meeting=group_meeting, by=cast.secretariat,
                   title_en="Ship repair working group, 2nd meeting") == []
    [moved] = notices(forums_services.update_meeting, meeting=group_meeting, by=cast.secretariat,
                      venue_en="Yokosuka")
    assert moved.subject.startswith("Meeting rescheduled: ")

    group_meeting.status = "draft"
    group_meeting.save()
    assert notices(forums_services.update_meeting, meeting=group_meeting, by=cast.secretariat,
                   starts_at=group_meeting.starts_at + timedelta(hours=1)) == []
    assert Dispatch.objects.filter(event=Event.MEETING_RESCHEDULED).count() == 1


def test_a_cancelled_registration_withdraws_the_invitation(cast, group_meeting, publish):
    registration = RegistrationFactory(meeting=group_meeting, person=cast.member, status=Registration.Status.CANCELLED)

    publish(event=Event.REGISTRATION_CANCELLED, target=registration, audience=Dispatch.Audience.PERSON,
            person=cast.member)

    [message] = mail.outbox
    assert invitation_of(message)["METHOD"] == "CANCEL"
    assert vevent(invitation_of(message))["UID"] == f"{group_meeting.calendar_uid_part}@{settings.PORTAL_UID_DOMAIN}"


# -- the invitation as it reaches a mailbox, read by every calendar client -------------------

WASHINGTON = zoneinfo.ZoneInfo("America/New_York")


@pytest.fixture
def washington_meeting(cast):
    """Group A's meeting in Washington the day before the clocks go forward (9 March 2031)."""
    return MeetingFactory(
        kind=Meeting.Kind.WORKING_GROUP, working_group=cast.group_a, visibility=Meeting.Visibility.GROUP_MEMBERS,
        title_en="Ship repair working group in Washington", time_zone="America/New_York",
        starts_at=datetime(2031, 3, 8, 10, 0, tzinfo=WASHINGTON), ends_at=datetime(2031, 3, 8, 12, 0, tzinfo=WASHINGTON),
    )


def calendar_part(message) -> tuple[str, str]:
    """(the text/calendar part of an e-mail as received, its method parameter)."""
    [part] = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    return part.get_content(), part.get_param("method")


def held_in_database(meeting) -> dict[str, tuple[datetime, datetime]]:
    row = Meeting.objects.get(pk=meeting.pk)
    return {meeting_uid(row): (row.starts_at, row.ends_at)}


def test_the_invitation_as_received_reads_the_same_in_every_client_through_a_reschedule_and_a_cancel(
    icaljs, cast, washington_meeting, smtp_sink, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_SECRETARIAT_EMAIL = "secretariat@dicas.example"
    registration = RegistrationFactory(meeting=washington_meeting, person=cast.member,
                                       status=Registration.Status.CONFIRMED)
    dispatch = record_dispatch(event=Event.REGISTRATION_CONFIRMED, target=registration,
                               audience=Dispatch.Audience.PERSON, person=cast.member)
    expand_dispatch(dispatch_id=dispatch.pk)
    assert send_batch(dispatch_id=dispatch.pk).sent == 1

    [confirmation] = smtp_sink.to(cast.member.email)
    text, method = calendar_part(confirmation)
    readings = assert_clients_agree(text, held_in_database(washington_meeting))
    assert method == "REQUEST" and {events[0]["method"] for events in readings.values()} == {"REQUEST"}
    # Answers from the attendee's calendar go to the secretariat's mailbox, not to no-reply.
    assert str(vevent(Calendar.from_ical(text))["ORGANIZER"]) == "mailto:secretariat@dicas.example"
    assert confirmation["From"] == settings.DEFAULT_FROM_EMAIL
    sequence = readings["ical.js"][0]["sequence"]

    # Moved across the change to daylight saving: 10:00 EDT is an hour earlier in UTC than 10:00 EST.
    summer = datetime(2031, 3, 10, 10, 0, tzinfo=WASHINGTON)
    with django_capture_on_commit_callbacks(execute=True):
        forums_services.update_meeting(meeting=washington_meeting, by=cast.secretariat, starts_at=summer,
                                       ends_at=summer + timedelta(hours=2))
    update_text, method = calendar_part(smtp_sink.to(cast.member.email)[-1])
    readings = assert_clients_agree(update_text, held_in_database(washington_meeting))
    for events in readings.values():
        [event] = events
        assert (event["method"], event["dtstart"]) == ("REQUEST", datetime(2031, 3, 10, 14, 0, tzinfo=UTC))
        assert event["uid"] == meeting_uid(washington_meeting) and event["sequence"] > sequence

    with django_capture_on_commit_callbacks(execute=True):
        forums_services.cancel_meeting(meeting=washington_meeting, by=cast.secretariat)
    cancel_text, method = calendar_part(smtp_sink.to(cast.member.email)[-1])
    readings = assert_clients_agree(cancel_text, held_in_database(washington_meeting))
    assert method == "CANCEL"
    assert {(events[0]["method"], events[0]["status"]) for events in readings.values()} == {("CANCEL", "CANCELLED")}


def test_a_retry_carries_the_message_id_stored_with_the_delivery_before_its_first_attempt(
    cast, group_meeting, smtp_sink, settings
):
    settings.PORTAL_MAIL_DOMAIN = "mail.dicas.example"
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 60
    dispatch = record_dispatch(event=Event.MEETING_RESCHEDULED, target=group_meeting,
                               audience=Dispatch.Audience.GROUP_MEMBERS)
    expand_dispatch(dispatch_id=dispatch.pk)
    stored = Delivery.objects.get(dispatch=dispatch, recipient=cast.member).message_id_part
    smtp_sink.refuse_data_for(3600, "451 4.7.1 Greylisted, try again later")
    assert send_batch(dispatch_id=dispatch.pk).retrying >= 1

    smtp_sink.refuse_data_for(0)
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert send_batch(dispatch_id=dispatch.pk).sent >= 1

    [received] = smtp_sink.to(cast.member.email)
    assert received["Message-ID"] == f"<{stored}@mail.dicas.example>"
    delivery = Delivery.objects.get(dispatch=dispatch, recipient=cast.member)
    assert delivery.attempts == 2 and delivery.message_id_part == stored
    # Each delivery has its own: no other message anywhere carries this one.
    assert len(set(Delivery.objects.values_list("message_id_part", flat=True))) == Delivery.objects.count()
