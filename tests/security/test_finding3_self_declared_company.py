"""Finding 3 (medium, low): another company's action items and seats through a self-declared
organisation, and an action-item list printing the title of a meeting its reader may not see."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from forums.models import Meeting, Registration
from participants.models import Organization
from tests.factories import ActionItemFactory, MeetingFactory, OrganizationFactory

from .findings import person, profile_form, signed_in

pytestmark = pytest.mark.django_db


# Finding 3: another company's action items and seats through a self-declared organisation -------


@pytest.fixture
def kure(cast, countries) -> Organization:
    return OrganizationFactory(name="Kure Naval Shipyard K.K.", country=countries["JP"])


def test_naming_another_company_on_the_profile_gives_none_of_its_action_items(client, cast, kure):
    item = ActionItemFactory(working_group=cast.group_a, owner_person=None, owner_organization=kure,
                             text="Send the dock availability for 2031")
    intruder = cast.industry
    signed_in(client, intruder)
    response = client.post(reverse("participants:profile_details"), profile_form(intruder, organization=kure.pk))
    assert response.status_code == 302

    page = client.get(reverse("working_groups:my_action_items")).content.decode()
    assert "Send the dock availability for 2031" not in page
    changed = client.post(reverse("working_groups:action_item_status", args=[item.pk]), {"status": "done"})
    assert changed.status_code == 404
    item.refresh_from_db()
    assert item.status == item.Status.OPEN


def test_naming_another_company_on_the_profile_takes_none_of_its_seats(client, cast, kure):
    now = timezone.now()
    roundtable = MeetingFactory(kind=Meeting.Kind.ROUNDTABLE, visibility=Meeting.Visibility.PUBLIC, capacity=30,
                                seats_per_organization=1, registration_opens_at=now - timedelta(days=1),
                                registration_closes_at=now + timedelta(days=5))
    employee = person("industry", kure)
    intruder = cast.industry
    signed_in(client, intruder)
    client.post(reverse("participants:profile_details"), profile_form(intruder, organization=kure.pk))
    client.post(reverse("forums:register", args=[roundtable.pk]), {"consent": "on"})

    signed_in(client, employee)
    client.post(reverse("forums:register", args=[roundtable.pk]), {"consent": "on"})
    assert Registration.objects.get(meeting=roundtable, person=employee).status == Registration.Status.CONFIRMED
    taken = Registration.objects.filter(meeting=roundtable, organization=kure, status=Registration.Status.CONFIRMED)
    assert list(taken.values_list("person", flat=True)) == [employee.pk]


def test_an_action_item_list_never_prints_the_title_of_a_meeting_the_reader_may_not_see(client, cast):
    closed = MeetingFactory(kind=Meeting.Kind.WORKING_GROUP, working_group=cast.group_a,
                            visibility=Meeting.Visibility.GROUP_MEMBERS, title_en="Closed session on dock 4 damage")
    ActionItemFactory(working_group=cast.group_a, meeting=closed, owner_person=cast.industry,
                      text="Quote for the dock 4 repair")
    page = signed_in(client, cast.industry).get(reverse("working_groups:my_action_items")).content.decode()
    assert "Quote for the dock 4 repair" in page
    assert "Closed session on dock 4 damage" not in page
    assert reverse("forums:meeting_detail", args=[closed.pk]) not in page
