"""Every time in the venue's zone and, when different, in the viewer's — across midnight and DST."""

import zoneinfo
from datetime import datetime

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from forums.services.agenda import seed_published_agenda
from tests.factories import AgendaItemFactory, MeetingFactory, UserFactory

pytestmark = pytest.mark.django_db
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def shown(moment: datetime, venue: str, viewer: str) -> str:
    with timezone.override(zoneinfo.ZoneInfo(viewer)), translation.override("en"):
        html = Template("{% load meeting_times %}{% dual_time moment venue %}").render(
            Context({"moment": moment, "venue": venue})
        )
    return html.split(">", 1)[1].rsplit("</time>", 1)[0].replace('<span class="viewer-time">', "").replace("</span>", "")


def test_a_tokyo_morning_is_the_evening_before_in_washington_in_summer():
    moment = datetime(2024, 6, 11, 10, 0, tzinfo=TOKYO)
    assert shown(moment, "Asia/Tokyo", "America/New_York") == (
        "10:00 JST (Tokyo) · 21:00 EDT (Washington), the day before"
    )


def test_a_tokyo_morning_is_an_hour_earlier_in_washington_in_winter():
    moment = datetime(2025, 1, 14, 10, 0, tzinfo=TOKYO)
    assert shown(moment, "Asia/Tokyo", "America/New_York") == (
        "10:00 JST (Tokyo) · 20:00 EST (Washington), the day before"
    )


def test_the_same_zone_is_shown_once():
    moment = datetime(2024, 6, 11, 10, 0, tzinfo=TOKYO)
    assert shown(moment, "Asia/Tokyo", "Asia/Tokyo") == "10:00 JST (Tokyo)"


def test_a_washington_evening_is_the_next_morning_in_tokyo():
    moment = datetime(2025, 5, 20, 19, 0, tzinfo=NEW_YORK)
    assert shown(moment, "America/New_York", "Asia/Tokyo") == (
        "19:00 EDT (Washington) · 08:00 JST (Tokyo), the day after"
    )


def test_both_sides_of_the_spring_daylight_saving_change_in_new_york():
    # 9 March 2025: New York moves from EST (UTC-5) to EDT (UTC-4) at 02:00.
    before = datetime(2025, 3, 9, 1, 30, tzinfo=NEW_YORK)
    after = datetime(2025, 3, 9, 3, 30, tzinfo=NEW_YORK)
    assert after.timestamp() - before.timestamp() == 3600  # one real hour apart
    assert shown(before, "America/New_York", "Asia/Tokyo") == "01:30 EST (Washington) · 15:30 JST (Tokyo)"
    assert shown(after, "America/New_York", "Asia/Tokyo") == "03:30 EDT (Washington) · 16:30 JST (Tokyo)"


