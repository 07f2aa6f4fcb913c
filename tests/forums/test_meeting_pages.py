"""The secretariat runs its meetings from the portal's pages: create and edit in the venue's
zone (shown back in the viewer's before saving; a skipped time refused, a repeated one
asked about), publish, open registration, postpone, cancel with a reason, mark as held,
duplicate. What readers see and what registrants receive, through the pages."""

import re
import zoneinfo
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from audit.models import AuditEvent
from forums.models import AgendaItem, Meeting, Registration
from notifications.models import Dispatch
from tests.factories import AgendaItemFactory, ForumFactory, MeetingFactory, RegistrationFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
UTC = dt_timezone.utc


@pytest.fixture
def reader():
    """Another browser, for what readers see (the secretariat's stays signed in)."""
    return Client()


@pytest.fixture
def secretariat_client(client, cast):
    """The secretariat, reading in Washington's zone (as the acceptance test asks)."""
    profile = cast.secretariat.profile
    profile.time_zone = "America/New_York"
    profile.save()
    client.force_login(cast.secretariat)
    return client


@pytest.fixture
def run_commits(django_capture_on_commit_callbacks):
    """Runs what a request's commit queues (the outbox's tasks, in-process here)."""

    def run(request, *args, **kwargs):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            response = request(*args, **kwargs)
        return response

    return run


def form_data(**overrides) -> dict:
    data = {
        "kind": Meeting.Kind.ROUNDTABLE,
        "working_group": "",
        "title_en": "Industry roundtable on ship repair",
        "title_ja": "艦船補修に関する産業界ラウンドテーブル",
        "summary_en": "",
        "summary_ja": "",
        "visibility": Meeting.Visibility.PARTICIPANTS,
        "time_zone": "Asia/Tokyo",
        "starts_at": "2027-07-15T10:00",
        "ends_at": "2027-07-15T12:00",
        "venue_en": "Ministry of Defense, Ichigaya",
        "venue_ja": "防衛省市ヶ谷庁舎",
        "venue_country": "",
        "registration_opens_at": "",
        "registration_closes_at": "",
        "capacity": "40",
        "seats_per_organization": "2",
    }
    data.update(overrides)
    return split_times({name: value for name, value in data.items() if value is not None})


TIME_FIELDS = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")


def split_times(data: dict) -> dict:
    """The form's date and 24-hour time inputs from "YYYY-MM-DDTHH:MM"."""
    for name in TIME_FIELDS:
        if name in data:
            day, _, clock = data.pop(name).partition("T")
            data[f"{name}_0"], data[f"{name}_1"] = day, clock
    return data


def invitation_of(message) -> Calendar:
    [attachment] = message.attachments
    return Calendar.from_ical(attachment.get_payload(decode=True))


def event_of(message):
    [event] = invitation_of(message).walk("VEVENT")
    return event


# -- create, in the venue's zone, confirmed in the viewer's ----------------------------------


def test_a_tokyo_meeting_is_typed_in_tokyo_time_and_shown_in_washington_time_before_it_is_saved(
    secretariat_client
):
    ForumFactory()
    assert secretariat_client.get("/meetings/new/").status_code == 200

    preview = secretariat_client.post("/meetings/new/", form_data(preview="1"))

    assert preview.status_code == 200
    page = preview.content.decode()
    assert "Check the times before saving" in page
    assert "10:00 JST (Tokyo)" in page
    assert "21:00 EDT (Washington), the day before" in page
    assert not Meeting.objects.exists()

    saved = secretariat_client.post("/meetings/new/", form_data(confirm="1"))

    meeting = Meeting.objects.get()
    assert saved["Location"] == f"/meetings/{meeting.pk}/"
    assert meeting.status == Meeting.Status.DRAFT
    assert meeting.starts_at == datetime(2027, 7, 15, 1, 0, tzinfo=UTC)
    assert meeting.ends_at == datetime(2027, 7, 15, 3, 0, tzinfo=UTC)
    assert (meeting.capacity, meeting.seats_per_organization) == (40, 2)


def test_the_zone_list_names_the_capitals_in_both_languages(secretariat_client, cast):
    english = secretariat_client.get("/meetings/new/").content.decode()
    for label in ["Tokyo (Asia/Tokyo)", "Washington (America/New_York)", "Honolulu (Pacific/Honolulu)",
                  "Canberra (Australia/Sydney)", "New Delhi (Asia/Kolkata)"]:
        assert label in english
    profile = cast.secretariat.profile
    profile.preferred_language = "ja"
    profile.save()
    japanese = secretariat_client.get("/meetings/new/").content.decode()
    assert "東京 (Asia/Tokyo)" in japanese
    assert "ワシントン (America/New_York)" in japanese


