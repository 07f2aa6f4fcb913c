"""The personal feed and each meeting's .ics mean the same moments to every calendar client:
read by icalendar, vobject and ical.js (Node), each through the file's own VTIMEZONEs, every
DTSTART and DTEND is the meeting's time in the database — in Tokyo, in Washington on both
sides of both daylight-saving changes and in the hour that repeats, in Honolulu, in Canberra
(whose daylight saving runs October to April) and in New Delhi (+05:30)."""

import re
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from forums import services
from forums.calendars import changes_in_year, meeting_uid, time_zone_component, venue_time
from forums.models import Meeting
from participants.timezones import COMMON_TIME_ZONES
from tests.calendar_clients import assert_clients_agree
from tests.factories import MeetingFactory, UserFactory

# Without ical.js these skip, and fail in CI (see the fixture).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("icaljs")]

WASHINGTON = "America/New_York"


def at(zone_name: str, *wall_clock: int, fold: int = 0) -> datetime:
    return datetime(*wall_clock, tzinfo=zoneinfo.ZoneInfo(zone_name), fold=fold)


# (zone, start as the venue's wall clock, length): the cases a VTIMEZONE can get wrong.
MEETINGS = [
    ("Asia/Tokyo", at("Asia/Tokyo", 2031, 5, 20, 10, 0), timedelta(hours=7)),
    # Washington in 2031: clocks go forward on 9 March at 02:00 and back on 2 November at 02:00.
    (WASHINGTON, at(WASHINGTON, 2031, 1, 15, 10, 0), timedelta(hours=2)),
    (WASHINGTON, at(WASHINGTON, 2031, 3, 8, 10, 0), timedelta(hours=2)),
    (WASHINGTON, at(WASHINGTON, 2031, 3, 9, 1, 0), timedelta(hours=2)),  # ends after the jump, at 04:00
    (WASHINGTON, at(WASHINGTON, 2031, 3, 9, 3, 0), timedelta(hours=1)),  # the first hour after it
    (WASHINGTON, at(WASHINGTON, 2031, 3, 10, 10, 0), timedelta(hours=2)),
    (WASHINGTON, at(WASHINGTON, 2031, 7, 1, 14, 0), timedelta(hours=2)),
    (WASHINGTON, at(WASHINGTON, 2031, 11, 1, 10, 0), timedelta(hours=2)),
    (WASHINGTON, at(WASHINGTON, 2031, 11, 1, 23, 0), timedelta(hours=4)),  # across the fall-back
    (WASHINGTON, at(WASHINGTON, 2031, 11, 2, 1, 30), timedelta(minutes=20)),  # 01:30 EDT
    (WASHINGTON, at(WASHINGTON, 2031, 11, 2, 1, 30, fold=1), timedelta(minutes=20)),  # 01:30 EST, an hour later
    (WASHINGTON, at(WASHINGTON, 2031, 11, 3, 10, 0), timedelta(hours=2)),
    # After 2038, where zone data written as 1970-2038 rules stops.
    (WASHINGTON, at(WASHINGTON, 2040, 7, 2, 9, 0), timedelta(hours=2)),
    ("Pacific/Honolulu", at("Pacific/Honolulu", 2031, 7, 1, 9, 0), timedelta(hours=3)),
    # Canberra: daylight saving ends on 6 April 2031 and starts on 5 October 2031.
    ("Australia/Canberra", at("Australia/Canberra", 2031, 4, 5, 10, 0), timedelta(hours=2)),
    ("Australia/Canberra", at("Australia/Canberra", 2031, 4, 7, 10, 0), timedelta(hours=2)),
    ("Australia/Sydney", at("Australia/Sydney", 2031, 10, 4, 10, 0), timedelta(hours=2)),
    ("Australia/Sydney", at("Australia/Sydney", 2031, 10, 6, 10, 0), timedelta(hours=2)),
    ("Asia/Kolkata", at("Asia/Kolkata", 2031, 8, 15, 14, 30), timedelta(hours=1, minutes=30)),
]


@pytest.fixture
def meetings() -> list[Meeting]:
    made = []
    for zone_name, start, length in MEETINGS:
        made.append(MeetingFactory(
            title_en=f"{zone_name} {start:%Y-%m-%d %H:%M} (fold {start.fold})", time_zone=zone_name,
            # Lengths in elapsed time (aware arithmetic in Python adds to the wall clock).
            starts_at=start, ends_at=start.astimezone(UTC) + length, kind=Meeting.Kind.PLENARY,
            visibility=Meeting.Visibility.PUBLIC, status=Meeting.Status.SCHEDULED,
        ))
    return made


