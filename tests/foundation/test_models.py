"""Bad data is refused with a message a secretariat can act on, by the model and by the database."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from forums.models import AgendaItem, Meeting, Registration
from tests.factories import AgendaItemFactory, MeetingFactory, RegistrationFactory, UserFactory

pytestmark = pytest.mark.django_db


def messages_of(error: ValidationError) -> list[str]:
    return [message for messages in error.message_dict.values() for message in messages]


def test_a_meeting_ending_before_it_starts_is_refused_with_a_message():
    meeting = MeetingFactory.build()
    meeting.ends_at = meeting.starts_at - timedelta(hours=1)
    with pytest.raises(ValidationError) as refused:
        meeting.full_clean()
    assert "A meeting must end after it starts." in messages_of(refused.value)


def test_the_database_refuses_a_meeting_ending_before_it_starts_even_past_the_form():
    meeting = MeetingFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.filter(pk=meeting.pk).update(ends_at=meeting.starts_at)


def test_an_unknown_time_zone_is_refused_with_a_message():
    meeting = MeetingFactory.build(time_zone="Asia/Atlantis")
    with pytest.raises(ValidationError) as refused:
        meeting.full_clean(exclude=["forum"])
    assert refused.value.message_dict["time_zone"] == [
        "“Asia/Atlantis” is not a known time zone; use an IANA name such as Asia/Tokyo."
    ]


def test_a_duplicate_agenda_position_is_refused_with_a_message():
    first = AgendaItemFactory(position=1)
    duplicate = AgendaItem(meeting=first.meeting, position=1, title_en="Another", duration_minutes=10)
    with pytest.raises(ValidationError) as refused:
        duplicate.full_clean()
    assert "Another item of this meeting's agenda already has this position." in messages_of(refused.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()
    assert first.meeting.agenda_items.count() == 1


def test_a_second_registration_of_the_same_person_is_refused_with_a_message():
    first = RegistrationFactory()
    second = Registration(meeting=first.meeting, person=first.person)
    with pytest.raises(ValidationError) as refused:
        second.full_clean()
    assert "This person is already registered for this meeting." in messages_of(refused.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()


def test_the_same_person_may_register_for_two_meetings():
    person = UserFactory()
    RegistrationFactory(person=person)
    other = Registration(meeting=MeetingFactory(), person=person)
    other.full_clean()


def test_a_members_only_meeting_needs_a_working_group():
    meeting = MeetingFactory.build(visibility=Meeting.Visibility.GROUP_MEMBERS)
    with pytest.raises(ValidationError) as refused:
        meeting.full_clean(exclude=["forum"])
    assert refused.value.message_dict["visibility"] == [
        "Only a meeting of a working group can be limited to its members."
    ]


def test_registration_must_close_after_it_opens():
    meeting = MeetingFactory.build()
    meeting.registration_opens_at = meeting.starts_at - timedelta(days=1)
    meeting.registration_closes_at = meeting.starts_at - timedelta(days=2)
    with pytest.raises(ValidationError) as refused:
        meeting.full_clean(exclude=["forum"])
    assert refused.value.message_dict["registration_closes_at"] == ["Registration must close after it opens."]


def test_an_agenda_item_of_zero_minutes_is_refused():
    item = AgendaItemFactory.build(meeting=MeetingFactory(), duration_minutes=0)
    with pytest.raises(ValidationError) as refused:
        item.full_clean()
    assert "duration_minutes" in refused.value.message_dict
