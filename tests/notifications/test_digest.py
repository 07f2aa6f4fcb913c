"""The daily digest: a category set to "once a day" is held, then told in one e-mail at
07:00 in the person's own time zone, through the outbox like any notice."""

import re
import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.conf import settings
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from forums.models import Meeting, Registration
from notifications import tasks
from notifications.digests import record_digests
from notifications.emails import read_unsubscribe_token
from notifications.models import DIGEST_CATEGORY, Category, Delivery, Dispatch, NotificationPreference
from notifications.services import set_preference
from tests.factories import MeetingFactory, MembershipFactory, RegistrationFactory, UserFactory
from working_groups.models import Membership

pytestmark = pytest.mark.django_db

Event, Audience, Status, Mode = Dispatch.Event, Dispatch.Audience, Delivery.Status, NotificationPreference.Mode
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
# The afternoon before the digest, in Tokyo: the group's meeting (group_meeting) was that morning.
AFTERNOON = datetime(2030, 6, 11, 15, 0, tzinfo=TOKYO)
SEVEN_IN_TOKYO = datetime(2030, 6, 12, 7, 0, tzinfo=TOKYO)


@pytest.fixture
def digest_reader(cast):
    """The member of group A, taking agendas and minutes once a day; papers stay immediate."""
    for category in (Category.AGENDA, Category.MINUTES):
        set_preference(person=cast.member, category=category, mode=Mode.DIGEST)
    return cast.member


@pytest.fixture
def run_digests(django_capture_on_commit_callbacks):
    """Beat's task at `moment`, with what its commits queue run in-process."""

    def run(moment: datetime) -> None:
        with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
            tasks.record_digests.delay()

    return run


@pytest.fixture
def publish_at(publish):
    def publish_at(moment: datetime, **kwargs) -> Dispatch:
        with time_machine.travel(moment, tick=False):
            return publish(**kwargs)

    return publish_at


def mails_to(person) -> list:
    return [message for message in mail.outbox if person.email in message.to[0]]


def html_of(message) -> str:
    [(html, _)] = message.alternatives
    return html


def digests_of(person) -> list[Dispatch]:
    return list(Dispatch.objects.filter(event=Event.DIGEST, person=person))


def test_notices_on_the_digest_wait_for_one_morning_email_with_all_of_them(
        cast, group_meeting, digest_reader, publish_at, run_digests):
    other_member = UserFactory(role="official")
    MembershipFactory(working_group=cast.group_a, person=other_member)
    publish_at(AFTERNOON, event=Event.AGENDA_PUBLISHED, target=group_meeting, audience=Audience.GROUP_MEMBERS)
    publish_at(AFTERNOON + timedelta(hours=2), event=Event.MINUTES_PUBLISHED, target=group_meeting,
               audience=Audience.GROUP_MEMBERS)

    # The other member, who changed nothing, is told at once; the reader is not.
    assert len(mails_to(other_member)) == 2 and mails_to(digest_reader) == []
    assert set(Delivery.objects.filter(recipient=digest_reader).values_list("status", flat=True)) == {Status.HELD}

    run_digests(SEVEN_IN_TOKYO - timedelta(minutes=15))
    assert mails_to(digest_reader) == []

    run_digests(SEVEN_IN_TOKYO)
    [digest] = mails_to(digest_reader)
    assert digest.subject == "DICAS Portal: your daily digest, June 12, 2030"
    for part in (digest.body, html_of(digest)):
        assert "Agenda published: Ship repair working group, second meeting" in part
        assert "Minutes published: Ship repair working group, second meeting" in part
        assert "June 11, 2030 10:00 JST (Tokyo)" in part  # the meeting, in the venue's zone
        assert "Posted on June 11, 2030 15:00 JST (Tokyo)" in part
        assert "Ministry of Defense, Ichigaya" in part
        assert f"http://localhost:8000{group_meeting.get_absolute_url()}" in part
    assert digest.body.index("Agenda published:") < digest.body.index("Minutes published:")
    assert "2 notices" in digest.body
    # Through the outbox like any notice: its own delivery, sent, with a Message-ID.
    [dispatch] = digests_of(digest_reader)
    delivery = Delivery.objects.get(dispatch=dispatch)
    assert delivery.status == Status.SENT
    assert digest.extra_headers["Message-ID"] == f"<{delivery.message_id_part}@{settings.PORTAL_MAIL_DOMAIN}>"
    held = Delivery.objects.filter(recipient=digest_reader).exclude(dispatch=dispatch)
    assert {(item.status, item.digest_id) for item in held} == {(Status.DIGESTED, dispatch.pk)}
    assert len(mails_to(other_member)) == 2


