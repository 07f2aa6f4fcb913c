"""The working-group page lists its members and its meetings a page at a time: a group may
have a thousand members and hundreds of meetings (issue 8)."""

from datetime import timedelta

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from forums.models import Meeting
from tests.factories import UserFactory
from working_groups.models import Membership
from working_groups.views import MEETINGS_PAGE_SIZE, MEMBERS_PAGE_SIZE

pytestmark = pytest.mark.django_db


def group_url(group, query: str = "") -> str:
    return reverse("working_groups:detail", args=[group.slug]) + query


def add_members(group, count: int) -> list[str]:
    """`count` officials in the group, named so that they sort in the order made."""
    people = []
    for _ in range(count):
        person = UserFactory(role="official", mfa=False)
        person.profile.full_name = f"Member {Membership.objects.filter(working_group=group).count():04d}"
        person.profile.save()
        Membership.objects.create(working_group=group, person=person)
        people.append(person.profile.full_name)
    return people


def add_meetings(group, count: int) -> None:
    start = timezone.now() + timedelta(days=1)
    existing = Meeting.objects.filter(working_group=group).count()
    Meeting.objects.bulk_create(
        Meeting(forum=group.forum, working_group=group, kind=Meeting.Kind.WORKING_GROUP,
                title_en=f"Group meeting {existing + n:04d}", starts_at=start + timedelta(days=existing + n),
                ends_at=start + timedelta(days=existing + n, hours=2), time_zone="Asia/Tokyo",
                status=Meeting.Status.SCHEDULED, visibility=Meeting.Visibility.GROUP_MEMBERS)
        for n in range(count)
    )


def html_of(client, url: str) -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_the_members_are_listed_a_page_at_a_time(client, cast):
    names = add_members(cast.group_a, MEMBERS_PAGE_SIZE + 10)
    client.force_login(cast.member)
    first = html_of(client, group_url(cast.group_a))
    second = html_of(client, group_url(cast.group_a, "?members=2"))
    on_first = {name for name in names if name in first}
    on_second = {name for name in names if name in second}
    # Fifty a page, the cast's own member among them; each listed once.
    assert len(on_first) >= MEMBERS_PAGE_SIZE - 1 and on_first | on_second == set(names)
    assert not on_first & on_second and names[0] in on_first and names[-1] in on_second
    assert "Page 1 of 2" in first and 'href="?members=2#members"' in first
    assert "Page 2 of 2" in second and 'href="?members=1#members"' in second


def test_the_meetings_are_listed_a_page_at_a_time_beside_the_members(client, cast):
    add_meetings(cast.group_a, MEETINGS_PAGE_SIZE + 5)
    add_members(cast.group_a, MEMBERS_PAGE_SIZE + 1)
    client.force_login(cast.member)
    # The latest first, as before; each list keeps the other's page in its links.
    html = html_of(client, group_url(cast.group_a, "?members=2&meetings=2"))
    assert f"Group meeting {MEETINGS_PAGE_SIZE + 4:04d}" not in html
    assert "Group meeting 0000" in html and "Group meeting 0004" in html
    assert 'href="?members=2&amp;meetings=1#meetings"' in html and 'href="?members=1&amp;meetings=2#members"' in html


def test_an_outsider_sees_no_member_list_on_any_page(client, cast):
    names = add_members(cast.group_a, MEMBERS_PAGE_SIZE + 1)
    client.force_login(cast.outsider)
    for query in ("", "?members=2"):
        html = html_of(client, group_url(cast.group_a, query))
        assert not any(name in html for name in names) and "#members" not in html


def test_a_page_number_out_of_range_or_garbled_shows_a_page_rather_than_an_error(client, cast):
    add_members(cast.group_a, MEMBERS_PAGE_SIZE + 1)
    client.force_login(cast.member)
    assert "Page 2 of 2" in html_of(client, group_url(cast.group_a, "?members=99"))
    assert "Page 1 of 2" in html_of(client, group_url(cast.group_a, "?members=x&meetings=-1"))
    # A parameter the page does not know is not cached under a key of its own.
    assert "Page 1 of 2" in html_of(client, group_url(cast.group_a, "?made-up=1"))


def queries_for(client, url: str) -> int:
    for alias in caches:
        caches[alias].clear()
    with CaptureQueriesContext(connection) as captured:
        html_of(client, url)
    return len(captured)


@pytest.mark.parametrize("query", ["", "?members=2&meetings=2"])
def test_the_page_takes_as_many_queries_for_600_members_and_meetings_as_for_60(client, cast, query):
    client.force_login(cast.member)
    add_members(cast.group_a, 60)
    add_meetings(cast.group_a, 60)
    few = queries_for(client, group_url(cast.group_a, query))
    add_members(cast.group_a, 540)
    add_meetings(cast.group_a, 540)
    many = queries_for(client, group_url(cast.group_a, query))
    assert many <= few <= 12, (few, many)
