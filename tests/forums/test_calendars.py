"""The .ics of a meeting and the personal feed, as a calendar program reads them."""

import re
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from forums import services
from forums.models import AgendaItem, AgendaVersion, Meeting, Registration
from tests.factories import (
    AgendaItemFactory,
    ForumFactory,
    MeetingFactory,
    MembershipFactory,
    RegistrationFactory,
    UserFactory,
    WorkingGroupFactory,
)

pytestmark = pytest.mark.django_db

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def parse(response) -> Calendar:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def only_event(calendar: Calendar):
    (event,) = calendar.walk("VEVENT")
    return event


def download(client, meeting):
    return client.get(reverse("forums:meeting_ics", args=[meeting.pk]))


def feed_of(client, user):
    return client.get(reverse("forums:personal_feed", args=[user.profile.calendar_token]))


def summaries(calendar: Calendar) -> set[str]:
    return {str(event["SUMMARY"]) for event in calendar.walk("VEVENT")}


@pytest.fixture
def secretariat():
    return UserFactory(role="secretariat")


def test_a_meeting_ics_parses_back_with_everything_a_calendar_shows(client):
    meeting = MeetingFactory(
        title_en="Fifth DICAS plenary",
        summary_en="Ship repair and co-sustainment.",
        venue_en="Ministry of Defense, Ichigaya",
        starts_at=datetime(2031, 5, 20, 10, 0, tzinfo=TOKYO),
        ends_at=datetime(2031, 5, 20, 17, 0, tzinfo=TOKYO),
    )
    AgendaItemFactory(meeting=meeting, position=2, title_en="Missile co-production")
    AgendaItemFactory(meeting=meeting, position=1, title_en="Opening remarks")
    services.publish_agenda(meeting=meeting, by=UserFactory(role="secretariat"))
    # A draft change after publication stays in the portal until it is published.
    AgendaItemFactory(meeting=meeting, position=3, title_en="Draft item not yet published")

    response = download(client, meeting)
    calendar = parse(response)

    assert response["Content-Disposition"] == f'attachment; filename="meeting-{meeting.pk}.ics"'
    assert str(calendar["VERSION"]) == "2.0" and calendar["PRODID"]
    assert str(calendar["X-WR-CALNAME"]) == "Fifth DICAS plenary"
    event = only_event(calendar)
    assert str(event["UID"]) == f"{meeting.calendar_uid_part}@{settings.PORTAL_UID_DOMAIN}"
    assert event["SEQUENCE"] == 0
    assert str(event["SUMMARY"]) == "Fifth DICAS plenary"
    assert str(event["LOCATION"]) == "Ministry of Defense, Ichigaya"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["URL"]) == f"http://testserver/meetings/{meeting.pk}/"
    description = str(event["DESCRIPTION"])
    assert description.startswith("Ship repair and co-sustainment.")
    assert description.index("1. Opening remarks") < description.index("2. Missile co-production")
    assert "Draft item not yet published" not in description
    assert event.decoded("DTSTAMP") and event.decoded("LAST-MODIFIED") == meeting.updated_at.replace(microsecond=0)
    assert event.decoded("DTSTART") == datetime(2031, 5, 20, 10, 0, tzinfo=TOKYO)
    assert event.decoded("DTEND") == datetime(2031, 5, 20, 17, 0, tzinfo=TOKYO)


def test_the_title_comes_in_the_active_language(client):
    meeting = MeetingFactory(title_en="Plenary", title_ja="本会合")
    english = only_event(parse(client.get(reverse("forums:meeting_ics", args=[meeting.pk]), HTTP_ACCEPT_LANGUAGE="en")))
    japanese = only_event(parse(client.get(reverse("forums:meeting_ics", args=[meeting.pk]), HTTP_ACCEPT_LANGUAGE="ja")))
    assert str(english["SUMMARY"]) == "Plenary"
    assert str(japanese["SUMMARY"]) == "本会合"


