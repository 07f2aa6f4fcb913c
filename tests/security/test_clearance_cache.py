"""Cached fragments follow the verified affiliation (forums/cache.py's clearance class): a page
rendered for a verified member never carries its papers to an unverified member of the same
organisation, nor export-controlled ones to a colleague who only observes the group."""

import pytest
from django.core.files.base import ContentFile

from forums.models import Document, ForumCountry, Meeting
from participants.affiliations import request_affiliation
from tests.factories import MeetingFactory, MembershipFactory, ProfileFactory, UserFactory
from working_groups.models import Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def papers_meeting(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    ForumCountry.objects.get_or_create(forum=cast.group_a.forum, country=cast.member.profile.organization.country,
                                       defaults={"standing": ForumCountry.Standing.MEMBER})
    meeting = MeetingFactory(title_en="Ship repair open session", kind=Meeting.Kind.WORKING_GROUP,
                             working_group=cast.group_a, visibility=Meeting.Visibility.PUBLIC)
    for marking, title in ((Document.Marking.OFFICIAL_USE_ONLY, "Dock progress report"),
                           (Document.Marking.EXPORT_CONTROLLED, "Dock technical data")):
        document = Document(forum=meeting.forum, meeting=meeting, title=title, marking=marking)
        document.file.save(f"{marking}.pdf", ContentFile(b"%PDF-1.4"), save=True)
    return meeting


def colleague_of(member, *, verified: bool, membership_role: str = Membership.Role.MEMBER):
    organization = member.profile.organization
    profile = ProfileFactory(user=UserFactory(), role="official", organization=organization,
                             verified_organization=organization if verified else None)
    if not verified:
        request_affiliation(profile=profile, organization=organization)
    MembershipFactory(working_group=member.memberships.get().working_group, person=profile.user, role=membership_role)
    return profile.user


def page_of(client, person, meeting) -> str:
    client.force_login(person)
    return client.get(meeting.get_absolute_url()).content.decode()


def test_an_unverified_member_of_the_same_organisation_gets_no_cached_paper(client, cast, papers_meeting):
    unverified = colleague_of(cast.member, verified=False)
    verified_page = page_of(client, cast.member, papers_meeting)
    assert "Dock progress report" in verified_page and "Dock technical data" in verified_page
    unverified_page = page_of(client, unverified, papers_meeting)
    assert "Ship repair open session" in unverified_page
    assert "Dock progress report" not in unverified_page and "Dock technical data" not in unverified_page


def test_a_colleague_observing_the_group_gets_no_cached_export_controlled_paper(client, cast, papers_meeting):
    observer = colleague_of(cast.member, verified=True, membership_role=Membership.Role.OBSERVER)
    assert "Dock technical data" in page_of(client, cast.member, papers_meeting)
    observer_page = page_of(client, observer, papers_meeting)
    assert "Dock progress report" in observer_page and "Dock technical data" not in observer_page