def test_a_time_the_clocks_skip_is_refused_with_the_reason(secretariat_client):
    ForumFactory()
    # 14 March 2027: New York's clocks jump from 02:00 to 03:00.
    response = secretariat_client.post("/meetings/new/", form_data(
        preview="1", time_zone="America/New_York", starts_at="2027-03-14T02:30", ends_at="2027-03-14T05:00"))

    assert response.status_code == 400
    page = response.content.decode()
    assert "2027-03-14 02:30 does not exist in Washington: the clocks jump forward that night." in page
    assert "Check the times before saving" not in page
    secretariat_client.post("/meetings/new/", form_data(
        confirm="1", time_zone="America/New_York", starts_at="2027-03-14T02:30", ends_at="2027-03-14T05:00"))
    assert not Meeting.objects.exists()


def test_a_time_the_clocks_show_twice_is_asked_about_never_guessed(secretariat_client):
    ForumFactory()
    # 7 November 2027: New York's clocks go back from 02:00 EDT to 01:00 EST.
    repeated = form_data(time_zone="America/New_York", starts_at="2027-11-07T01:30", ends_at="2027-11-07T04:00")

    asked = secretariat_client.post("/meetings/new/", {**repeated, "preview": "1"})

    assert asked.status_code == 400
    page = asked.content.decode()
    assert "01:30 happens twice in Washington. Say which one you mean." in page
    assert "the first time the clock shows it (EDT)" in page
    assert "the second time, after the clocks go back (EST)" in page
    assert "Check the times before saving" not in page

    answered = {**repeated, "starts_at_occurrence": "second"}
    preview = secretariat_client.post("/meetings/new/", {**answered, "preview": "1"})
    assert "01:30 EST (Washington)" in preview.content.decode()
    secretariat_client.post("/meetings/new/", {**answered, "confirm": "1"})
    assert Meeting.objects.get().starts_at == datetime(2027, 11, 7, 6, 30, tzinfo=UTC)


def test_a_date_without_a_time_or_a_12_hour_time_is_refused_with_the_reason(secretariat_client):
    ForumFactory()
    data = form_data(preview="1")
    data["starts_at_1"] = ""
    response = secretariat_client.post("/meetings/new/", data)
    assert response.status_code == 400
    assert "Enter both a date and a time." in response.content.decode()
    data["starts_at_1"] = "10:00 PM"
    response = secretariat_client.post("/meetings/new/", data)
    assert "Enter a date and a time on the 24-hour clock" in response.content.decode()
    assert not Meeting.objects.exists()


def test_editing_a_meeting_in_the_repeated_hour_shows_which_one_it_is(secretariat_client):
    meeting = MeetingFactory(time_zone="America/New_York", starts_at=datetime(2027, 11, 7, 6, 30, tzinfo=UTC),
                             ends_at=datetime(2027, 11, 7, 9, 0, tzinfo=UTC))  # 01:30 EST, the second one
    page = secretariat_client.get(f"/meetings/{meeting.pk}/edit/").content.decode()
    assert "2027-11-07 01:30 happens twice in Washington: which one?" in page
    assert re.search(r'name="starts_at_occurrence" value="second" checked', page)
    assert not re.search(r'name="starts_at_occurrence" value="first" checked', page)