@pytest.mark.parametrize(
    ("zone_name", "local_start", "utc_start"),
    [
        ("Asia/Tokyo", datetime(2031, 7, 1, 10, 0), datetime(2031, 7, 1, 1, 0, tzinfo=UTC)),
        # Both sides of New York's daylight-saving change.
        ("America/New_York", datetime(2031, 7, 1, 10, 0), datetime(2031, 7, 1, 14, 0, tzinfo=UTC)),
        ("America/New_York", datetime(2031, 1, 15, 10, 0), datetime(2031, 1, 15, 15, 0, tzinfo=UTC)),
    ],
)
def test_times_are_in_the_venue_zone_with_its_vtimezone(client, zone_name, local_start, utc_start):
    zone = zoneinfo.ZoneInfo(zone_name)
    start = local_start.replace(tzinfo=zone)
    meeting = MeetingFactory(time_zone=zone_name, starts_at=start, ends_at=start + timedelta(hours=2))

    response = download(client, meeting)
    calendar = parse(response)

    assert [timezone_component.tz_name for timezone_component in calendar.timezones] == [zone_name]
    text = response.content.decode()
    assert f"DTSTART;TZID={zone_name}:{local_start:%Y%m%dT%H%M%S}" in text
    event = only_event(calendar)
    assert event.decoded("DTSTART") == utc_start
    assert event.decoded("DTSTART").utcoffset() == start.utcoffset()


def test_a_feed_with_tokyo_and_new_york_meetings_carries_both_time_zones(client):
    member = UserFactory(role="official")
    MeetingFactory(time_zone="Asia/Tokyo")
    MeetingFactory(time_zone="America/New_York")
    calendar = parse(feed_of(client, member))
    assert {tz.tz_name for tz in calendar.timezones} == {"Asia/Tokyo", "America/New_York"}
    assert {str(tz["TZID"]) for tz in calendar.timezones} == {"Asia/Tokyo", "America/New_York"}
    assert calendar.get_missing_tzids() == set()


def test_a_reschedule_keeps_the_uid_raises_the_sequence_and_moves_the_event(client, secretariat):
    meeting = MeetingFactory(starts_at=datetime(2031, 5, 20, 10, 0, tzinfo=TOKYO))
    before = only_event(parse(download(client, meeting)))

    new_start = datetime(2031, 5, 27, 14, 0, tzinfo=TOKYO)
    services.update_meeting(meeting=meeting, by=secretariat, starts_at=new_start, ends_at=new_start + timedelta(hours=3))
    after = only_event(parse(download(client, meeting)))

    assert after["UID"] == before["UID"]
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert after.decoded("DTSTART") == new_start
    assert after.decoded("DTEND") == new_start + timedelta(hours=3)


def test_each_calendar_change_raises_the_sequence_again(secretariat):
    meeting = MeetingFactory()
    services.update_meeting(meeting=meeting, by=secretariat, venue_en="Pentagon")
    services.update_meeting(meeting=meeting, by=secretariat, title_ja="本会合")
    assert Meeting.objects.get(pk=meeting.pk).sequence == 2


def test_a_change_no_calendar_shows_keeps_the_sequence(secretariat):
    meeting = MeetingFactory()
    updated = services.update_meeting(meeting=meeting, by=secretariat, capacity=40)
    assert updated.capacity == 40 and updated.sequence == 0
    assert Meeting.objects.get(pk=meeting.pk).capacity == 40


def test_an_invalid_change_is_refused_and_nothing_is_saved(secretariat):
    meeting = MeetingFactory()
    stored_start = meeting.starts_at
    with pytest.raises(ValidationError):
        services.update_meeting(meeting=meeting, by=secretariat, ends_at=meeting.starts_at - timedelta(hours=1))
    stored = Meeting.objects.get(pk=meeting.pk)
    assert stored.starts_at == stored_start and stored.sequence == 0


