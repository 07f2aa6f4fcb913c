"""Who is told: the audience rule, resolved through the pages' permission functions when
the worker expands the dispatch."""

import pytest

from forums.models import Document, ForumCountry, Meeting, Minutes, Registration
from notifications.models import Category, Delivery, Dispatch, NotificationPreference
from notifications.services import expand_dispatch, record_dispatch, set_preference
from participants.models import Country
from tests.factories import (
    MeetingFactory,
    MembershipFactory,
    OrganizationFactory,
    ProfileFactory,
    RegistrationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Event, Audience = Dispatch.Event, Dispatch.Audience


def told(**kwargs) -> set:
    """Records the dispatch and expands it as the worker does; returns who got a delivery."""
    dispatch = record_dispatch(**kwargs)
    expand_dispatch(dispatch_id=dispatch.pk)
    return set(Delivery.objects.filter(dispatch=dispatch).values_list("recipient__email", flat=True))


def emails(*people) -> set:
    return {person.email for person in people}


def test_group_members_who_may_see_the_meeting_are_told_and_nobody_else(cast, group_meeting):
    other_member = UserFactory(role="official")
    MembershipFactory(working_group=cast.group_a, person=other_member)
    MembershipFactory(working_group=cast.group_b, person=cast.outsider)

    assert told(event=Event.MINUTES_PUBLISHED, target=group_meeting, audience=Audience.GROUP_MEMBERS) == emails(
        cast.member, other_member
    )


def test_a_member_without_a_profile_or_whose_role_may_not_see_the_meeting_is_not_told(cast, group_meeting):
    # A bare account (no profile) may not see a members-only meeting, membership or not.
    bare = UserFactory()
    MembershipFactory(working_group=cast.group_a, person=bare)
    draft = MeetingFactory(working_group=cast.group_a, status=Meeting.Status.DRAFT,
                           visibility=Meeting.Visibility.GROUP_MEMBERS, kind=Meeting.Kind.WORKING_GROUP)

    assert told(event=Event.AGENDA_PUBLISHED, target=group_meeting, audience=Audience.GROUP_MEMBERS) == emails(
        cast.member
    )
    assert told(event=Event.AGENDA_PUBLISHED, target=draft, audience=Audience.GROUP_MEMBERS) == set()


def test_inactive_and_unsubscribed_people_are_skipped_but_other_kinds_still_reach_them(cast, group_meeting):
    inactive = UserFactory(role="official", is_active=False)
    unsubscribed = UserFactory(role="official")
    for person in (inactive, unsubscribed):
        MembershipFactory(working_group=cast.group_a, person=person)
    set_preference(person=unsubscribed, category=Category.MINUTES, mode=NotificationPreference.Mode.OFF)

    assert told(event=Event.MINUTES_PUBLISHED, target=group_meeting, audience=Audience.GROUP_MEMBERS) == emails(
        cast.member
    )
    assert told(event=Event.AGENDA_PUBLISHED, target=group_meeting, audience=Audience.GROUP_MEMBERS) == emails(
        cast.member, unsubscribed
    )


def test_notices_about_ones_own_registration_ignore_the_unsubscribe(cast):
    roundtable = MeetingFactory(kind=Meeting.Kind.ROUNDTABLE, visibility=Meeting.Visibility.PARTICIPANTS)
    registration = RegistrationFactory(meeting=roundtable, person=cast.industry, status=Registration.Status.CONFIRMED)
    set_preference(person=cast.industry, category=Category.REGISTRATIONS, mode=NotificationPreference.Mode.OFF)
    set_preference(person=cast.secretariat, category=Category.REGISTRATIONS, mode=NotificationPreference.Mode.OFF)

    assert told(event=Event.REGISTRATION_CONFIRMED, target=registration, audience=Audience.PERSON,
                person=cast.industry) == emails(cast.industry)
    # The same event told to the secretariat is an ordinary notice: switched off is off.
    assert told(event=Event.REGISTRATION_RECEIVED, target=registration, audience=Audience.SECRETARIAT) == set()


def test_one_person_is_not_told_of_a_meeting_they_may_not_see(cast, group_meeting):
    assert told(event=Event.INVITATION, target=group_meeting, audience=Audience.PERSON,
                person=cast.outsider) == set()
    assert told(event=Event.INVITATION, target=group_meeting, audience=Audience.PERSON,
                person=cast.member) == emails(cast.member)


def test_meeting_viewers_of_a_plenary_are_every_participant_who_may_see_it(cast):
    plenary = MeetingFactory(kind=Meeting.Kind.PLENARY, visibility=Meeting.Visibility.PARTICIPANTS)
    nobody_in_particular = UserFactory()  # an account without a profile is no participant

    people = told(event=Event.AGENDA_PUBLISHED, target=plenary, audience=Audience.MEETING_VIEWERS)

    assert people == emails(cast.industry, cast.outsider, cast.member, cast.cochair, cast.secretariat)
    assert nobody_in_particular.email not in people


def test_meeting_viewers_of_a_group_meeting_are_its_members_and_those_registered(cast):
    meeting = MeetingFactory(kind=Meeting.Kind.WORKING_GROUP, working_group=cast.group_a,
                             visibility=Meeting.Visibility.PARTICIPANTS)
    RegistrationFactory(meeting=meeting, person=cast.outsider, status=Registration.Status.WAITLISTED)
    RegistrationFactory(meeting=meeting, person=cast.industry, status=Registration.Status.CANCELLED)

    assert told(event=Event.MEETING_RESCHEDULED, target=meeting, audience=Audience.MEETING_VIEWERS) == emails(
        cast.member, cast.outsider
    )
    # Reminders go to the confirmed attendees and the group's members only.
    RegistrationFactory(meeting=meeting, person=cast.cochair, status=Registration.Status.CONFIRMED)
    assert told(event=Event.MEETING_REMINDER, target=meeting, audience=Audience.MEETING_ATTENDEES) == emails(
        cast.member, cast.cochair
    )


def test_cochairs_and_the_secretariat(cast, group_meeting):
    assert told(event=Event.MINUTES_SUBMITTED, target=group_meeting, audience=Audience.COCHAIRS) == emails(
        cast.cochair
    )
    assert told(event=Event.MINUTES_APPROVED, target=group_meeting, audience=Audience.SECRETARIAT) == emails(
        cast.secretariat
    )


def test_a_paper_is_told_only_to_those_who_may_open_it(cast):
    japan = Country.objects.get_or_create(code="JP", defaults={"name_en": "Japan"})[0]
    india = Country.objects.create(code="IN", name_en="India")
    forum = cast.group_a.forum
    ForumCountry.objects.create(forum=forum, country=japan, standing=ForumCountry.Standing.MEMBER)
    observer = ProfileFactory(role="official", organization=OrganizationFactory(country=india)).user
    MembershipFactory(working_group=cast.group_a, person=observer)
    export_controlled = Document.objects.create(
        forum=forum, working_group=cast.group_a, title="Dry-dock capacity survey", file="papers/survey.pdf",
        marking=Document.Marking.EXPORT_CONTROLLED,
    )

    # Members from the forum's member countries only; the observer country's member is not cleared.
    assert told(event=Event.PAPER_ADDED, target=export_controlled, audience=Audience.GROUP_MEMBERS) == emails(
        cast.member
    )


def test_minutes_are_told_only_to_those_cleared_for_their_marking(cast):
    meeting = MeetingFactory(kind=Meeting.Kind.WORKING_GROUP, working_group=cast.group_a,
                             visibility=Meeting.Visibility.PARTICIPANTS)
    RegistrationFactory(meeting=meeting, person=cast.industry, status=Registration.Status.CONFIRMED)
    minutes = Minutes.objects.create(meeting=meeting, body="Text", status=Minutes.Status.PUBLISHED,
                                     marking="official_use_only")

    # The registered industry representative sees the meeting but not official-use-only minutes.
    assert told(event=Event.MINUTES_PUBLISHED, target=minutes, audience=Audience.MEETING_VIEWERS) == emails(
        cast.member
    )


def test_expanding_again_adds_nobody_and_nobody_twice(cast, group_meeting):
    dispatch = record_dispatch(event=Event.MINUTES_PUBLISHED, target=group_meeting, audience=Audience.GROUP_MEMBERS)
    assert expand_dispatch(dispatch_id=dispatch.pk) == 1
    # Someone who joins after the notice was sent out is not told of it by a second run.
    MembershipFactory(working_group=cast.group_a, person=UserFactory(role="official"))

    assert expand_dispatch(dispatch_id=dispatch.pk) == 1
    assert Delivery.objects.filter(dispatch=dispatch).count() == 1


def test_a_dispatch_about_a_deleted_object_tells_nobody(cast, group_meeting):
    dispatch = record_dispatch(event=Event.AGENDA_PUBLISHED, target=group_meeting, audience=Audience.GROUP_MEMBERS)
    group_meeting.delete()

    assert expand_dispatch(dispatch_id=dispatch.pk) == 0
    dispatch.refresh_from_db()
    assert dispatch.expanded_at is not None


@pytest.fixture
def five_members(cast):
    for _ in range(4):
        MembershipFactory(working_group=cast.group_a, person=UserFactory(role="official"))


def test_a_large_dispatch_is_committed_in_chunks_each_queued_for_sending(cast, group_meeting, five_members,
                                                                         monkeypatch):
    from notifications import services

    monkeypatch.setattr(services, "EXPANSION_CHUNK", 2)
    dispatch = record_dispatch(event=Event.MINUTES_PUBLISHED, target=group_meeting, audience=Audience.GROUP_MEMBERS)
    committed = []

    expand_dispatch(dispatch_id=dispatch.pk,
                    on_chunk=lambda: committed.append(Delivery.objects.filter(dispatch=dispatch).count()))

    assert committed == [2, 4, 5]


def test_an_expansion_cut_short_is_finished_by_the_next_run_without_doubles(cast, group_meeting, five_members,
                                                                            monkeypatch):
    from notifications import services

    monkeypatch.setattr(services, "EXPANSION_CHUNK", 2)
    dispatch = record_dispatch(event=Event.MINUTES_PUBLISHED, target=group_meeting, audience=Audience.GROUP_MEMBERS)

    def worker_dies():
        raise SystemExit("killed")

    with pytest.raises(SystemExit):
        expand_dispatch(dispatch_id=dispatch.pk, on_chunk=worker_dies)
    dispatch.refresh_from_db()
    assert dispatch.expanded_at is None and Delivery.objects.filter(dispatch=dispatch).count() == 2

    assert expand_dispatch(dispatch_id=dispatch.pk) == 5
    assert Delivery.objects.filter(dispatch=dispatch).count() == 5