def held_in_database(meetings: list[Meeting]) -> dict[str, tuple[datetime, datetime]]:
    """UID → (start, end) as the database holds them (read again: nothing from the objects)."""
    rows = Meeting.objects.filter(pk__in=[meeting.pk for meeting in meetings])
    return {meeting_uid(row): (row.starts_at, row.ends_at) for row in rows}


def feed_text(client, person) -> str:
    response = client.get(reverse("forums:personal_feed", args=[person.profile.calendar_token]))
    assert response.status_code == 200
    return response.content.decode()


def ics_text(client, meeting: Meeting) -> str:
    response = client.get(reverse("forums:meeting_ics", args=[meeting.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_every_client_reads_the_personal_feed_at_the_moments_the_database_holds(client, meetings):
    official = UserFactory(role="official")

    text = feed_text(client, official)

    readings = assert_clients_agree(text, held_in_database(meetings))
    assert all(len(events) == len(MEETINGS) for events in readings.values())
    # The VTIMEZONE of each zone used, once: clients read them, not their own zone data.
    for zone_name in {zone_name for zone_name, _, _ in MEETINGS}:
        assert text.count(f"TZID:{zone_name}\r\n") == 1, zone_name


def test_every_client_reads_each_meetings_own_file_at_its_moments(client, meetings):
    for meeting in meetings:
        text = ics_text(client, meeting)
        [reading] = assert_clients_agree(text, held_in_database([meeting]))["ical.js"]
        assert reading["method"] is None and reading["sequence"] == 0


def test_yearly_changes_are_rrules_with_onsets_in_the_local_time_before_the_change(client, meetings):
    """Outlook misreads VTIMEZONEs made of RDATEs; the portal writes Washington's and
    Canberra's changes as yearly rules, each from its first onset in the local time before
    the change (RFC 5545 3.8.2.4): 02:00 when Washington springs forward, not 03:00."""
    text = feed_text(client, UserFactory(role="official"))

    washington = text[text.index(f"TZID:{WASHINGTON}"):]
    washington = washington[:washington.index("END:VTIMEZONE")]
    assert "DTSTART:20300310T020000\r\nRRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3\r\n" in washington
    assert "DTSTART:20301103T020000\r\nRRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11\r\n" in washington
    assert "RDATE" not in washington
    canberra = text[text.index("TZID:Australia/Canberra"):]
    assert "RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=10\r\n" in canberra[:canberra.index("END:VTIMEZONE")]


# Zones whose rules changed: São Paulo gave up daylight saving in 2019, Tehran's changes fall
# on fixed dates (no weekday rule), London's on the last Sunday (the fourth in some years).
CHANGED_RULES = [
    ("America/Sao_Paulo", [(2018, 2, 10, 10), (2018, 2, 20, 10), (2018, 11, 10, 10), (2019, 2, 10, 10),
                           (2019, 3, 1, 10), (2019, 12, 1, 10), (2020, 1, 15, 10)]),
    ("Asia/Tehran", [(2021, 3, 21, 10), (2021, 3, 23, 10), (2021, 9, 21, 10), (2021, 9, 23, 10),
                     (2022, 6, 1, 10), (2023, 6, 1, 10)]),
    ("Europe/London", [(2030, 10, 26, 12), (2030, 10, 28, 12), (2032, 10, 30, 12), (2032, 11, 1, 12)]),
]


@pytest.mark.parametrize(("zone_name", "starts"), CHANGED_RULES, ids=[zone for zone, _ in CHANGED_RULES])
def test_every_client_reads_meetings_in_zones_whose_rules_changed(client, zone_name, starts):
    made = [
        MeetingFactory(time_zone=zone_name, starts_at=at(zone_name, *start),
                       ends_at=at(zone_name, *start) + timedelta(hours=1))
        for start in starts
    ]
    feed = feed_text(client, UserFactory(role="official"))

    assert_clients_agree(feed, held_in_database(made))
    assert not re.search(r"^RDATE[^:]*:[^\r\n]*,", feed, re.MULTILINE), "an RDATE listing several dates"
    for meeting in made:
        assert_clients_agree(ics_text(client, meeting), held_in_database([meeting]))


def test_a_time_the_fall_back_repeats_is_written_in_utc_and_the_others_in_the_venues_zone(client, meetings):
    """01:30 on the fall-back day names two moments: a TZID time means the first (RFC 5545
    3.3.5), so the portal writes both in UTC, where no client can take one for the other."""
    text = feed_text(client, UserFactory(role="official"))

    assert "DTSTART:20311102T053000Z\r\n" in text  # 01:30 EDT
    assert "DTSTART:20311102T063000Z\r\n" in text  # 01:30 EST
    assert f"DTSTART;TZID={WASHINGTON}:20310309T030000\r\n" in text
    assert "DTSTART;TZID=Asia/Kolkata:20310815T143000\r\n" in text


def test_the_feed_rebuilt_from_its_kept_pieces_after_a_reschedule_still_reads_right(client, meetings):
    """The feed is put together from a VEVENT kept per meeting and a VTIMEZONE per zone and
    span: a meeting moved across a daylight-saving change, and to another zone, and a meeting
    added years later (a wider span), are read right by every client in the next download."""
    official = UserFactory(role="official")
    secretariat = UserFactory(role="secretariat")
    before = feed_text(client, official)
    winter = next(meeting for meeting in meetings if meeting.starts_at == at(WASHINGTON, 2031, 3, 8, 10, 0))
    tokyo = next(meeting for meeting in meetings if meeting.time_zone == "Asia/Tokyo")
    uid_before = meeting_uid(winter)

    summer_start = at(WASHINGTON, 2031, 3, 12, 10, 0)
    services.update_meeting(meeting=winter, by=secretariat, starts_at=summer_start,
                            ends_at=summer_start + timedelta(hours=2))
    canberra_start = at("Australia/Canberra", 2031, 12, 1, 9, 0)
    services.update_meeting(meeting=tokyo, by=secretariat, time_zone="Australia/Canberra",
                            starts_at=canberra_start, ends_at=canberra_start + timedelta(hours=1))
    later = MeetingFactory(time_zone="Pacific/Honolulu", starts_at=at("Pacific/Honolulu", 2044, 1, 5, 9, 0),
                           ends_at=at("Pacific/Honolulu", 2044, 1, 5, 11, 0))
    after = feed_text(client, official)

    assert after != before
    readings = assert_clients_agree(after, held_in_database([*meetings, later]))
    for events in readings.values():
        [moved] = [event for event in events if event["uid"] == uid_before]
        assert moved["sequence"] > 0 and moved["dtstart"] == summer_start



# The forum's zones, and the ones whose zone data is hardest to write: negative daylight
# saving (Dublin, Casablanca's Ramadan changes), half-hour and 45-minute offsets and
# changes (Lord Howe, Chatham), a two-hour change (Troll), rules that changed (São Paulo).
HARD_ZONES = [
    *COMMON_TIME_ZONES, "Australia/Canberra", "Europe/Dublin", "Africa/Casablanca", "Australia/Lord_Howe",
    "Pacific/Chatham", "Antarctica/Troll", "America/Sao_Paulo", "America/Santiago", "Asia/Tehran", "Asia/Gaza",
]


def test_every_client_reads_each_zones_vtimezone_as_the_system_zone_data_says_around_every_change():
    """A moment an hour and a second before each change of 2026-2035, at it and an hour
    after, written as the venue's wall clock (or in UTC when the clocks repeat it), comes
    back as the same moment from every client. 599 zones pass the same check; these are
    the ones that stand for the rest."""
    timezones, events, expected = [], [], {}
    for zone_name in HARD_ZONES:
        zone = zoneinfo.ZoneInfo(zone_name)
        timezones.append(time_zone_component(zone_name, 2025, 2035).decode())
        moments = [datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=137 * number) for number in range(27)]
        for year in range(2026, 2036):
            for moment, _, _ in changes_in_year(zone_name, year):
                moments += [moment - timedelta(hours=1), moment - timedelta(seconds=1), moment,
                            moment + timedelta(hours=1)]
        for number, moment in enumerate(moments):
            uid = f"{number}-{zone_name}"
            written = venue_time(moment, zone)
            value = f"{written:%Y%m%dT%H%M%SZ}" if written.tzinfo is UTC else f"{written:%Y%m%dT%H%M%S}"
            tzid = "" if written.tzinfo is UTC else f";TZID={zone_name}"
            events.append(f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART{tzid}:{value}\r\n"
                          f"DTEND{tzid}:{value}\r\nEND:VEVENT\r\n")
            expected[uid] = (moment, moment)
    text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + "".join(timezones + events) + "END:VCALENDAR\r\n"

    assert_clients_agree(text, expected)