def test_only_the_secretariat_changes_meetings():
    meeting = MeetingFactory()
    with pytest.raises(PermissionDenied):
        services.update_meeting(meeting=meeting, by=UserFactory(role="official"), venue_en="Elsewhere")
    with pytest.raises(TypeError):
        services.update_meeting(meeting=meeting, by=UserFactory(role="secretariat"), sequence=99)


def test_a_cancelled_meeting_shows_as_cancelled(client, secretariat):
    meeting = MeetingFactory()
    services.cancel_meeting(meeting=meeting, by=secretariat)
    event = only_event(parse(download(client, meeting)))
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == 1


def test_a_postponed_meeting_shows_as_tentative(client, secretariat):
    meeting = MeetingFactory()
    services.postpone_meeting(meeting=meeting, by=secretariat)
    event = only_event(parse(download(client, meeting)))
    assert str(event["STATUS"]) == "TENTATIVE"
    assert event["SEQUENCE"] == 1


def test_a_members_only_meeting_ics_answers_404_to_outsiders(client):
    group = WorkingGroupFactory()
    meeting = MeetingFactory(working_group=group, visibility=Meeting.Visibility.GROUP_MEMBERS)
    member = UserFactory(role="official")
    MembershipFactory(working_group=group, person=member)

    assert download(client, meeting).status_code == 404
    client.force_login(UserFactory(role="official"))
    assert download(client, meeting).status_code == 404
    client.force_login(member)
    assert str(only_event(parse(download(client, meeting)))["SUMMARY"]) == meeting.title_en


def test_a_draft_meeting_ics_answers_404_and_post_is_refused(client):
    assert download(client, MeetingFactory(status=Meeting.Status.DRAFT)).status_code == 404
    meeting = MeetingFactory()
    assert client.post(reverse("forums:meeting_ics", args=[meeting.pk])).status_code == 405


def test_the_personal_feed_holds_exactly_what_that_person_should_see(client):
    forum = ForumFactory()
    group_a, group_b = WorkingGroupFactory(forum=forum), WorkingGroupFactory(forum=forum)
    official = UserFactory(role="official")
    MembershipFactory(working_group=group_a, person=official)

    def meeting(title, **fields):
        return MeetingFactory(forum=forum, title_en=title, **fields)

    meeting("A members", kind=Meeting.Kind.WORKING_GROUP, working_group=group_a,
            visibility=Meeting.Visibility.GROUP_MEMBERS)
    meeting("A open", kind=Meeting.Kind.WORKING_GROUP, working_group=group_a,
            visibility=Meeting.Visibility.PARTICIPANTS)
    meeting("Plenary", kind=Meeting.Kind.PLENARY)
    meeting("Preparatory", kind=Meeting.Kind.PREPARATORY, visibility=Meeting.Visibility.PARTICIPANTS)
    meeting("Cancelled plenary", kind=Meeting.Kind.PLENARY, status=Meeting.Status.CANCELLED)
    registered = meeting("Registered roundtable", kind=Meeting.Kind.ROUNDTABLE)
    RegistrationFactory(meeting=registered, person=official, status=Registration.Status.CONFIRMED)
    withdrawn = meeting("Withdrawn roundtable", kind=Meeting.Kind.ROUNDTABLE)
    RegistrationFactory(meeting=withdrawn, person=official, status=Registration.Status.CANCELLED)
    declined = meeting("Declined roundtable", kind=Meeting.Kind.ROUNDTABLE)
    RegistrationFactory(meeting=declined, person=official, status=Registration.Status.DECLINED)
    meeting("Other roundtable", kind=Meeting.Kind.ROUNDTABLE)
    meeting("B members", kind=Meeting.Kind.WORKING_GROUP, working_group=group_b,
            visibility=Meeting.Visibility.GROUP_MEMBERS)
    meeting("B open", kind=Meeting.Kind.WORKING_GROUP, working_group=group_b,
            visibility=Meeting.Visibility.PARTICIPANTS)
    meeting("Draft plenary", kind=Meeting.Kind.PLENARY, status=Meeting.Status.DRAFT)
    # Registered, but the meeting is a draft: the feed shows no more than the pages.
    hidden = meeting("Draft roundtable", kind=Meeting.Kind.ROUNDTABLE, status=Meeting.Status.DRAFT)
    RegistrationFactory(meeting=hidden, person=official, status=Registration.Status.CONFIRMED)

    response = feed_of(client, official)
    calendar = parse(response)

    assert summaries(calendar) == {
        "A members", "A open", "Plenary", "Preparatory", "Cancelled plenary", "Registered roundtable",
    }
    assert len(calendar.walk("VEVENT")) == 6
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert "private" in response["Cache-Control"]


