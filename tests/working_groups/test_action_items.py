"""Action items raised at meetings: the secretariat records them; the working-group page lists
the open ones with the overdue marked; owners see theirs on their own page and report progress."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from forums.models import Meeting
from notifications.models import Dispatch
from participants.models import Organization
from tests.factories import ActionItemFactory, MeetingFactory, UserFactory
from tests.publishing.conftest import messages_of, sign_in
from working_groups import services
from working_groups.models import ActionItem

pytestmark = pytest.mark.django_db

TODAY = date(2031, 5, 20)


@pytest.fixture
def frozen_today():
    # Noon in Tokyo: the same calendar day in every zone the cast uses.
    with time_machine.travel("2031-05-20 03:00:00+00:00", tick=False):
        yield TODAY


@pytest.fixture
def group_meeting(cast) -> Meeting:
    return MeetingFactory(kind=Meeting.Kind.WORKING_GROUP, working_group=cast.group_a,
                          visibility=Meeting.Visibility.GROUP_MEMBERS, title_en="Ship repair working group")


def group_url(group) -> str:
    return reverse("working_groups:detail", args=[group.slug])


# Recording -------------------------------------------------------------------------------


def test_the_secretariat_records_an_item_raised_at_a_meeting(client, cast, group_meeting):
    sign_in(client, cast.secretariat)
    url = reverse("working_groups:action_item_add", args=[group_meeting.pk])
    form = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert form.status_code == 200 and form.context["form"]["working_group"].value() == cast.group_a.pk
    response = client.post(url, {"text": "Share the 7th Fleet maintenance schedule", "working_group": cast.group_a.pk,
                                 "owner_person": cast.member.pk, "due_on": "2031-06-30"})
    assert response["Location"] == group_url(cast.group_a)
    item = ActionItem.objects.get()
    assert (item.meeting, item.owner_person, item.due_on, item.status, item.created_by) == (
        group_meeting, cast.member, date(2031, 6, 30), ActionItem.Status.OPEN, cast.secretariat)
    [dispatch] = Dispatch.objects.filter(event=Dispatch.Event.ACTION_ITEM_ASSIGNED)
    assert (dispatch.target, dispatch.audience, dispatch.person) == (item, Dispatch.Audience.PERSON, cast.member)


def test_an_organisation_may_own_an_item_but_not_together_with_a_person(client, cast, group_meeting):
    organization = cast.member.profile.organization
    sign_in(client, cast.secretariat)
    url = reverse("working_groups:action_item_add", args=[group_meeting.pk])
    both = client.post(url, {"text": "x", "working_group": cast.group_a.pk, "owner_person": cast.member.pk,
                             "owner_organization": organization.pk, "due_on": "2031-06-30"})
    assert both.status_code == 400
    assert "Name either a person or an organisation as the owner, not both." in both.content.decode()
    neither = client.post(url, {"text": "x", "working_group": cast.group_a.pk, "due_on": "2031-06-30"})
    assert neither.status_code == 400
    client.post(url, {"text": "Organise a shipyard visit", "working_group": cast.group_a.pk,
                      "owner_organization": organization.pk, "due_on": "2031-06-30"})
    item = ActionItem.objects.get()
    assert item.owner_organization == organization
    assert Dispatch.objects.get(event=Dispatch.Event.ACTION_ITEM_ASSIGNED).audience == Dispatch.Audience.GROUP_MEMBERS


def test_the_database_holds_the_one_owner_rule(cast):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ActionItem.objects.create(working_group=cast.group_a, text="x", due_on=TODAY)


@pytest.mark.parametrize("role", ["industry", "outsider", "member", "cochair"])
def test_only_the_secretariat_records_items(client, cast, role):
    plenary = MeetingFactory(visibility=Meeting.Visibility.PUBLIC)
    sign_in(client, cast.roles()[role])
    url = reverse("working_groups:action_item_add", args=[plenary.pk])
    assert client.get(url).status_code == 403
    response = client.post(url, {"text": "x", "working_group": cast.group_a.pk, "owner_person": cast.member.pk,
                                 "due_on": "2031-06-30"})
    assert response.status_code == 403 and "Only the secretariat records action items." in response.content.decode()
    assert not ActionItem.objects.exists()
    with pytest.raises(PermissionDenied):
        services.record_action_item(by=cast.roles()[role], working_group=cast.group_a, text="x", due_on=TODAY,
                                    owner_person=cast.member)


def test_recording_for_a_meeting_one_may_not_see_answers_404(client, cast, group_meeting):
    assert sign_in(client, cast.outsider).get(
        reverse("working_groups:action_item_add", args=[group_meeting.pk])).status_code == 404


# The working-group page ------------------------------------------------------------------


def test_the_group_page_lists_open_items_soonest_first_with_the_overdue_marked(client, cast, frozen_today):
    ActionItemFactory(working_group=cast.group_a, text="Late item", due_on=TODAY - timedelta(days=3))
    ActionItemFactory(working_group=cast.group_a, text="Due today", due_on=TODAY)
    ActionItemFactory(working_group=cast.group_a, text="In progress item", due_on=TODAY + timedelta(days=5),
                      status=ActionItem.Status.IN_PROGRESS)
    ActionItemFactory(working_group=cast.group_a, text="Finished item", status=ActionItem.Status.DONE,
                      due_on=TODAY - timedelta(days=30))
    ActionItemFactory(working_group=cast.group_a, text="Dropped item", status=ActionItem.Status.DROPPED)
    ActionItemFactory(working_group=cast.group_b, text="Other group's item")

    page = sign_in(client, cast.member).get(group_url(cast.group_a), HTTP_ACCEPT_LANGUAGE="en")
    items = page.context["action_items"]
    assert [item.text for item in items] == ["Late item", "Due today", "In progress item"]
    assert [item.overdue for item in items] == [True, False, False]
    html = page.content.decode()
    assert html.count("action-item--overdue") == 1 and "Overdue" in html
    assert "Finished item" not in html and "Dropped item" not in html and "Other group" not in html


def test_the_group_page_shows_purpose_leads_meetings_and_papers(client, cast):
    cast.group_a.focus_en = "Maintenance of US Navy ships at Japanese yards."
    cast.group_a.save()
    lead = UserFactory(role="official")
    cast.group_a.memberships.create(person=lead, role="lead")
    MeetingFactory(working_group=cast.group_a, kind=Meeting.Kind.WORKING_GROUP, title_en="Public group meeting")
    page = client.get(group_url(cast.group_a), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Maintenance of US Navy ships at Japanese yards." in html
    assert lead.profile.display_name in html
    assert "Public group meeting" in html
    assert "The action items are shown to the group's members." in html
    assert page.context["members"] == []


@pytest.mark.parametrize(("role", "sees"), [
    ("anonymous", False), ("industry", False), ("outsider", False), ("member", True), ("cochair", True),
    ("secretariat", True),
])
def test_members_and_items_are_shown_to_the_group_and_the_staff_only(client, cast, role, sees):
    ActionItemFactory(working_group=cast.group_a, text="Share the maintenance schedule")
    html = sign_in(client, cast.roles()[role]).get(group_url(cast.group_a)).content.decode()
    assert ("Share the maintenance schedule" in html) is sees
    assert (cast.member.profile.display_name in html) is sees


def test_the_group_page_answers_404_for_an_unknown_group_and_405_for_a_post(client, cast):
    assert client.get(reverse("working_groups:detail", args=["no-such-group"])).status_code == 404
    assert client.post(group_url(cast.group_a)).status_code == 405


def test_the_address_the_issue_names_leads_to_the_group_page(client, cast):
    response = client.get(f"/working-groups/{cast.group_a.slug}/")
    assert response.status_code == 301 and response["Location"] == group_url(cast.group_a)


# The owner's page ------------------------------------------------------------------------


def test_owners_see_their_items_and_their_organisations(client, cast, frozen_today):
    mine = ActionItemFactory(owner_person=cast.member, text="Mine", due_on=TODAY - timedelta(days=1))
    ours = ActionItemFactory(owner_person=None, owner_organization=cast.member.profile.organization, text="Ours")
    ActionItemFactory(owner_person=cast.outsider, text="Someone else's")
    done = ActionItemFactory(owner_person=cast.member, text="Finished", status=ActionItem.Status.DONE)

    page = sign_in(client, cast.member).get(reverse("working_groups:my_action_items"), HTTP_ACCEPT_LANGUAGE="en")
    assert [item.pk for item in page.context["open_items"]] == [mine.pk, ours.pk]
    assert page.context["open_items"][0].overdue
    assert [item.pk for item in page.context["closed_items"]] == [done.pk]
    html = page.content.decode()
    assert "Someone else" not in html and "Update status" in html


def test_the_owners_page_needs_a_sign_in_and_refuses_a_post(client, cast):
    response = client.get(reverse("working_groups:my_action_items"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert sign_in(client, cast.member).post(reverse("working_groups:my_action_items")).status_code == 405


def test_an_owner_reports_progress_but_does_not_drop_the_item(client, cast):
    item = ActionItemFactory(working_group=cast.group_a, owner_person=cast.member)
    url = reverse("working_groups:action_item_status", args=[item.pk])
    sign_in(client, cast.member)
    response = client.post(url, {"status": "in_progress", "next": "/my/action-items/"})
    assert response["Location"] == "/my/action-items/"
    item.refresh_from_db()
    assert item.status == ActionItem.Status.IN_PROGRESS

    refused = client.post(url, {"status": "dropped"})
    assert refused.status_code == 403
    assert "You may not set this action item to that status." in refused.content.decode()
    item.refresh_from_db()
    assert item.status == ActionItem.Status.IN_PROGRESS

    sign_in(client, cast.secretariat)
    client.post(url, {"status": "dropped"})
    item.refresh_from_db()
    assert item.status == ActionItem.Status.DROPPED


def test_status_changes_by_others_are_refused(client, cast):
    item = ActionItemFactory(working_group=cast.group_a, owner_person=cast.member)
    url = reverse("working_groups:action_item_status", args=[item.pk])
    assert sign_in(client, cast.outsider).post(url, {"status": "done"}).status_code == 404  # not their group
    assert sign_in(client, cast.cochair).post(url, {"status": "done"}).status_code == 403  # sees it, may not change it
    assert client.get(url).status_code == 405
    item.refresh_from_db()
    assert item.status == ActionItem.Status.OPEN
    with pytest.raises(ValidationError):
        services.set_action_item_status(item=item, by=cast.secretariat, status="forgotten")


def test_a_bad_next_address_is_not_followed(client, cast):
    item = ActionItemFactory(working_group=cast.group_a, owner_person=cast.member)
    response = sign_in(client, cast.member).post(
        reverse("working_groups:action_item_status", args=[item.pk]), {"status": "done", "next": "https://evil.example/"})
    assert response["Location"] == reverse("working_groups:my_action_items")
    assert "Status changed to “Done”." in messages_of(client.get(response["Location"]))


# Query counts ----------------------------------------------------------------------------


def many_items(cast, count, **fields):
    organization = Organization.objects.first()
    people = [cast.member, cast.outsider, cast.industry]
    ActionItem.objects.bulk_create(
        ActionItem(working_group=cast.group_a, text=f"Item {number}", due_on=TODAY + timedelta(days=number % 40 - 20),
                   owner_person=people[number % 3] if number % 4 else None,
                   owner_organization=None if number % 4 else organization,
                   meeting=fields.get("meeting"))
        for number in range(count)
    )


@pytest.mark.parametrize("count", [5, 500])
def test_the_group_page_takes_the_same_queries_for_5_and_500_items(client, cast, count, django_assert_max_num_queries):
    meeting = MeetingFactory(working_group=cast.group_a, kind=Meeting.Kind.WORKING_GROUP)
    many_items(cast, count, meeting=meeting)
    sign_in(client, cast.member)
    with django_assert_max_num_queries(12):
        response = client.get(group_url(cast.group_a))
    assert len(response.context["action_items"]) == count


@pytest.mark.parametrize("count", [5, 500])
def test_the_owners_page_takes_the_same_queries_for_5_and_500_items(client, cast, count, django_assert_max_num_queries):
    ActionItem.objects.bulk_create(
        ActionItem(working_group=cast.group_a, text=f"Item {number}", due_on=TODAY, owner_person=cast.member,
                   status=ActionItem.Status.DONE if number % 2 else ActionItem.Status.OPEN)
        for number in range(count)
    )
    sign_in(client, cast.member)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("working_groups:my_action_items"))
    assert len(response.context["open_items"]) + len(response.context["closed_items"]) == count