def test_change_something_goes_back_to_the_form_with_the_answers_kept(secretariat_client):
    ForumFactory()
    response = secretariat_client.post("/meetings/new/", form_data(change="1"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="starts_at_0" value="2027-07-15"' in page
    assert 'name="starts_at_1" value="10:00"' in page
    assert not Meeting.objects.exists()


# -- publish and open registration: from nothing to open, without the admin ----------------------


def test_a_draft_is_published_and_opened_for_registration_from_its_page(secretariat_client, reader, cast):
    meeting = MeetingFactory(status=Meeting.Status.DRAFT, kind=Meeting.Kind.ROUNDTABLE,
                             visibility=Meeting.Visibility.PARTICIPANTS)
    page = secretariat_client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert "This meeting is a draft" in page and "Publish the meeting" in page

    secretariat_client.post(f"/meetings/{meeting.pk}/publish/")
    secretariat_client.post(f"/meetings/{meeting.pk}/open-registration/")

    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED
    assert meeting.registration_opens_at <= timezone.now()
    reader.force_login(cast.industry)
    reader.post(f"/meetings/{meeting.pk}/register/", {"consent": "on"})
    assert Registration.objects.filter(meeting=meeting, person=cast.industry).exists()


def test_publishing_twice_changes_nothing_and_says_why(secretariat_client):
    meeting = MeetingFactory()
    response = secretariat_client.post(f"/meetings/{meeting.pk}/publish/", follow=True)
    assert "Only a draft can be published" in response.content.decode()


# -- edit: a new time or place reaches calendars ---------------------------------------------------


@pytest.fixture
def roundtable(cast):
    """A scheduled Tokyo roundtable on 15 July 2027, 10:00–12:00 JST, that a representative
    is confirmed for."""
    meeting = MeetingFactory(
        kind=Meeting.Kind.ROUNDTABLE, visibility=Meeting.Visibility.PARTICIPANTS, working_group=cast.group_a,
        title_en="Industry roundtable", title_ja="産業界ラウンドテーブル",
        starts_at=datetime(2027, 7, 15, 10, 0, tzinfo=TOKYO), ends_at=datetime(2027, 7, 15, 12, 0, tzinfo=TOKYO),
        time_zone="Asia/Tokyo", venue_en="Ministry of Defense, Ichigaya", venue_ja="防衛省市ヶ谷庁舎",
    )
    RegistrationFactory(meeting=meeting, person=cast.industry, status=Registration.Status.CONFIRMED)
    return meeting


def edit_data(meeting: Meeting, **overrides) -> dict:
    return form_data(
        kind=meeting.kind, working_group=str(meeting.working_group_id or ""), title_en=meeting.title_en,
        title_ja=meeting.title_ja, visibility=meeting.visibility, capacity="", seats_per_organization="",
        **overrides,
    )


def test_moving_a_meeting_sends_registrants_an_updated_invitation_and_members_the_change(
    secretariat_client, roundtable, cast, run_commits
):
    first_sequence = roundtable.sequence
    response = run_commits(secretariat_client.post, f"/meetings/{roundtable.pk}/edit/", edit_data(
        roundtable, starts_at="2027-07-15T11:00", ends_at="2027-07-15T13:00", confirm="1"))

    assert response.status_code == 302
    by_person = {message.to[0].rsplit("<", 1)[-1].rstrip(">"): message for message in mail.outbox}
    registrant = by_person[cast.industry.email]
    assert registrant.subject == "Meeting rescheduled: Industry roundtable"
    assert "It was to start: July 15, 2027 10:00 JST (Tokyo)" in registrant.body
    assert "July 15, 2027 11:00 JST (Tokyo)" in registrant.body
    event = event_of(registrant)
    assert invitation_of(registrant)["METHOD"] == "REQUEST"
    assert event.decoded("DTSTART") == datetime(2027, 7, 15, 2, 0, tzinfo=UTC)
    assert event["SEQUENCE"] > first_sequence
    # The group's member sees the meeting too and is told what changed.
    assert "It was to start:" in by_person[cast.member.email].body
    [record] = AuditEvent.objects.filter(action=AuditEvent.Action.MEETING_CHANGED, target_id=roundtable.pk)
    assert record.detail["changed"]["starts_at"] == ["2027-07-15T01:00:00+00:00", "2027-07-15T02:00:00+00:00"]


def test_someone_on_the_waiting_list_is_told_of_the_move_without_an_invitation(
    secretariat_client, roundtable, run_commits
):
    waiting = UserFactory(role="industry")
    RegistrationFactory(meeting=roundtable, person=waiting, status=Registration.Status.WAITLISTED)
    run_commits(secretariat_client.post, f"/meetings/{roundtable.pk}/edit/", edit_data(
        roundtable, starts_at="2027-07-15T11:00", ends_at="2027-07-15T13:00", confirm="1"))

    [message] = [m for m in mail.outbox if waiting.email in m.to[0]]
    assert message.subject == "Meeting rescheduled: Industry roundtable"
    assert "It was to start: July 15, 2027 10:00 JST (Tokyo)" in message.body
    # No seat, so no event added to their calendar, and no word of an attachment.
    assert message.attachments == []
    assert ".ics" not in message.body


def test_a_new_place_is_told_as_old_and_new(secretariat_client, roundtable, cast, run_commits):
    run_commits(secretariat_client.post, f"/meetings/{roundtable.pk}/edit/", edit_data(
        roundtable, venue_en="Yokosuka Naval Base", venue_ja="横須賀基地", confirm="1"))

    [message] = [m for m in mail.outbox if cast.industry.email in m.to[0]]
    assert "It was to be held at: Ministry of Defense, Ichigaya" in message.body
    assert "Place: Yokosuka Naval Base" in message.body


def test_a_reader_in_japanese_is_told_in_japanese(secretariat_client, roundtable, cast, run_commits):
    profile = cast.industry.profile
    profile.preferred_language = "ja"
    profile.save()
    run_commits(secretariat_client.post, f"/meetings/{roundtable.pk}/edit/", edit_data(
        roundtable, venue_en="Yokosuka Naval Base", venue_ja="横須賀基地", confirm="1"))

    [message] = [m for m in mail.outbox if cast.industry.email in m.to[0]]
    assert "産業界ラウンドテーブル" in message.subject
    assert "防衛省市ヶ谷庁舎" in message.body and "横須賀基地" in message.body


# -- postpone, cancel, mark held, duplicate ---------------------------------------------------------


def test_postponing_tells_registrants_the_date_is_no_longer_firm(secretariat_client, reader, roundtable, cast,
                                                                run_commits):
    run_commits(secretariat_client.post, f"/meetings/{roundtable.pk}/postpone/")

    [message] = [m for m in mail.outbox if cast.industry.email in m.to[0]]
    assert message.subject == "Meeting postponed: Industry roundtable"
    assert "A new date will be announced" in message.body
    assert event_of(message)["STATUS"] == "TENTATIVE"
    reader.force_login(cast.outsider)
    page = reader.get(f"/meetings/{roundtable.pk}/").content.decode()
    assert "This meeting is Postponed." in page
    assert "The date below is no longer firm" in page


def test_a_new_date_for_a_postponed_meeting_puts_it_back_on_and_tells_registrants(
    secretariat_client, reader, roundtable, cast, run_commits
):
    secretariat_client.post(f"/meetings/{roundtable.pk}/postpone/")
    run_commits(secretariat_client.post, f"/meetings/{roundtable.pk}/edit/", edit_data(
        roundtable, starts_at="2027-09-02T10:00", ends_at="2027-09-02T12:00", confirm="1"))

    roundtable.refresh_from_db()
    assert roundtable.status == Meeting.Status.SCHEDULED
    [message] = [m for m in mail.outbox if cast.industry.email in m.to[0]]
    assert message.subject == "Meeting rescheduled: Industry roundtable"
    assert "It was to start: July 15, 2027 10:00 JST (Tokyo)" in message.body
    assert "Starts: Sept. 2, 2027 10:00 JST (Tokyo)" in message.body
    assert event_of(message)["STATUS"] == "CONFIRMED"
    reader.force_login(cast.outsider)
    assert "This meeting is Postponed." not in reader.get(f"/meetings/{roundtable.pk}/").content.decode()


def test_cancelling_shows_the_reason_to_readers_and_withdraws_the_invitation(
    secretariat_client, reader, roundtable, cast, run_commits
):
    run_commits(secretariat_client.post, f"/meetings/{roundtable.pk}/cancel/",
                {"reason": "The delegation cannot travel that week."})

    [message] = [m for m in mail.outbox if cast.industry.email in m.to[0]]
    assert message.subject == "Meeting cancelled: Industry roundtable"
    assert "Reason: The delegation cannot travel that week." in message.body
    assert invitation_of(message)["METHOD"] == "CANCEL"
    assert event_of(message)["UID"] == f"{roundtable.calendar_uid_part}@{settings.PORTAL_UID_DOMAIN}"
    reader.force_login(cast.outsider)
    page = reader.get(f"/meetings/{roundtable.pk}/").content.decode()
    assert "This meeting is Cancelled." in page
    assert "The delegation cannot travel that week." in page
    [record] = AuditEvent.objects.filter(action=AuditEvent.Action.MEETING_CANCELLED, target_id=roundtable.pk)
    assert record.actor == cast.secretariat
    assert record.detail["changed"]["status"] == ["scheduled", "cancelled"]


def test_cancelling_without_a_reason_is_refused_and_changes_nothing(secretariat_client, roundtable, run_commits):
    response = run_commits(secretariat_client.post, f"/meetings/{roundtable.pk}/cancel/", {"reason": " "},
                           follow=True)

    assert "Say why the meeting is cancelled" in response.content.decode()
    roundtable.refresh_from_db()
    assert roundtable.status == Meeting.Status.SCHEDULED
    assert mail.outbox == []


def test_marking_held_waits_for_the_start_then_shows_held_and_mails_nobody(
    secretariat_client, reader, roundtable, cast, run_commits
):
    early = secretariat_client.post(f"/meetings/{roundtable.pk}/mark-held/", follow=True)
    assert "only once it has started" in early.content.decode()
    roundtable.refresh_from_db()
    assert roundtable.status == Meeting.Status.SCHEDULED

    started = MeetingFactory(starts_at=timezone.now() - timedelta(hours=1),
                             visibility=Meeting.Visibility.PARTICIPANTS)
    RegistrationFactory(meeting=started, person=cast.industry, status=Registration.Status.CONFIRMED)
    assert "Mark as held" in secretariat_client.get(f"/meetings/{started.pk}/").content.decode()
    run_commits(secretariat_client.post, f"/meetings/{started.pk}/mark-held/")

    started.refresh_from_db()
    assert started.status == Meeting.Status.HELD
    assert mail.outbox == []
    reader.force_login(cast.industry)
    page = reader.get(f"/meetings/{started.pk}/").content.decode()
    assert "<dd>Held</dd>" in page


def test_duplicating_makes_a_draft_with_the_same_settings_and_agenda(secretariat_client, reader, cast,
                                                                     run_commits):
    original = MeetingFactory(
        kind=Meeting.Kind.WORKING_GROUP, working_group=cast.group_a, visibility=Meeting.Visibility.GROUP_MEMBERS,
        time_zone="Pacific/Honolulu", venue_en="Camp H. M. Smith", venue_ja="キャンプ・H・M・スミス",
        capacity=30, seats_per_organization=3, vetting_required=True,
        registration_opens_at=timezone.now() - timedelta(days=1),
    )
    AgendaItemFactory(meeting=original, position=1, title_en="Opening", duration_minutes=10)
    AgendaItemFactory(meeting=original, position=2, title_en="Pilot cases", duration_minutes=50,
                      reviews_action_items=True)
    RegistrationFactory(meeting=original, person=cast.member, status=Registration.Status.CONFIRMED)

    response = run_commits(secretariat_client.post, f"/meetings/{original.pk}/duplicate/")

    copy = Meeting.objects.exclude(pk=original.pk).get()
    assert response["Location"] == f"/meetings/{copy.pk}/"
    assert copy.status == Meeting.Status.DRAFT
    for name in ("kind", "working_group_id", "visibility", "time_zone", "venue_en", "venue_ja", "capacity",
                 "seats_per_organization", "vetting_required", "registration_opens_at"):
        assert getattr(copy, name) == getattr(original, name), name
    assert [(item.position, item.title_en, item.duration_minutes, item.reviews_action_items)
            for item in AgendaItem.objects.filter(meeting=copy)] == [
        (1, "Opening", 10, False), (2, "Pilot cases", 50, True)]
    assert not copy.registrations.exists()
    assert mail.outbox == []
    assert not Dispatch.objects.filter(target_id=copy.pk).exists()
    page = secretariat_client.get(f"/meetings/{copy.pk}/").content.decode()
    assert "This meeting is a draft" in page and "Opening" in page
    # Until published, the copy is the secretariat's alone.
    reader.force_login(cast.member)
    assert reader.get(f"/meetings/{copy.pk}/").status_code == 404


# -- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["outsider", "member", "cochair", "industry"])
def test_only_the_secretariat_runs_meetings(client, cast, role):
    meeting = MeetingFactory(visibility=Meeting.Visibility.PARTICIPANTS)
    draft = MeetingFactory(status=Meeting.Status.DRAFT)
    client.force_login(getattr(cast, role))

    assert client.get("/meetings/new/").status_code == 403
    assert client.post("/meetings/new/", form_data(confirm="1")).status_code == 403
    assert client.get(f"/meetings/{meeting.pk}/edit/").status_code == 403
    assert client.get(f"/meetings/{draft.pk}/edit/").status_code == 404
    for action in ("publish", "postpone", "cancel", "mark-held", "duplicate", "open-registration"):
        assert client.post(f"/meetings/{meeting.pk}/{action}/", {"reason": "x"}).status_code == 403, action
        assert client.post(f"/meetings/{draft.pk}/{action}/").status_code == 404, action
    assert "Run this meeting" not in client.get(f"/meetings/{meeting.pk}/").content.decode()
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED
    assert Meeting.objects.count() == 2


def test_the_form_takes_as_many_queries_for_many_groups_and_countries_as_for_few(secretariat_client, cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from participants.models import Country
    from tests.factories import WorkingGroupFactory

    meeting = MeetingFactory()

    def queries() -> list[int]:
        counts = []
        for url in ("/meetings/new/", f"/meetings/{meeting.pk}/edit/"):
            with CaptureQueriesContext(connection) as captured:
                assert secretariat_client.get(url).status_code == 200
            counts.append(len(captured))
        return counts

    WorkingGroupFactory.create_batch(3, forum=meeting.forum)
    queries()  # the session and the account, read once
    few = queries()
    WorkingGroupFactory.create_batch(60, forum=meeting.forum)
    Country.objects.bulk_create(Country(code=f"Q{letter}", name_en=f"Country {letter}")
                                for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert queries() == few
