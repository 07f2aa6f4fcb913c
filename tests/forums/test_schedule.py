"""Officials browse the schedule: filters in the URL, past and upcoming, the month view, bad input."""

import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from forums.models import Meeting
from participants.models import Country
from forums.services.agenda import seed_published_agenda
from tests.factories import AgendaItemFactory, MeetingFactory, WorkingGroupFactory

pytestmark = pytest.mark.django_db
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def titles(response) -> list[str]:
    return [meeting.title_en for meeting in response.context["page"]]


def test_the_schedule_shows_upcoming_meetings_soonest_first_and_past_ones_a_click_away(client):
    soon = MeetingFactory(title_en="Soon", starts_at=timezone.now() + timedelta(days=2))
    later = MeetingFactory(title_en="Later", starts_at=timezone.now() + timedelta(days=20))
    MeetingFactory(title_en="Last year", starts_at=timezone.now() - timedelta(days=365))
    upcoming = client.get("/meetings/")
    assert titles(upcoming) == [soon.title_en, later.title_en]
    assert 'href="/meetings/?when=past"' in upcoming.content.decode()
    assert titles(client.get("/meetings/?when=past")) == ["Last year"]


def test_filters_by_working_group_kind_country_dates_and_text_live_in_the_url(client):
    ships = WorkingGroupFactory(slug="ship-repair")
    us = Country.objects.create(code="US", name_en="United States")
    base = timezone.now() + timedelta(days=5)
    MeetingFactory(title_en="Ship group", working_group=ships, kind=Meeting.Kind.WORKING_GROUP, starts_at=base)
    MeetingFactory(title_en="Roundtable in Washington", kind=Meeting.Kind.ROUNDTABLE, venue_country=us,
                   starts_at=base + timedelta(days=40))
    with_item = MeetingFactory(title_en="Plenary", title_ja="本会合", starts_at=base + timedelta(days=80))
    AgendaItemFactory(meeting=with_item, title_en="Review of PAC-3 MSE output", title_ja="PAC-3 MSEの生産状況")
    seed_published_agenda(meeting=with_item)  # the text filter searches published agendas only

    assert titles(client.get("/meetings/?group=ship-repair")) == ["Ship group"]
    assert titles(client.get("/meetings/?kind=roundtable")) == ["Roundtable in Washington"]
    assert titles(client.get("/meetings/?country=US")) == ["Roundtable in Washington"]
    assert titles(client.get("/meetings/?q=本会合")) == ["Plenary"]
    assert titles(client.get("/meetings/?q=pac-3")) == ["Plenary"]
    assert titles(client.get("/meetings/?q=生産状況")) == ["Plenary"]
    start = (base + timedelta(days=30)).astimezone(TOKYO).date().isoformat()
    end = (base + timedelta(days=50)).astimezone(TOKYO).date().isoformat()
    assert titles(client.get(f"/meetings/?start={start}&end={end}")) == ["Roundtable in Washington"]
    # The form shows the filter that is in force, so a shared link opens the same view.
    assert 'value="ship-repair" selected' in client.get("/meetings/?group=ship-repair").content.decode()