def test_the_feed_of_an_industry_representative_leaves_out_participants_only_meetings(client):
    industry = UserFactory(role="industry")
    MeetingFactory(title_en="Public plenary")
    MeetingFactory(title_en="Closed plenary", visibility=Meeting.Visibility.PARTICIPANTS)
    roundtable = MeetingFactory(title_en="Roundtable", kind=Meeting.Kind.ROUNDTABLE)
    RegistrationFactory(meeting=roundtable, person=industry, status=Registration.Status.PENDING)
    # Industry representatives are participants: they see "all participants" meetings too.
    assert summaries(parse(feed_of(client, industry))) == {"Public plenary", "Closed plenary", "Roundtable"}


def test_the_feed_speaks_the_language_of_its_owner(client):
    official = UserFactory(role="official")
    official.profile.preferred_language = "ja"
    official.profile.save()
    MeetingFactory(title_en="Plenary", title_ja="本会合")
    calendar = parse(client.get(reverse("forums:personal_feed", args=[official.profile.calendar_token]),
                                HTTP_ACCEPT_LANGUAGE="en"))
    assert summaries(calendar) == {"本会合"}


def test_an_unknown_token_or_a_deactivated_account_answers_404(client):
    assert client.get(reverse("forums:personal_feed", args=["no-such-token"])).status_code == 404
    official = UserFactory(role="official")
    official.is_active = False
    official.save()
    assert feed_of(client, official).status_code == 404


def test_a_feed_fetched_before_is_refused_once_the_account_is_deactivated(client):
    official = UserFactory(role="official")
    MeetingFactory(title_en="Plenary")
    assert feed_of(client, official).status_code == 200

    official.is_active = False
    official.save()

    assert feed_of(client, official).status_code == 404


def test_a_feed_fetched_before_stops_answering_at_its_old_address_once_the_token_is_reset(client):
    from participants.services import reset_calendar_token

    official = UserFactory(role="official")
    MeetingFactory(title_en="Plenary")
    old_token = official.profile.calendar_token
    assert client.get(reverse("forums:personal_feed", args=[old_token])).status_code == 200

    reset_calendar_token(profile=official.profile)

    assert client.get(reverse("forums:personal_feed", args=[old_token])).status_code == 404
    official.profile.refresh_from_db()
    assert summaries(parse(feed_of(client, official))) == {"Plenary"}


def test_a_feed_fetched_again_unchanged_costs_no_query(client, django_assert_num_queries):
    official = UserFactory(role="official")
    MeetingFactory(title_en="Plenary")
    first = feed_of(client, official)

    with django_assert_num_queries(0):
        again = feed_of(client, official)

    assert again.content == first.content


def test_a_feed_fetched_before_follows_its_owners_new_language(client):
    official = UserFactory(role="official")
    MeetingFactory(title_en="Plenary", title_ja="本会合")
    assert summaries(parse(feed_of(client, official))) == {"Plenary"}

    official.profile.preferred_language = "ja"
    official.profile.save()

    assert summaries(parse(feed_of(client, official))) == {"本会合"}


