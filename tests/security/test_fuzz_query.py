"""Property-based tests of query parameters and path numbers: the schedule's filters above
all, and every other page that reads the query string. Whatever comes, the answer is a
page (200), a page with the filters' errors (400), a redirect or a 404, never a 500."""

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from forums.models import Meeting, Minutes
from tests.factories import MeetingFactory, MinutesFactory, RegistrationFactory

from .garbage import examples
from .garbage import form_data as body_data


def form_data(names: list[str], **options):
    """Query strings: garbage as in bodies, but no megabyte (servers cap URLs at kilobytes)."""
    return body_data(names, megabyte=False, **options)

pytestmark = pytest.mark.django_db

SCHEDULE_PARAMETERS = ["q", "group", "kind", "country", "start", "end", "page", "when"]


def get(client, path: str, query: str):
    client.cookies.pop("messages", None)  # see test_fuzz_forms.post
    return client.get(f"{path}?{query}" if query else path)


def as_role(client, cast, role: str):
    person = cast.roles()[role]
    if person is None:
        client.logout()
    else:
        client.force_login(person)
    return client


@pytest.fixture
def schedule(cast):
    """A few meetings for the filters to find, of a group, with a venue country."""
    for days in (-40, -3, 2, 30, 400):
        MeetingFactory(starts_at=timezone.now() + timedelta(days=days), working_group=cast.group_a,
                       kind=Meeting.Kind.WORKING_GROUP, visibility=Meeting.Visibility.PARTICIPANTS)


@settings(max_examples=examples(250))
@given(query=form_data(SCHEDULE_PARAMETERS), role=st.sampled_from(["anonymous", "industry", "member", "secretariat"]))
def test_the_schedule_survives_any_query(client, cast, schedule, query, role):
    response = get(as_role(client, cast, role), "/meetings/", query)
    assert response.status_code in (200, 400)


@settings(max_examples=examples(120))
@given(year=st.integers(min_value=0, max_value=10**25), month=st.integers(min_value=0, max_value=10**25),
       query=form_data(SCHEDULE_PARAMETERS, extra=False))
def test_the_month_calendar_survives_any_month_and_query(client, cast, schedule, year, month, query):
    response = get(client, f"/meetings/calendar/{year}/{month}/", query)
    assert response.status_code in (200, 400)


@settings(max_examples=examples(200))
@given(number=st.integers(min_value=0, max_value=10**30),
       path=st.sampled_from(["/meetings/{}/", "/meetings/{}.ics", "/papers/{}/download/", "/minutes/{}/",
                             "/meetings/{}/minutes/versions/", "/meetings/{}/agenda/add/",
                             "/my/registrations/{}/cancel/", "/meetings/{}/registrations/",
                             "/invitations/{}/revoke/", "/people/{}/role/", "/action-items/{}/status/"]),
       method=st.sampled_from(["get", "post"]), role=st.sampled_from(["anonymous", "member", "secretariat"]))
def test_numbers_in_addresses_survive_any_size(client, cast, number, path, method, role):
    client = as_role(client, cast, role)
    client.cookies.pop("messages", None)
    response = getattr(client, method)(path.format(number))
    assert response.status_code in (200, 302, 400, 403, 404, 405)


@settings(max_examples=examples(80))
@given(query=form_data(["from", "to"]))
def test_comparing_minutes_survives_any_versions(client, cast, query):
    meeting = Meeting.objects.filter(title_en="Compared").first() or MeetingFactory(title_en="Compared")
    if not meeting.minutes.exists():
        MinutesFactory(meeting=meeting, version=1, status=Minutes.Status.PUBLISHED)
        MinutesFactory(meeting=meeting, version=2, status=Minutes.Status.PUBLISHED, body="Changed.")
    response = get(as_role(client, cast, "member"), f"/meetings/{meeting.pk}/minutes/compare/", query)
    assert response.status_code in (200, 400)


@settings(max_examples=examples(100))
@given(query=form_data(["actor", "action", "start", "end", "ip", "page"]), export=st.booleans())
def test_the_audit_filters_survive_any_query(client, cast, query, export):
    response = get(as_role(client, cast, "secretariat"), "/audit/export.csv" if export else "/audit/", query)
    assert response.status_code in (200, 400)
    if export and response.status_code == 200:
        b"".join(response.streaming_content)  # the rows are written as they are read


@settings(max_examples=examples(120))
@given(query=form_data(["q", "role", "page", "next"]),
       path=st.sampled_from(["/people/", "/invitations/", "/notifications/dispatches/", "/preferences/time-zones/",
                             "/my/registrations/", "/my/action-items/", "/check-in", "/groups/ship-repair/", "/"]))
def test_the_other_pages_survive_any_query(client, cast, query, path):
    if path == "/check-in":
        meeting = Meeting.objects.filter(title_en="Door").first() or MeetingFactory(title_en="Door")
        if not meeting.registrations.exists():
            RegistrationFactory(meeting=meeting, person=cast.industry)
        path = f"/meetings/{meeting.pk}/check-in/"
    response = get(as_role(client, cast, "secretariat"), path, query)
    assert response.status_code in (200, 302, 400)
