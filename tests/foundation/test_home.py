import pytest
from django.core.management import call_command

from forums.models import Meeting
from tests.factories import MeetingFactory, MembershipFactory, UserFactory, WorkingGroupFactory

pytestmark = pytest.mark.django_db


def test_the_home_page_shows_the_forum_its_working_groups_and_next_meetings(client):
    call_command("load_demo", stdout=__import__("io").StringIO())
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Forum on Defense Industrial Cooperation, Acquisition, and Sustainment" in page
    assert "Ship repair and maintenance" in page
    assert "Industry roundtable: co-sustainment at Japanese shipyards" in page


def test_the_home_page_hides_meetings_the_visitor_may_not_see(client):
    group = WorkingGroupFactory()
    MeetingFactory(title_en="Open plenary")
    MeetingFactory(title_en="Members only", working_group=group, visibility=Meeting.Visibility.GROUP_MEMBERS)
    MeetingFactory(title_en="Still a draft", status=Meeting.Status.DRAFT)
    anonymous_page = client.get("/").content.decode()
    assert "Open plenary" in anonymous_page
    assert "Members only" not in anonymous_page and "Still a draft" not in anonymous_page

    member = UserFactory(role="official")
    MembershipFactory(working_group=group, person=member)
    client.force_login(member)
    member_page = client.get("/").content.decode()
    assert "Members only" in member_page and "Still a draft" not in member_page


def test_a_members_only_meeting_answers_404_to_an_outsider(client):
    meeting = MeetingFactory(working_group=WorkingGroupFactory(), visibility=Meeting.Visibility.GROUP_MEMBERS)
    client.force_login(UserFactory(role="official"))
    assert client.get(meeting.get_absolute_url()).status_code == 404


def test_the_home_page_query_count_does_not_grow_with_meetings(client, django_assert_max_num_queries):
    for _ in range(5):
        MeetingFactory(working_group=WorkingGroupFactory())
    with django_assert_max_num_queries(8) as few:
        client.get("/")
    for _ in range(50):
        MeetingFactory(working_group=WorkingGroupFactory())
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/")