def test_a_category_left_immediate_is_still_sent_at_once(cast, group_meeting, digest_reader, publish_at):
    from forums.models import Document

    paper = Document.objects.create(forum=group_meeting.forum, meeting=group_meeting, title="Dock survey",
                                    file="papers/survey.pdf", marking=Document.Marking.PUBLIC)
    publish_at(AFTERNOON, event=Event.PAPER_ADDED, target=paper, audience=Audience.GROUP_MEMBERS)

    [message] = mails_to(digest_reader)
    assert message.subject == "New paper: Dock survey"


def test_nothing_held_means_no_digest(cast, digest_reader, run_digests):
    run_digests(SEVEN_IN_TOKYO)
    run_digests(SEVEN_IN_TOKYO + timedelta(hours=3))

    assert mail.outbox == [] and digests_of(digest_reader) == []


def test_running_the_task_again_or_twice_at_once_makes_one_digest(cast, group_meeting, digest_reader, publish_at,
                                                                  run_digests):
    publish_at(AFTERNOON, event=Event.AGENDA_PUBLISHED, target=group_meeting, audience=Audience.GROUP_MEMBERS)

    run_digests(SEVEN_IN_TOKYO)
    run_digests(SEVEN_IN_TOKYO)
    run_digests(SEVEN_IN_TOKYO + timedelta(minutes=15))
    with time_machine.travel(SEVEN_IN_TOKYO + timedelta(minutes=30), tick=False):
        assert record_digests() == []

    assert len(mails_to(digest_reader)) == 1 and len(digests_of(digest_reader)) == 1
    assert digests_of(digest_reader)[0].key == f"digest:{digest_reader.pk}:2030-06-12"


def test_a_second_run_that_read_the_same_notices_records_nothing(cast, group_meeting, digest_reader, publish_at):
    """Two beats at once: the second finds today's key taken and leaves the notices alone."""
    from notifications import digests

    publish_at(AFTERNOON, event=Event.AGENDA_PUBLISHED, target=group_meeting, audience=Audience.GROUP_MEMBERS)
    with time_machine.travel(SEVEN_IN_TOKYO, tick=False):
        due = digests._due(SEVEN_IN_TOKYO)  # the second run's reading, before the first commits
        [first] = record_digests()
        told = list(Delivery.objects.filter(digest=first).values_list("pk", flat=True))

        assert digests._record_one(digest_reader, due[digest_reader.pk], told, {}) is None

    assert len(digests_of(digest_reader)) == 1
    assert Delivery.objects.get(pk__in=told).digest == first


def test_a_notice_held_after_seven_waits_for_the_next_morning(cast, group_meeting, digest_reader, publish_at,
                                                              run_digests):
    publish_at(SEVEN_IN_TOKYO + timedelta(hours=1), event=Event.AGENDA_PUBLISHED, target=group_meeting,
               audience=Audience.GROUP_MEMBERS)

    run_digests(SEVEN_IN_TOKYO + timedelta(hours=1, minutes=15))
    assert mails_to(digest_reader) == []
    run_digests(SEVEN_IN_TOKYO + timedelta(days=1))
    [digest] = mails_to(digest_reader)
    assert digest.subject.endswith("June 13, 2030")


@pytest.mark.parametrize("day, seven_utc, subject_day", [
    (datetime(2030, 6, 12), datetime(2030, 6, 12, 11, 0), "June 12, 2030"),  # summer time: 07:00 EDT is 11:00 UTC
    (datetime(2030, 1, 15), datetime(2030, 1, 15, 12, 0), "Jan. 15, 2030"),  # winter: 07:00 EST is 12:00 UTC
])
def test_tokyo_and_new_york_each_get_theirs_at_their_own_seven(cast, group_meeting, publish_at, run_digests,
                                                               day, seven_utc, subject_day):
    in_new_york = UserFactory(role="official")
    in_new_york.profile.time_zone = "America/New_York"
    in_new_york.profile.save()
    MembershipFactory(working_group=cast.group_a, person=in_new_york)
    for person in (cast.member, in_new_york):
        set_preference(person=person, category=Category.AGENDA, mode=Mode.DIGEST)
    utc = zoneinfo.ZoneInfo("UTC")
    # The evening before in Tokyo, the morning before (after seven) in New York.
    publish_at(day.replace(tzinfo=utc) - timedelta(hours=12), event=Event.AGENDA_PUBLISHED, target=group_meeting,
               audience=Audience.GROUP_MEMBERS)
    seven_in_tokyo = day.replace(tzinfo=TOKYO, hour=7)

    run_digests(seven_in_tokyo - timedelta(minutes=15))
    assert mail.outbox == []
    run_digests(seven_in_tokyo)
    assert len(mails_to(cast.member)) == 1 and mails_to(in_new_york) == []

    run_digests(seven_utc.replace(tzinfo=utc) - timedelta(minutes=15))
    assert mails_to(in_new_york) == []
    run_digests(seven_utc.replace(tzinfo=utc))
    [digest] = mails_to(in_new_york)
    assert seven_utc.replace(tzinfo=utc).astimezone(NEW_YORK).hour == 7
    assert digest.subject == f"DICAS Portal: your daily digest, {subject_day}"
    # The meeting in Tokyo's time and, for them, in Washington's.
    assert "(Tokyo); for you: " in digest.body and "(Washington)" in digest.body
    assert len(mails_to(cast.member)) == 1


