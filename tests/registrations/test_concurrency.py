"""No overbooking under load, on the real PostgreSQL: 60 people from 20 companies press
"Register" at once for 25 seats, at most 2 per company. Each thread has its own database
connection, so the requests really run side by side and meet at the meeting's row lock.

SQLite would serialise every write and prove nothing: without PostgreSQL this skips (and
fails in CI, which always has it)."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connections
from django.utils import timezone

from forums.models import Meeting, Registration
from forums.services import register
from forums.services.registrations import waitlist_position
from notifications.models import Dispatch
from participants.models import Organization, Profile
from tests.factories import CountryFactory, MeetingFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PEOPLE = 60
COMPANIES = 20
SEATS = 25
PER_COMPANY = 2
RUNS = 5

Status = Registration.Status


def make_people() -> list:
    country = CountryFactory()
    companies = [
        Organization.objects.create(name=f"Company {n} K.K.", kind=Organization.Kind.INDUSTRY, country=country)
        for n in range(COMPANIES)
    ]
    people = []
    for n in range(PEOPLE):
        person = UserFactory()
        Profile.objects.create(user=person, full_name=f"Person {n}", role=Profile.Role.INDUSTRY,
                               organization=companies[n % COMPANIES],
                               verified_organization=companies[n % COMPANIES])
        people.append(person)
    return people


def make_meeting(run: int) -> Meeting:
    now = timezone.now()
    return MeetingFactory(
        kind=Meeting.Kind.ROUNDTABLE, title_en=f"Roundtable, run {run}",
        starts_at=now + timedelta(days=30), ends_at=now + timedelta(days=30, hours=3),
        registration_opens_at=now - timedelta(days=1), registration_closes_at=now + timedelta(days=20),
        capacity=SEATS, seats_per_organization=PER_COMPANY,
    )


def register_all_at_once(meeting: Meeting, people: list) -> list[BaseException]:
    start = threading.Barrier(len(people))
    failures: list[BaseException] = []
    lock = threading.Lock()

    def one_request(person):
        try:
            start.wait(timeout=30)
            register(meeting=meeting, person=person, consent=True)
        except BaseException as error:  # noqa: BLE001 - every failure is a finding
            with lock:
                failures.append(error)
        finally:
            # Each thread opened its own connection: close it, or the test database
            # cannot be flushed or dropped afterwards.
            connections.close_all()

    threads = [threading.Thread(target=one_request, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    return failures


def expected_outcome(in_database_order: list[Registration]) -> list[str]:
    """The rules replayed one request at a time, in the order the database took them."""
    seats, per_company, outcome = 0, Counter(), []
    for registration in in_database_order:
        if seats < SEATS and per_company[registration.organization_id] < PER_COMPANY:
            seats += 1
            per_company[registration.organization_id] += 1
            outcome.append(Status.CONFIRMED)
        else:
            outcome.append(Status.WAITLISTED)
    return outcome


def test_sixty_at_once_for_twenty_five_seats_never_overbook():
    people = make_people()
    for run in range(RUNS):
        meeting = make_meeting(run)

        failures = register_all_at_once(meeting, people)

        assert failures == [], f"run {run}: {failures!r}"
        # The order the database saw them: ids are drawn, and times stamped, under the lock.
        registrations = list(Registration.objects.filter(meeting=meeting).order_by("pk"))
        assert len(registrations) == PEOPLE
        assert [r.created_at for r in registrations] == sorted(r.created_at for r in registrations)
        confirmed = [r for r in registrations if r.status == Status.CONFIRMED]
        waitlisted = [r for r in registrations if r.status == Status.WAITLISTED]
        assert len(confirmed) == SEATS, f"run {run}"
        assert len(waitlisted) == PEOPLE - SEATS, f"run {run}"
        assert max(Counter(r.organization_id for r in confirmed).values()) <= PER_COMPANY, f"run {run}"
        assert [r.status for r in registrations] == expected_outcome(registrations), f"run {run}"
        # The waiting list keeps that order too.
        assert [waitlist_position(r) for r in waitlisted] == list(range(1, PEOPLE - SEATS + 1)), f"run {run}"
        # Everyone was told exactly once.
        told = Dispatch.objects.filter(target_type=ContentType.objects.get_for_model(Registration),
                                       target_id__in=[r.pk for r in registrations])
        assert sorted(told.values_list("person_id", flat=True)) == sorted(r.person_id for r in registrations)
