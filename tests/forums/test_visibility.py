"""Each role sees exactly the meetings it should — on the schedule, the page, the .ics,
the personal feed and in search — and the others answer 404."""

import icalendar
import pytest

from forums.models import Meeting
from tests.factories import MeetingFactory

pytestmark = pytest.mark.django_db

ALL = {"Public plenary", "Participants plenary", "Group A meeting", "Group B meeting", "Draft plenary"}
VISIBLE = {
    "anonymous": {"Public plenary"},
    "industry": {"Public plenary", "Participants plenary"},
    "outsider": {"Public plenary", "Participants plenary"},
    "member": {"Public plenary", "Participants plenary", "Group A meeting"},
    "cochair": {"Public plenary", "Participants plenary", "Group A meeting", "Group B meeting"},
    "secretariat": ALL,
}
# The personal feed: plenaries they may see, and meetings of their own working groups.
IN_FEED = {
    "industry": {"Public plenary", "Participants plenary"},
    "outsider": {"Public plenary", "Participants plenary"},
    "member": {"Public plenary", "Participants plenary", "Group A meeting"},
    "cochair": {"Public plenary", "Participants plenary"},
}


@pytest.fixture
def meetings(cast) -> dict[str, Meeting]:
    group = Meeting.Visibility.GROUP_MEMBERS
    made = [
        MeetingFactory(title_en="Public plenary", visibility=Meeting.Visibility.PUBLIC),
        MeetingFactory(title_en="Participants plenary", visibility=Meeting.Visibility.PARTICIPANTS),
        MeetingFactory(title_en="Group A meeting", kind=Meeting.Kind.WORKING_GROUP, working_group=cast.group_a, visibility=group),
        MeetingFactory(title_en="Group B meeting", kind=Meeting.Kind.WORKING_GROUP, working_group=cast.group_b, visibility=group),
        MeetingFactory(title_en="Draft plenary", status=Meeting.Status.DRAFT),
    ]
    return {meeting.title_en: meeting for meeting in made}


def sign_in_as(client, cast, role):
    person = cast.roles()[role]
    if person is not None:
        client.force_login(person)
    return person


@pytest.mark.parametrize("role", VISIBLE)
def test_the_schedule_lists_exactly_what_the_role_may_see(client, cast, meetings, role):
    sign_in_as(client, cast, role)
    listed = {meeting.title_en for meeting in client.get("/meetings/").context["page"]}
    assert listed == VISIBLE[role]


@pytest.mark.parametrize("role", VISIBLE)
def test_search_finds_only_what_the_role_may_see(client, cast, meetings, role):
    sign_in_as(client, cast, role)
    found = {meeting.title_en for meeting in client.get("/meetings/?q=plenary").context["page"]}
    assert found == {title for title in VISIBLE[role] if "plenary" in title}


@pytest.mark.parametrize("role", VISIBLE)
def test_meeting_pages_and_ics_answer_200_to_those_who_may_see_them_and_404_to_the_rest(client, cast, meetings, role):
    """A visitor is asked to sign in for a meeting page they may not see (as for a missing
    one: tests/accounts/test_sign_in_and_back.py); calendar programs get 404."""
    sign_in_as(client, cast, role)
    for title, meeting in meetings.items():
        expected = 200 if title in VISIBLE[role] else 404
        expected_page = 302 if expected == 404 and role == "anonymous" else expected
        assert client.get(meeting.get_absolute_url()).status_code == expected_page, (role, title, "page")
        assert client.get(f"/meetings/{meeting.pk}.ics").status_code == expected, (role, title, ".ics")


@pytest.mark.parametrize("role", IN_FEED)
def test_the_personal_feed_holds_exactly_the_persons_meetings(client, cast, meetings, role):
    person = cast.roles()[role]
    response = client.get(f"/calendar/{person.profile.calendar_token}.ics")
    assert response.status_code == 200
    summaries = {str(event["SUMMARY"]) for event in icalendar.Calendar.from_ical(response.content).walk("VEVENT")}
    assert summaries == IN_FEED[role]
    assert summaries <= VISIBLE[role]


def test_an_unknown_feed_token_answers_404(client, cast, meetings):
    assert client.get("/calendar/not-a-real-token.ics").status_code == 404
