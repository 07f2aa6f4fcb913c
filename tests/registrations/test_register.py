"""The rules of registering (forums/services/registrations.py): seats, the per-organisation
limit, vetting, the window, one registration per person, roles, cancelled meetings. Each
refusal says why in words a person can act on, and changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from forums.models import Meeting, Registration
from forums.services import RegistrationRefused, cancel_registration, register
from notifications.models import Dispatch
from tests.factories import OrganizationFactory, UserFactory

from .conftest import NOW, industry_rep, roundtable_for

pytestmark = pytest.mark.django_db

Status = Registration.Status
Event = Dispatch.Event


def snapshot() -> tuple:
    """Everything a refused registration must leave untouched."""
    return (
        list(Registration.objects.order_by("pk").values_list("pk", "status", "note", "created_at", "consent_given_at")),
        Dispatch.objects.count(),
    )


def refused(meeting, person, **kwargs) -> str:
    before = snapshot()
    with pytest.raises(RegistrationRefused) as refusal:
        register(meeting=meeting, person=person, consent=kwargs.pop("consent", True), **kwargs)
    assert snapshot() == before, "a refused registration changed something"
    return refusal.value.message


def test_a_seat_left_is_confirmed_at_once_and_the_person_is_told(roundtable):
    person = industry_rep()

    outcome = register(meeting=roundtable, person=person, note="Vegetarian", consent=True)

    registration = outcome.registration
    assert registration.status == Status.CONFIRMED
    assert registration.note == "Vegetarian"
    assert registration.consent_given_at == NOW
    assert registration.organization == person.profile.organization
    assert outcome.message == "You are registered: your seat is confirmed."
    dispatch = Dispatch.objects.get()
    assert (dispatch.event, dispatch.person, dispatch.target) == (Event.REGISTRATION_CONFIRMED, person, registration)
    assert dispatch.audience == Dispatch.Audience.PERSON


def test_a_full_meeting_waitlists_with_the_position(frozen_now):
    meeting = roundtable_for(capacity=2, seats_per_organization=None)
    for _ in range(2):
        register(meeting=meeting, person=industry_rep(), consent=True)

    third = register(meeting=meeting, person=industry_rep(), consent=True)
    fourth = register(meeting=meeting, person=industry_rep(), consent=True)

    assert third.registration.status == fourth.registration.status == Status.WAITLISTED
    assert (third.waitlist_position, fourth.waitlist_position) == (1, 2)
    assert "number 2 on the waiting list" in fourth.message
    assert Dispatch.objects.filter(event=Event.REGISTRATION_WAITLISTED).count() == 2
    assert Dispatch.objects.filter(event=Event.REGISTRATION_WAITLISTED).latest("pk").context == {
        "position": 2, "reason": "meeting_full",
    }


def test_the_third_from_one_company_is_waitlisted_and_told_why_though_seats_are_left(roundtable):
    shipyard = OrganizationFactory(name="Seto Marine Engineering K.K.")
    first, second, third = (industry_rep(shipyard) for _ in range(3))
    register(meeting=roundtable, person=first, consent=True)
    register(meeting=roundtable, person=second, consent=True)

    outcome = register(meeting=roundtable, person=third, consent=True)

    assert outcome.registration.status == Status.WAITLISTED
    assert outcome.wait_reason == "organization_full"
    assert "Your organisation already has 2 confirmed seats" in outcome.message
    # Someone from another company still gets a seat.
    assert register(meeting=roundtable, person=industry_rep(), consent=True).registration.status == Status.CONFIRMED


def test_a_vetted_meeting_leaves_the_registration_pending(frozen_now):
    meeting = roundtable_for(kind=Meeting.Kind.INDUSTRY_DAY, vetting_required=True)

    outcome = register(meeting=meeting, person=industry_rep(), consent=True)

    assert outcome.registration.status == Status.PENDING
    assert "awaits the secretariat's vetting" in outcome.message
    assert Dispatch.objects.get().event == Event.REGISTRATION_RECEIVED


def test_someone_from_an_organisation_awaiting_confirmation_is_vetted_first(roundtable):
    newcomer = industry_rep(OrganizationFactory(name="Brand-new Shipyard K.K.", confirmed=False))

    outcome = register(meeting=roundtable, person=newcomer, consent=True)

    assert outcome.registration.status == Status.PENDING


def test_before_the_window_opens_the_message_says_when_in_the_viewers_zone(frozen_now):
    meeting = roundtable_for(registration_opens_at=NOW + timedelta(days=2, hours=1))
    person = industry_rep()

    with translation.override("en"), timezone.override("America/New_York"):
        message = refused(meeting, person)

    # 3 March 2030 11:00 in Tokyo is 2 March 21:00 in New York (EST).
    assert message == "Registration for this meeting opens on March 2, 2030, 9 p.m. EST (Washington time)."


def test_after_the_window_closes_the_message_says_when(frozen_now):
    meeting = roundtable_for(registration_closes_at=NOW - timedelta(hours=1))

    with translation.override("en"), timezone.override("Asia/Tokyo"):
        message = refused(meeting, industry_rep())

    assert message == "Registration for this meeting closed on March 1, 2030, 9 a.m. JST (Tokyo time)."


def test_without_a_closing_date_registration_closes_when_the_meeting_starts(frozen_now):
    meeting = roundtable_for(registration_closes_at=None, starts_at=NOW - timedelta(minutes=5),
                             ends_at=NOW + timedelta(hours=2))

    assert "closed on" in refused(meeting, industry_rep())


def test_registering_twice_is_refused(roundtable):
    person = industry_rep()
    register(meeting=roundtable, person=person, consent=True)

    assert refused(roundtable, person) == "You are already registered for this meeting (confirmed)."


def test_registering_again_after_cancelling_reuses_the_row_at_the_end_of_the_queue(frozen_now, time_machine):
    meeting = roundtable_for(capacity=1, seats_per_organization=None)
    person = industry_rep()
    first = register(meeting=meeting, person=person, note="first", consent=True).registration
    waiting = register(meeting=meeting, person=industry_rep(), consent=True).registration
    cancel_registration(registration=first, by=person)
    assert Registration.objects.get(pk=waiting.pk).status == Status.CONFIRMED

    time_machine.move_to(NOW + timedelta(hours=1), tick=False)
    again = register(meeting=meeting, person=person, note="again", consent=True)

    assert again.registration.pk == first.pk
    assert Registration.objects.filter(meeting=meeting, person=person).count() == 1
    assert (again.registration.status, again.waitlist_position, again.registration.note) == (Status.WAITLISTED, 1, "again")
    assert again.registration.created_at == NOW + timedelta(hours=1)


def test_someone_declined_cannot_register_again(roundtable):
    person = industry_rep()
    registration = register(meeting=roundtable, person=person, consent=True).registration
    Registration.objects.filter(pk=registration.pk).update(status=Status.DECLINED, decline_reason="Not an industry delegate.")

    assert refused(roundtable, person) == (
        "The secretariat declined your registration for this meeting: Not an industry delegate."
    )


@pytest.mark.parametrize("kind", [Meeting.Kind.PLENARY, Meeting.Kind.PREPARATORY, Meeting.Kind.WORKING_GROUP])
def test_industry_representatives_cannot_register_for_officials_meetings(frozen_now, cast, kind):
    group = cast.group_a if kind == Meeting.Kind.WORKING_GROUP else None
    meeting = roundtable_for(kind=kind, working_group=group)

    assert refused(meeting, industry_rep()) == (
        "This meeting is for government officials. Industry representatives may register for "
        "industry roundtables and industry days."
    )


def test_officials_may_register_for_a_roundtable_and_the_secretariat_may_not(frozen_now, cast):
    meeting = roundtable_for()

    assert register(meeting=meeting, person=cast.member, consent=True).registration.status == Status.CONFIRMED
    assert refused(meeting, cast.secretariat) == (
        "Registrations are for industry representatives and officials; your account has another role."
    )


def test_a_cancelled_meeting_takes_no_registration(frozen_now):
    meeting = roundtable_for(status=Meeting.Status.CANCELLED)

    assert refused(meeting, industry_rep()) == "This meeting has been cancelled: it takes no registrations."


def test_a_postponed_meeting_takes_no_registration_for_now(frozen_now):
    meeting = roundtable_for(status=Meeting.Status.POSTPONED)

    assert refused(meeting, industry_rep()) == "This meeting is postponed: it takes no registrations for now."


def test_a_meeting_without_a_window_takes_no_registration_through_the_portal(frozen_now):
    meeting = roundtable_for(registration_opens_at=None, registration_closes_at=None)

    assert refused(meeting, industry_rep()) == "This meeting takes no registrations through the portal."


def test_consent_is_required(roundtable):
    assert refused(roundtable, industry_rep(), consent=False) == (
        "To register, agree to the handling of your data for this meeting."
    )


def test_a_note_longer_than_the_field_is_refused(roundtable):
    assert "Keep the note to 500 characters" in refused(roundtable, industry_rep(), note="x" * 501)


def test_an_incomplete_profile_is_refused(roundtable):
    person = UserFactory(role="industry")
    person.profile.organization = None
    person.profile.save()

    assert refused(roundtable, person) == "Complete your profile (your name and organisation) before registering."


def test_a_meeting_the_person_may_not_see_is_refused(frozen_now, cast):
    meeting = roundtable_for(visibility=Meeting.Visibility.GROUP_MEMBERS, working_group=cast.group_b)

    assert refused(meeting, industry_rep()) == "This meeting is not open to you."


def test_the_organisation_is_kept_as_it_was_when_registering(roundtable):
    person = industry_rep()
    registered_for = person.profile.organization
    registration = register(meeting=roundtable, person=person, consent=True).registration

    person.profile.organization = OrganizationFactory()
    person.profile.save()

    assert Registration.objects.get(pk=registration.pk).organization == registered_for