def test_an_empty_result_says_so_and_how_to_widen_the_filter(client):
    MeetingFactory(kind=Meeting.Kind.PLENARY)
    page = client.get("/meetings/?kind=industry_day", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No meeting matches these filters. Remove a filter or widen the date range to see more." in page
    assert "Clear filters" in page


def test_the_schedule_is_paginated(client):
    for day in range(45):
        MeetingFactory(starts_at=timezone.now() + timedelta(days=day + 1))
    first = client.get("/meetings/")
    assert len(first.context["page"]) == 20
    assert "Page 1 of 3" in first.content.decode()
    assert len(client.get("/meetings/?page=3").context["page"]) == 5
    assert client.get("/meetings/?page=999").context["page"].number == 3


@pytest.mark.parametrize(
    "query",
    [
        "group=no-such-group",
        "start=2024-02-30",
        "start=yesterday",
        "end=0001-01-01",
        "start=99999-01-01",
        "kind=party",
        "country=ZZ",
        "q=" + "x" * 10_000,
        "q=%00null",
        "q=%ff%fe",
        "page=-1",
        "page=99999999999999999999",
        "start=2025-01-10&end=2025-01-01",
    ],
)
def test_bad_query_strings_give_the_page_with_a_message_never_a_500(client, query):
    MeetingFactory(title_en="Still listed")
    response = client.get(f"/meetings/?{query}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code in (200, 400)
    page = response.content.decode()
    assert "Schedule" in page
    if response.status_code == 400:
        assert "Some filters could not be understood and were left out" in page
        # The filters that were understood still apply; the bad one is left out.
        assert "Still listed" in page


def test_the_month_calendar_places_meetings_on_their_day_in_the_viewers_zone(client):
    MeetingFactory(title_en="June roundtable", starts_at=datetime(2024, 6, 10, 9, 30, tzinfo=TOKYO))
    MeetingFactory(title_en="July meeting", starts_at=datetime(2024, 7, 1, 9, 30, tzinfo=TOKYO))
    response = client.get("/meetings/calendar/2024/6/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    days = {day["date"].isoformat(): [m.title_en for m in day["meetings"]]
            for week in response.context["weeks"] for day in week}
    assert days["2024-06-10"] == ["June roundtable"]
    assert "July meeting" not in str(days)
    client.cookies["viewer_tz"] = "America/New_York"
    response = client.get("/meetings/calendar/2024/6/")
    days = {day["date"].isoformat(): [m.title_en for m in day["meetings"]]
            for week in response.context["weeks"] for day in week}
    assert days["2024-06-09"] == ["June roundtable"]  # 20:30 the evening before in New York


def test_the_month_calendar_takes_the_same_filters(client):
    group = WorkingGroupFactory(slug="supply")
    MeetingFactory(title_en="Supply chain review", working_group=group, starts_at=datetime(2024, 9, 5, 10, tzinfo=TOKYO))
    MeetingFactory(title_en="Unrelated plenary", starts_at=datetime(2024, 9, 6, 10, tzinfo=TOKYO))
    page = client.get("/meetings/calendar/2024/9/?group=supply").content.decode()
    assert "Supply chain review" in page and "Unrelated plenary" not in page


@pytest.mark.parametrize("path", ["/meetings/calendar/2024/13/", "/meetings/calendar/2024/0/",
                                  "/meetings/calendar/99999/1/", "/meetings/calendar/2024/6/?start=nope"])
def test_a_month_that_does_not_exist_gives_the_page_with_a_message(client, path):
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is no such month" in page or "Some filters could not be understood" in page


def test_the_calendar_link_opens_the_current_month(client):
    response = client.get("/meetings/calendar/")
    today = timezone.localdate()
    assert response.status_code == 302
    assert response["Location"] == f"/meetings/calendar/{today.year}/{today.month}/"


def test_the_schedule_refuses_post(client):
    assert client.post("/meetings/").status_code == 405


def test_the_schedule_query_count_is_the_same_for_5_and_500_meetings(client, django_assert_max_num_queries):
    group = WorkingGroupFactory()
    def add(count):
        Meeting.objects.bulk_create([
            MeetingFactory.build(forum=group.forum, working_group=group, starts_at=timezone.now() + timedelta(hours=n + 1))
            for n in range(count)
        ])
    add(5)
    with django_assert_max_num_queries(20) as few:
        client.get("/meetings/")
    add(495)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/meetings/")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/meetings/calendar/")  # the redirect
    month = timezone.localdate()
    with django_assert_max_num_queries(20) as month_few:
        client.get(f"/meetings/calendar/{month.year}/{month.month}/")
    add(300)
    with django_assert_max_num_queries(len(month_few.captured_queries)):
        client.get(f"/meetings/calendar/{month.year}/{month.month}/")
