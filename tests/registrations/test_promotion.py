"""The waiting list moves by itself: a cancellation, a decline or more seats confirm the
first ELIGIBLE people on it (someone whose company is full keeps their place and the next
one is promoted), and each is told. Vetting: approve and decline, in bulk, all or nothing."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from forums.models import Meeting, Registration
from forums.services import (
    RegistrationRefused,
    approve_registrations,
    cancel_registration,
    change_capacity,
    decline_registrations,
    register,
)
from forums.services.registrations import waitlist_position
from notifications.models import Dispatch
from tests.factories import OrganizationFactory

from .conftest import NOW, industry_rep, roundtable_for

pytestmark = pytest.mark.django_db

Status = Registration.Status
Event = Dispatch.Event


def statuses(*registrations) -> list[str]:
    return [Registration.objects.get(pk=registration.pk).status for registration in registrations]


def promoted_people() -> list:
    return [dispatch.person for dispatch in Dispatch.objects.filter(event=Event.REGISTRATION_PROMOTED).order_by("pk")]


def sign_up(meeting, person):
    return register(meeting=meeting, person=person, consent=True).registration


@pytest.fixture
def full_meeting(frozen_now):
    """Two seats, at most one per company: A1 and B1 hold them; A2 (from A) and C1 wait."""
    meeting = roundtable_for(capacity=2, seats_per_organization=1)
    company_a, company_b, company_c = OrganizationFactory(), OrganizationFactory(), OrganizationFactory()
    people = {
        "A1": industry_rep(company_a), "B1": industry_rep(company_b),
        "A2": industry_rep(company_a), "C1": industry_rep(company_c),
    }
    registrations = {name: sign_up(meeting, person) for name, person in people.items()}
    assert statuses(*registrations.values()) == [Status.CONFIRMED, Status.CONFIRMED, Status.WAITLISTED, Status.WAITLISTED]
    return meeting, people, registrations


def test_a_cancellation_confirms_the_first_on_the_waiting_list_and_tells_them(full_meeting):
    meeting, people, registrations = full_meeting

    promoted = cancel_registration(registration=registrations["A1"], by=people["A1"])

    # A2 is first on the list and A's seat is free again.
    assert [registration.pk for registration in promoted] == [registrations["A2"].pk]
    assert statuses(registrations["A1"], registrations["A2"], registrations["C1"]) == [
        Status.CANCELLED, Status.CONFIRMED, Status.WAITLISTED,
    ]
    assert promoted_people() == [people["A2"]]
    assert Dispatch.objects.filter(event=Event.REGISTRATION_CANCELLED, person=people["A1"]).count() == 1


def test_the_first_on_the_list_blocked_by_their_companys_limit_is_passed_over_for_the_next(full_meeting):
    meeting, people, registrations = full_meeting

    # B's seat frees: A2 is first on the list but A already has its one seat, so C1 gets it.
    cancel_registration(registration=registrations["B1"], by=people["B1"])

    assert statuses(registrations["A2"], registrations["C1"]) == [Status.WAITLISTED, Status.CONFIRMED]
    assert promoted_people() == [people["C1"]]
    # A2 keeps first place on the waiting list.
    assert waitlist_position(Registration.objects.get(pk=registrations["A2"].pk)) == 1


def test_raising_the_capacity_confirms_the_eligible_waiting_in_order(frozen_now, cast):
    meeting = roundtable_for(capacity=1, seats_per_organization=2)
    company_a, company_b = OrganizationFactory(), OrganizationFactory()
    a1, a2, a3, b1 = (industry_rep(company) for company in (company_a, company_a, company_a, company_b))
    regs = [sign_up(meeting, person) for person in (a1, a2, a3, b1)]
    assert statuses(*regs) == [Status.CONFIRMED, Status.WAITLISTED, Status.WAITLISTED, Status.WAITLISTED]

    promoted = change_capacity(meeting=meeting, capacity=4, by=cast.secretariat)

    # Three new seats, but A may have only two: A2 and B1 are confirmed, A3 waits.
    assert [registration.person for registration in promoted] == [a2, b1]
    assert statuses(*regs) == [Status.CONFIRMED, Status.CONFIRMED, Status.WAITLISTED, Status.CONFIRMED]
    assert Meeting.objects.get(pk=meeting.pk).capacity == 4
    assert promoted_people() == [a2, b1]


def test_the_capacity_cannot_go_below_the_seats_confirmed(full_meeting, cast):
    meeting, _people, _registrations = full_meeting

    with pytest.raises(RegistrationRefused) as refusal:
        change_capacity(meeting=meeting, capacity=1, by=cast.secretariat)

    assert refusal.value.message == (
        "2 people are already confirmed: the capacity cannot go below that. Nothing was changed."
    )
    assert Meeting.objects.get(pk=meeting.pk).capacity == 2


def test_only_the_secretariat_changes_the_capacity(full_meeting, cast):
    meeting, people, _registrations = full_meeting

    for someone in (people["A1"], cast.member, cast.cochair):
        with pytest.raises(PermissionDenied):
            change_capacity(meeting=meeting, capacity=10, by=someone)
    assert Meeting.objects.get(pk=meeting.pk).capacity == 2


def test_a_decline_frees_the_seat_for_the_next_and_sends_the_reason(full_meeting, cast):
    meeting, people, registrations = full_meeting

    promoted = decline_registrations(
        meeting=meeting, registration_ids=[registrations["A1"].pk], reason="Not a registered supplier.", by=cast.secretariat
    )

    declined = Registration.objects.get(pk=registrations["A1"].pk)
    assert (declined.status, declined.decline_reason, declined.decided_by) == (
        Status.DECLINED, "Not a registered supplier.", cast.secretariat,
    )
    assert declined.decided_at == NOW
    notice = Dispatch.objects.get(event=Event.REGISTRATION_DECLINED)
    assert (notice.person, notice.context) == (people["A1"], {"reason": "Not a registered supplier."})
    assert [registration.person for registration in promoted] == [people["A2"]]


def test_declining_needs_a_reason_and_changes_nothing_without_one(full_meeting, cast):
    meeting, _people, registrations = full_meeting

    with pytest.raises(RegistrationRefused) as refusal:
        decline_registrations(meeting=meeting, registration_ids=[registrations["A1"].pk], reason="  ", by=cast.secretariat)

    assert refusal.value.message == "Give a reason for declining: it is sent to the person."
    assert statuses(registrations["A1"]) == [Status.CONFIRMED]


def test_approving_in_bulk_confirms_while_seats_last_then_waitlists(frozen_now, cast):
    meeting = roundtable_for(kind=Meeting.Kind.INDUSTRY_DAY, vetting_required=True, capacity=2, seats_per_organization=None)
    regs = [sign_up(meeting, industry_rep()) for _ in range(3)]
    assert statuses(*regs) == [Status.PENDING] * 3

    outcomes = approve_registrations(meeting=meeting, registration_ids=[r.pk for r in reversed(regs)], by=cast.secretariat)

    # Oldest first, whatever the order of the ticks.
    assert [outcome.registration.pk for outcome in outcomes] == [r.pk for r in regs]
    assert statuses(*regs) == [Status.CONFIRMED, Status.CONFIRMED, Status.WAITLISTED]
    assert outcomes[2].waitlist_position == 1
    assert Registration.objects.get(pk=regs[0].pk).decided_by == cast.secretariat
    events = list(Dispatch.objects.filter(event__in=[Event.REGISTRATION_CONFIRMED, Event.REGISTRATION_WAITLISTED])
                  .order_by("pk").values_list("event", flat=True))
    assert events == [Event.REGISTRATION_CONFIRMED, Event.REGISTRATION_CONFIRMED, Event.REGISTRATION_WAITLISTED]


def test_a_bulk_approval_with_one_registration_not_pending_changes_nothing(frozen_now, cast):
    meeting = roundtable_for(kind=Meeting.Kind.INDUSTRY_DAY, vetting_required=True)
    pending = sign_up(meeting, industry_rep())
    already = sign_up(meeting, industry_rep())
    Registration.objects.filter(pk=already.pk).update(status=Status.CONFIRMED)
    before = Dispatch.objects.count()

    with pytest.raises(RegistrationRefused) as refusal:
        approve_registrations(meeting=meeting, registration_ids=[pending.pk, already.pk], by=cast.secretariat)

    assert "Only registrations awaiting vetting can be approved" in refusal.value.message
    assert statuses(pending, already) == [Status.PENDING, Status.CONFIRMED]
    assert Dispatch.objects.count() == before


def test_registrations_of_another_meeting_or_nonsense_ids_are_refused(full_meeting, cast):
    meeting, _people, _registrations = full_meeting
    other = sign_up(roundtable_for(), industry_rep())

    for ids, message in [
        ([other.pk], "Some of the selected registrations are not for this meeting; nothing was changed."),
        (["1; DROP TABLE"], "The selection could not be understood; nothing was changed."),
        ([], "Select at least one registration."),
    ]:
        with pytest.raises(RegistrationRefused) as refusal:
            decline_registrations(meeting=meeting, registration_ids=ids, reason="No.", by=cast.secretariat)
        assert refusal.value.message == message
    assert statuses(other) == [Status.CONFIRMED]


def test_cancelling_is_possible_until_the_meeting_starts(full_meeting, time_machine):
    meeting, people, registrations = full_meeting
    time_machine.move_to(meeting.starts_at + timedelta(minutes=1), tick=False)

    with pytest.raises(RegistrationRefused) as refusal:
        cancel_registration(registration=registrations["A1"], by=people["A1"])

    assert refusal.value.message == "The meeting has started: registrations can no longer be cancelled."
    assert statuses(registrations["A1"], registrations["A2"]) == [Status.CONFIRMED, Status.WAITLISTED]


def test_cancelling_twice_is_refused(full_meeting):
    _meeting, people, registrations = full_meeting
    cancel_registration(registration=registrations["C1"], by=people["C1"])

    with pytest.raises(RegistrationRefused) as refusal:
        cancel_registration(registration=registrations["C1"], by=people["C1"])

    assert refusal.value.message == "This registration is already cancelled."


def test_nobody_cancels_someone_elses_registration_but_the_secretariat(full_meeting, cast):
    _meeting, people, registrations = full_meeting

    with pytest.raises(PermissionDenied):
        cancel_registration(registration=registrations["A1"], by=people["B1"])
    assert statuses(registrations["A1"]) == [Status.CONFIRMED]

    cancel_registration(registration=registrations["A1"], by=cast.secretariat)
    assert statuses(registrations["A1"]) == [Status.CANCELLED]