def test_notices_about_ones_own_registration_are_sent_at_once_whatever_the_setting(cast, publish_at):
    set_preference(person=cast.industry, category=Category.REGISTRATIONS, mode=Mode.DIGEST)
    set_preference(person=cast.secretariat, category=Category.REGISTRATIONS, mode=Mode.DIGEST)
    roundtable = MeetingFactory(kind=Meeting.Kind.ROUNDTABLE, visibility=Meeting.Visibility.PARTICIPANTS,
                                title_en="Industry roundtable")
    registration = RegistrationFactory(meeting=roundtable, person=cast.industry, status=Registration.Status.CONFIRMED)

    publish_at(AFTERNOON, event=Event.REGISTRATION_CONFIRMED, target=registration, audience=Audience.PERSON,
               person=cast.industry)
    publish_at(AFTERNOON, event=Event.REGISTRATION_RECEIVED, target=registration, audience=Audience.SECRETARIAT)

    [message] = mails_to(cast.industry)
    assert message.subject == "Registration confirmed: Industry roundtable"
    # The same kind of notice about someone else's registration waits for the digest.
    assert mails_to(cast.secretariat) == []
    assert Delivery.objects.get(recipient=cast.secretariat).status == Status.HELD


def test_a_japanese_reader_gets_the_digest_in_japanese(cast, group_meeting, digest_reader, publish_at, run_digests):
    digest_reader.profile.preferred_language = "ja"
    digest_reader.profile.full_name_ja = "山田 花子"
    digest_reader.profile.save()
    publish_at(AFTERNOON, event=Event.AGENDA_PUBLISHED, target=group_meeting, audience=Audience.GROUP_MEMBERS)

    run_digests(SEVEN_IN_TOKYO)

    [digest] = mails_to(digest_reader)
    assert digest.subject == "DICASポータル：2030年6月12日のダイジェスト"
    assert digest.extra_headers["Content-Language"] == "ja"
    for part in (digest.body, html_of(digest)):
        assert "艦船の補修・整備作業部会 第2回会合" in part and "防衛省市ヶ谷庁舎" in part
        assert "2030年6月11日 10:00 JST" in part
        assert "Ship repair working group" not in part and "Agenda published" not in part
        assert "Since your last digest" not in part and "daily digest" not in part
    assert "山田 花子" in digest.body


def test_what_the_person_may_no_longer_see_is_left_out(cast, group_meeting, digest_reader, publish_at, run_digests):
    plenary = MeetingFactory(title_en="Fifth plenary", kind=Meeting.Kind.PLENARY,
                             visibility=Meeting.Visibility.PUBLIC)
    publish_at(AFTERNOON, event=Event.AGENDA_PUBLISHED, target=group_meeting, audience=Audience.GROUP_MEMBERS)
    publish_at(AFTERNOON, event=Event.AGENDA_PUBLISHED, target=plenary, audience=Audience.MEETING_VIEWERS)
    # Left the group overnight: its members-only meeting is no longer theirs to hear of.
    Membership.objects.filter(person=digest_reader, working_group=cast.group_a).delete()

    run_digests(SEVEN_IN_TOKYO)

    [digest] = mails_to(digest_reader)
    assert "Fifth plenary" in digest.body
    assert "Ship repair" not in digest.body + html_of(digest) + digest.subject
    left_out = Delivery.objects.get(recipient=digest_reader, dispatch__target_id=group_meeting.pk,
                                    dispatch__event=Event.AGENDA_PUBLISHED, dispatch__audience=Audience.GROUP_MEMBERS)
    assert left_out.status == Status.WITHHELD and "may no longer see" in left_out.last_error


def test_when_nothing_is_left_to_tell_no_digest_is_sent(cast, group_meeting, digest_reader, publish_at, run_digests):
    publish_at(AFTERNOON, event=Event.AGENDA_PUBLISHED, target=group_meeting, audience=Audience.GROUP_MEMBERS)
    Membership.objects.filter(person=digest_reader).delete()

    run_digests(SEVEN_IN_TOKYO)

    assert mail.outbox == [] and digests_of(digest_reader) == []
    assert Delivery.objects.get(recipient=digest_reader).status == Status.WITHHELD


