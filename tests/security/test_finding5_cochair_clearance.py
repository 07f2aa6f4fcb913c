"""Finding 5 (medium): co-chairs read export-controlled minutes of groups they are not in while
refused the same groups' export-controlled papers. One rule now: the forum's co-chairs
(verified affiliations with the co-chair offices of the member countries) are cleared for
every group's export-controlled minutes and papers; nobody else outside the group is."""

import pytest
from django.urls import reverse

from forums.models import CoChair, Meeting, Minutes
from participants.models import Organization
from tests.factories import MeetingFactory, MinutesFactory, OrganizationFactory, confirm_email

from .findings import download, export_controlled_paper, person, signed_in

pytestmark = pytest.mark.django_db


# Finding 5: co-chairs, export-controlled minutes and papers: one rule -------------------------------


@pytest.fixture
def group_b_meeting(cast) -> Meeting:
    return MeetingFactory(kind=Meeting.Kind.WORKING_GROUP, working_group=cast.group_b,
                          visibility=Meeting.Visibility.GROUP_MEMBERS, title_en="Missile working group")


def export_controlled_minutes(meeting) -> Minutes:
    return MinutesFactory(meeting=meeting, status=Minutes.Status.PUBLISHED, marking="export_controlled",
                          body="Seeker production figures.")


def test_a_cochair_outside_the_offices_reads_neither_export_controlled_minutes_nor_papers_of_other_groups(
        client, cast, countries, group_b_meeting, media_root):
    minutes = export_controlled_minutes(group_b_meeting)
    paper = export_controlled_paper(cast, cast.group_b)
    signed_in(client, cast.cochair)
    assert client.get(reverse("forums:minutes_version", args=[minutes.pk])).status_code == 404
    assert client.get(reverse("forums:minutes_print", args=[minutes.pk])).status_code == 404
    assert download(client, paper).status_code == 404


def test_the_forums_cochairs_read_every_groups_export_controlled_minutes_and_papers(
        client, cast, countries, group_b_meeting, media_root):
    atla = OrganizationFactory(name="Acquisition, Technology and Logistics Agency", acronym="ATLA",
                               kind=Organization.Kind.GOVERNMENT, country=countries["JP"])
    CoChair.objects.create(forum=cast.group_a.forum, office_en="Commissioner, ATLA", country=countries["JP"],
                           organization=atla)
    cochair = confirm_email(person("cochair", atla))
    minutes = export_controlled_minutes(group_b_meeting)
    paper = export_controlled_paper(cast, cast.group_b)
    signed_in(client, cochair)
    assert client.get(reverse("forums:minutes_version", args=[minutes.pk])).status_code == 200
    # Cleared: the handling rule first, as for anyone's first download of such a paper.
    assert download(client, paper)["Location"] == reverse("forums:paper_handling", args=[paper.pk])
    client.post(reverse("forums:paper_handling", args=[paper.pk]), {"acknowledge": "yes"})
    assert download(client, paper).status_code == 200


def test_a_cochair_office_of_an_observer_country_clears_nobody(client, cast, countries, group_b_meeting, media_root):
    defence = OrganizationFactory(name="Department of Defence", kind=Organization.Kind.GOVERNMENT,
                                  country=countries["AU"])
    CoChair.objects.create(forum=cast.group_a.forum, office_en="Deputy Secretary", country=countries["AU"],
                           organization=defence)
    cochair = person("cochair", defence)
    minutes = export_controlled_minutes(group_b_meeting)
    paper = export_controlled_paper(cast, cast.group_b)
    signed_in(client, cochair)
    assert client.get(reverse("forums:minutes_version", args=[minutes.pk])).status_code == 404
    assert download(client, paper).status_code == 404


def test_no_other_page_shows_a_cochair_outside_the_offices_export_controlled_minutes(
        client, cast, countries, group_b_meeting):
    """The meeting page, the versions list, the comparison and the approval: the same rule."""
    published = export_controlled_minutes(group_b_meeting)
    published.body = "Seeker production figures: 480 a year."
    published.save()
    in_review = MinutesFactory(meeting=group_b_meeting, version=2, status=Minutes.Status.IN_REVIEW,
                               marking="export_controlled", body="Amended seeker production figures.")
    signed_in(client, cast.cochair)
    assert "480 a year" not in client.get(group_b_meeting.get_absolute_url()).content.decode()
    versions = client.get(reverse("forums:minutes_versions", args=[group_b_meeting.pk]))
    assert reverse("forums:minutes_version", args=[published.pk]) not in versions.content.decode()
    compared = client.get(reverse("forums:minutes_diff", args=[group_b_meeting.pk]), {"old": 1, "new": 2})
    assert "seeker" not in compared.content.decode().lower()
    workflow = client.get(reverse("forums:minutes_workflow", args=[group_b_meeting.pk])).content.decode()
    assert "Amended seeker production figures" not in workflow
    client.post(reverse("forums:minutes_approve", args=[in_review.pk]))
    in_review.refresh_from_db()
    assert in_review.status == Minutes.Status.IN_REVIEW