@pytest.mark.parametrize("count", [5, 500])
def test_the_feed_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries, count):
    forum = ForumFactory()
    group = WorkingGroupFactory(forum=forum)
    official = UserFactory(role="official")
    MembershipFactory(working_group=group, person=official)
    start = datetime(2031, 4, 1, 10, 0, tzinfo=TOKYO)
    meetings = Meeting.objects.bulk_create(
        Meeting(
            forum=forum,
            working_group=group if number % 2 else None,
            kind=Meeting.Kind.WORKING_GROUP if number % 2 else Meeting.Kind.PLENARY,
            visibility=Meeting.Visibility.GROUP_MEMBERS if number % 2 else Meeting.Visibility.PUBLIC,
            title_en=f"Meeting {number}",
            starts_at=start + timedelta(days=number),
            ends_at=start + timedelta(days=number, hours=3),
            time_zone="America/New_York" if number % 3 else "Asia/Tokyo",
            status=Meeting.Status.SCHEDULED,
        )
        for number in range(count)
    )
    AgendaItem.objects.bulk_create(
        AgendaItem(meeting=meeting, position=position, title_en=f"Item {position}", duration_minutes=30)
        for meeting in meetings
        for position in (1, 2)
    )

    # The profile and its account, the meetings, their agenda items.
    with django_assert_max_num_queries(3):
        response = feed_of(client, official)

    assert len(parse(response).walk("VEVENT")) == count


def test_a_meeting_ics_is_kept_until_the_meeting_or_its_agenda_changes(client):
    """Calendar programs fetch it again and again: the second download reads neither the
    meeting nor its agenda, and a newly published agenda shows at once."""
    meeting = MeetingFactory(title_en="Cached plenary")
    AgendaVersion.objects.create(meeting=meeting, number=1, published_at=timezone.now(),
                                 items=[{"id": 1, "title_en": "Opening remarks", "duration_minutes": 10}])
    first = download(client, meeting)
    with CaptureQueriesContext(connection) as again:
        assert download(client, meeting).content == first.content
    assert len(again) == 0
    AgendaVersion.objects.create(meeting=meeting, number=2, published_at=timezone.now(),
                                 items=[{"id": 1, "title_en": "Welcome and opening", "duration_minutes": 10}])
    assert "Welcome and opening" in download(client, meeting).content.decode()


def test_a_members_only_meeting_ics_kept_for_a_member_still_answers_404_to_an_outsider(client):
    group = WorkingGroupFactory()
    meeting = MeetingFactory(working_group=group, kind=Meeting.Kind.WORKING_GROUP,
                             visibility=Meeting.Visibility.GROUP_MEMBERS)
    member, outsider = UserFactory(role="official"), UserFactory(role="official")
    MembershipFactory(working_group=group, person=member)
    inside = Client()
    inside.force_login(member)
    assert download(inside, meeting).status_code == 200
    client.force_login(outsider)
    assert download(client, meeting).status_code == 404


def test_the_uid_is_a_random_part_kept_per_meeting_at_the_installations_domain(client):
    with override_settings(PORTAL_UID_DOMAIN="dicas-portal.example.org"):
        first, second = MeetingFactory(), MeetingFactory()
        uid = str(only_event(parse(download(client, first)))["UID"])
        part = Meeting.objects.get(pk=first.pk).calendar_uid_part

        assert uid == f"{part}@dicas-portal.example.org"
        assert re.fullmatch(r"[0-9a-f]{32}", part) and part != second.calendar_uid_part


def test_a_feed_and_a_meeting_file_kept_in_the_cache_follow_a_new_uid_domain(client):
    """The feed and the .ics are kept until something in them changes; the UID's domain is a
    setting, so a kept file written under the old one is not served."""
    official = UserFactory(role="official")
    meeting = MeetingFactory()
    assert f"@{settings.PORTAL_UID_DOMAIN}" in feed_of(client, official).content.decode()
    download(client, meeting)

    with override_settings(PORTAL_UID_DOMAIN="calendar.dicas-portal.example"):
        for response in (feed_of(client, official), download(client, meeting)):
            assert str(only_event(parse(response))["UID"]) == f"{meeting.calendar_uid_part}@calendar.dicas-portal.example"