def test_the_digest_unsubscribes_in_one_click_from_what_it_gathers(cast, group_meeting, digest_reader, publish_at,
                                                                   run_digests):
    set_preference(person=digest_reader, category=Category.PAPERS, mode=Mode.IMMEDIATE)
    publish_at(AFTERNOON, event=Event.AGENDA_PUBLISHED, target=group_meeting, audience=Audience.GROUP_MEMBERS)
    run_digests(SEVEN_IN_TOKYO)
    [digest] = mails_to(digest_reader)

    assert digest.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.fullmatch(r"<http://localhost:8000(/notifications/unsubscribe/([^/]+)/)>",
                        digest.extra_headers["List-Unsubscribe"])
    assert read_unsubscribe_token(link.group(2)) == (digest_reader.pk, DIGEST_CATEGORY)
    assert "Stop the daily digest:" in digest.body
    assert "the daily digest" in Client().get(link.group(1)).content.decode()

    response = Client(enforce_csrf_checks=True).post(link.group(1), data={"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert dict(NotificationPreference.objects.filter(person=digest_reader).values_list("category", "mode")) == {
        Category.AGENDA: Mode.OFF, Category.MINUTES: Mode.OFF, Category.PAPERS: Mode.IMMEDIATE,
    }


def test_a_notice_held_before_switching_off_is_not_told_in_the_digest(cast, group_meeting, digest_reader, publish_at,
                                                                      run_digests):
    publish_at(AFTERNOON, event=Event.AGENDA_PUBLISHED, target=group_meeting, audience=Audience.GROUP_MEMBERS)
    set_preference(person=digest_reader, category=Category.AGENDA, mode=Mode.OFF)

    run_digests(SEVEN_IN_TOKYO)

    assert mail.outbox == []
    assert Delivery.objects.get(recipient=digest_reader).status == Status.WITHHELD


def test_the_settings_page_offers_and_saves_the_digest(client, cast):
    url = reverse("notifications:preferences")
    client.force_login(cast.member)

    page = client.get(url).content.decode()
    assert "Once a day, in a morning digest" in page and "07:00 in your time zone (Tokyo)" in page
    assert "always sent at once" in page

    choices = {category: Mode.IMMEDIATE for category in Category.values}
    choices[Category.MINUTES] = Mode.DIGEST
    assert client.post(url, choices).status_code == 302

    assert list(NotificationPreference.objects.values_list("person", "category", "mode")) == [
        (cast.member.pk, Category.MINUTES, Mode.DIGEST)
    ]
    assert 'value="digest" checked' in client.get(url).content.decode()


def test_deleting_a_person_deletes_their_digest_and_what_it_told(cast, group_meeting, digest_reader, publish_at,
                                                                 run_digests):
    publish_at(AFTERNOON, event=Event.AGENDA_PUBLISHED, target=group_meeting, audience=Audience.GROUP_MEMBERS)
    run_digests(SEVEN_IN_TOKYO)

    digest_reader.delete()

    assert not Dispatch.objects.filter(event=Event.DIGEST).exists()
    assert not Delivery.objects.exists()


def test_recording_the_digests_costs_no_query_per_notice(cast, publish_at):
    """A few queries for everyone, then a fixed few per person: none per held notice."""
    from tests.factories import WorkingGroupFactory

    def queries_for(people: int, notices: int) -> int:
        group = WorkingGroupFactory()
        readers = [UserFactory(role="official") for _ in range(people)]
        for reader in readers:
            MembershipFactory(working_group=group, person=reader)
            set_preference(person=reader, category=Category.AGENDA, mode=Mode.DIGEST)
        for number in range(notices):
            meeting = MeetingFactory(kind=Meeting.Kind.WORKING_GROUP, working_group=group,
                                     visibility=Meeting.Visibility.GROUP_MEMBERS, title_en=f"Meeting {number}")
            publish_at(AFTERNOON, event=Event.AGENDA_PUBLISHED, target=meeting, audience=Audience.GROUP_MEMBERS)
        with time_machine.travel(SEVEN_IN_TOKYO, tick=False), CaptureQueriesContext(connection) as queries:
            assert len(record_digests()) == people
        return len(queries)

    queries_for(1, 1)  # reads and caches the content types
    one = queries_for(1, 1)
    many = queries_for(6, 5)
    per_person = (many - one) / 5
    assert per_person == int(per_person) and per_person <= 4, (one, many)


def test_beat_asks_for_the_digests_on_every_quarter_hour_of_the_clock():
    from dicas_portal.celery import app

    entry = app.conf.beat_schedule["record-daily-digests"]

    assert entry["task"] == tasks.record_digests.name
    assert entry["schedule"].minute == {0, 15, 30, 45}