def test_a_meeting_over_the_daylight_saving_change_has_its_agenda_timed_in_real_minutes(client):
    meeting = MeetingFactory(
        title_en="Overnight drill review", time_zone="America/New_York",
        starts_at=datetime(2025, 3, 9, 1, 0, tzinfo=NEW_YORK), ends_at=datetime(2025, 3, 9, 5, 0, tzinfo=NEW_YORK),
    )
    AgendaItemFactory(meeting=meeting, position=1, title_en="First hour", duration_minutes=60)
    AgendaItemFactory(meeting=meeting, position=2, title_en="After the change", duration_minutes=60)
    seed_published_agenda(meeting=meeting)  # readers see the published agenda only
    client.cookies["viewer_tz"] = "America/New_York"
    page = client.get(meeting.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "01:00 EST (Washington)" in page
    assert "03:00 EDT (Washington)" in page  # 02:00 does not exist that night
    assert "05:00 EDT (Washington)" in page  # the end


def test_a_meeting_over_midnight_shows_its_end_on_the_next_day(client):
    meeting = MeetingFactory(
        starts_at=datetime(2024, 10, 16, 22, 0, tzinfo=TOKYO), ends_at=datetime(2024, 10, 17, 2, 0, tzinfo=TOKYO),
    )
    client.cookies["viewer_tz"] = "Asia/Tokyo"
    page = client.get(meeting.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Oct. 16, 2024, <time" in page and "22:00 JST (Tokyo)" in page
    assert "Oct. 17, 2024, <time" in page and "02:00 JST (Tokyo)" in page


def test_a_meeting_running_a_whole_day_and_more_shows_both_days_in_both_zones(client):
    meeting = MeetingFactory(
        starts_at=datetime(2024, 6, 9, 9, 0, tzinfo=TOKYO), ends_at=datetime(2024, 6, 10, 18, 0, tzinfo=TOKYO),
    )
    client.cookies["viewer_tz"] = "America/New_York"
    page = client.get(meeting.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "June 9, 2024, <time" in page and "09:00 JST (Tokyo) · " in page
    assert "20:00 EDT (Washington), the day before" in page
    assert "June 10, 2024, <time" in page and "18:00 JST (Tokyo) · " in page
    assert "05:00 EDT (Washington)" in page


def test_a_visitor_switches_zone_and_it_is_remembered_in_a_cookie(client):
    meeting = MeetingFactory(starts_at=datetime(2024, 6, 11, 10, 0, tzinfo=TOKYO))
    response = client.post("/preferences/time-zone/", {"time_zone": "America/New_York", "next": meeting.get_absolute_url()})
    assert response.status_code == 302 and response["Location"] == meeting.get_absolute_url()
    assert client.cookies["viewer_tz"].value == "America/New_York"
    assert "21:00 EDT (Washington), the day before" in client.get(meeting.get_absolute_url()).content.decode()


def test_a_signed_in_persons_zone_is_kept_in_their_profile(client):
    person = UserFactory(role="official")
    client.force_login(person)
    client.post("/preferences/time-zone/", {"time_zone": "Pacific/Honolulu", "next": "/"})
    person.profile.refresh_from_db()
    assert person.profile.time_zone == "Pacific/Honolulu"


@pytest.mark.parametrize("bad", ["Mars/Olympus_Mons", "", "x" * 5000, "Asia/Tokyo\x00", "../../etc/passwd"])
def test_an_unknown_zone_is_refused_with_a_message_and_changes_nothing(client, bad):
    person = UserFactory(role="official")
    client.force_login(person)
    response = client.post("/preferences/time-zone/", {"time_zone": bad, "next": "/meetings/"}, follow=True)
    assert response.status_code == 200
    assert "That time zone is not known" in response.content.decode()
    person.profile.refresh_from_db()
    assert person.profile.time_zone == "Asia/Tokyo"


def test_the_zone_switch_never_redirects_off_site(client):
    response = client.post("/preferences/time-zone/", {"time_zone": "UTC", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_the_zone_switch_refuses_get(client):
    assert client.get("/preferences/time-zone/").status_code == 405


def test_utc_is_not_labelled_twice():
    moment = datetime(2024, 6, 11, 10, 0, tzinfo=TOKYO)
    assert shown(moment, "Asia/Tokyo", "UTC") == "10:00 JST (Tokyo) · 01:00 UTC"


def test_every_zone_can_be_chosen_from_the_other_time_zones_page(client):
    page = client.get("/preferences/time-zones/?next=/meetings/").content.decode()
    assert 'value="Europe/Paris"' in page and 'value="America/Anchorage"' in page
    response = client.post("/preferences/time-zone/", {"time_zone": "Europe/Paris", "next": "/meetings/"})
    assert response["Location"] == "/meetings/"
    assert client.cookies["viewer_tz"].value == "Europe/Paris"
    # The viewer's zone, although not a common one, is then offered on every page.
    assert 'value="Europe/Paris" selected' in client.get("/meetings/").content.decode()
