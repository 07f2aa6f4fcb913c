"""Meeting changes are told, and their invitations update the event already in people's
calendars: the same UID, a higher SEQUENCE, METHOD:CANCEL for a cancellation."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from icalendar import Calendar

from forums import services as forums_services
from forums.models import Registration
from notifications.models import Dispatch
from tests.factories import RegistrationFactory

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
