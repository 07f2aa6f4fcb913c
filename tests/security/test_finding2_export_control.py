"""Finding 2 (high): export control from self-declared facts. An official of an observer country
named a new, unconfirmed US organisation on their profile, and the group's export-controlled
papers went from 404 to 200, with no audit line."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from participants.models import Organization
from tests.factories import MembershipFactory, OrganizationFactory
from working_groups.models import Membership

from .findings import download, export_controlled_paper, person, profile_form, signed_in

pytestmark = pytest.mark.django_db


# Finding 2: export control from self-declared facts ---------------------------------------------


def test_an_observer_who_names_a_new_us_organisation_still_gets_no_export_controlled_paper(
        client, cast, countries, media_root):
    observer = person("official", OrganizationFactory(
        name="Australian Defence Department", kind=Organization.Kind.GOVERNMENT, country=countries["AU"]))
    MembershipFactory(working_group=cast.group_a, person=observer)
    paper = export_controlled_paper(cast, cast.group_a)
    signed_in(client, observer)
    assert download(client, paper).status_code == 404

    response = client.post(reverse("participants:profile_details"),
                           profile_form(observer, new_organization="Pacific Systems Analytics LLC", country="US"))
    assert response.status_code == 302

    assert download(client, paper).status_code == 404
    assert AuditEvent.objects.filter(actor=observer, action="affiliation.requested").exists()


def test_an_observer_membership_does_not_count_for_export_controlled_papers(client, cast, countries, media_root):
    official = person("official", OrganizationFactory(
        name="Acquisition, Technology and Logistics Agency", kind=Organization.Kind.GOVERNMENT,
        country=countries["JP"]))
    MembershipFactory(working_group=cast.group_a, person=official, role=Membership.Role.OBSERVER)
    paper = export_controlled_paper(cast, cast.group_a)
    assert download(signed_in(client, official), paper).status_code == 404


def test_an_organisation_nobody_confirmed_gives_no_export_clearance(client, cast, countries, media_root):
    official = person("official", OrganizationFactory(
        name="Unheard-of Maritime Office", kind=Organization.Kind.GOVERNMENT, country=countries["JP"],
        confirmed=False))
    MembershipFactory(working_group=cast.group_a, person=official)
    paper = export_controlled_paper(cast, cast.group_a)
    assert download(signed_in(client, official), paper).status_code == 404
