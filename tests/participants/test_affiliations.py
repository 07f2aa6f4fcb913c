"""Verified affiliations (issue 13): an organisation counts once the secretariat or a verified
e-mail domain confirms it; until then public meetings only; every change audited; review
dates told to the secretariat 30 days before, and lapsed ones stop counting."""

from datetime import date, timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse

from audit.models import AuditEvent
from forums.models import Document, ForumCountry, Meeting
from notifications.models import Dispatch
from participants import affiliations
from participants.models import Affiliation, Organization, Profile, VerifiedDomain
from participants.permissions import is_cochair, is_secretariat, role_of
from tests.factories import CountryFactory, MeetingFactory, OrganizationFactory, ProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mod(db) -> Organization:
    return OrganizationFactory(name="Ministry of Defense", kind=Organization.Kind.GOVERNMENT,
                               country=CountryFactory(code="JP"))


def newcomer(organization: Organization, *, email: str = "", verified_address: bool = True):
    """Someone who has just named `organization` on their profile (nothing verified yet)."""
    user = UserFactory(**({"username": email, "email": email} if email else {}))
    EmailAddress.objects.create(user=user, email=user.email, verified=verified_address, primary=True)
    profile = ProfileFactory(user=user, role="official", organization=organization, verified_organization=None)
    affiliations.request_affiliation(profile=profile, organization=organization)
    profile.refresh_from_db()
    user.profile = profile
    return user


def actions_about(person) -> list[str]:
    return list(AuditEvent.objects.filter(target_id=person.pk, action__startswith="affiliation.")
                .order_by("pk").values_list("action", flat=True))


def test_an_unverified_account_sees_public_meetings_only(client, mod):
    person = newcomer(mod)
    public = MeetingFactory(title_en="Public plenary", visibility=Meeting.Visibility.PUBLIC)
    closed = MeetingFactory(title_en="Officials only", visibility=Meeting.Visibility.PARTICIPANTS)
    client.force_login(person)
    assert client.get(public.get_absolute_url()).status_code == 200
    assert client.get(closed.get_absolute_url()).status_code == 404
    page = client.get(reverse("participants:profile"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Awaiting the secretariat's approval. Until then you see public meetings only." in page


def test_the_secretariat_approves_and_the_organisation_counts_with_the_audit(client, cast, mod):
    person = newcomer(mod)
    closed = MeetingFactory(title_en="Officials only", visibility=Meeting.Visibility.PARTICIPANTS)
    [request] = Affiliation.objects.filter(person=person, status=Affiliation.Status.PENDING)
    client.force_login(cast.secretariat)
    listing = client.get(reverse("participants:affiliations"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert person.email in listing and "Ministry of Defense" in listing
    response = client.post(reverse("participants:affiliation_approve", args=[request.pk]), {"review_on": ""})
    assert response["Location"] == reverse("participants:affiliations")

    client.force_login(person)
    assert client.get(closed.get_absolute_url()).status_code == 200
    person.profile.refresh_from_db()
    assert person.profile.verified_organization == mod
    assert person.profile.affiliation_review_on == date.today() + timedelta(days=365)
    [verified] = AuditEvent.objects.filter(action=AuditEvent.Action.AFFILIATION_VERIFIED, target_id=person.pk)
    assert verified.actor == cast.secretariat and verified.detail["method"] == "secretariat"


def test_approving_an_affiliation_with_a_new_organisation_confirms_it_too(cast):
    company = OrganizationFactory(name="New Shipyard K.K.", confirmed=False)
    person = newcomer(company)
    affiliations.approve_affiliation(affiliation=Affiliation.objects.get(person=person), by=cast.secretariat)
    company.refresh_from_db()
    assert company.confirmed
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ORGANIZATION_CONFIRMED, target_id=company.pk).exists()


def test_a_decline_needs_a_reason_and_leaves_the_account_on_public_meetings(client, cast, mod):
    person = newcomer(mod)
    request = Affiliation.objects.get(person=person)
    client.force_login(cast.secretariat)
    client.post(reverse("participants:affiliation_decline", args=[request.pk]), {"reason": ""})
    request.refresh_from_db()
    assert request.status == Affiliation.Status.PENDING
    client.post(reverse("participants:affiliation_decline", args=[request.pk]), {"reason": "Not on MOD's staff list"})
    request.refresh_from_db()
    assert (request.status, request.decline_reason) == (Affiliation.Status.DECLINED, "Not on MOD's staff list")
    assert actions_about(person) == ["affiliation.requested", "affiliation.declined"]
    client.force_login(person)
    page = client.get(reverse("participants:profile"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Declined by the secretariat: Not on MOD&#x27;s staff list" in page


def test_only_the_secretariat_decides_and_nobody_on_their_own_request(cast, mod):
    person = newcomer(mod)
    request = Affiliation.objects.get(person=person)
    with pytest.raises(PermissionDenied):
        affiliations.approve_affiliation(affiliation=request, by=cast.cochair)
    own = newcomer(mod)
    Profile.objects.filter(user=own).update(role="secretariat")
    own.profile.refresh_from_db()
    with pytest.raises(PermissionDenied):
        affiliations.approve_affiliation(affiliation=Affiliation.objects.get(person=own), by=own)
    affiliations.approve_affiliation(affiliation=request, by=cast.secretariat)
    with pytest.raises(ValidationError):
        affiliations.approve_affiliation(affiliation=request, by=cast.secretariat)


def test_an_address_at_a_verified_domain_verifies_at_once(cast, mod):
    VerifiedDomain.objects.create(organization=mod, domain="mod.go.jp")
    person = newcomer(mod, email="sato@mod.go.jp")
    assert person.profile.verified_organization == mod
    [event] = AuditEvent.objects.filter(action=AuditEvent.Action.AFFILIATION_VERIFIED, target_id=person.pk)
    assert event.actor is None and event.detail["method"] == "email_domain" and event.detail["domain"] == "mod.go.jp"


@pytest.mark.parametrize("email, verified_address", [
    ("sato@mod.go.jp", False),           # not confirmed by allauth yet
    ("sato@atla.mod.go.jp", True),       # a subdomain is an entry of its own
    ("sato@evilmod.go.jp", True),        # a look-alike
    ("sato@mod.go.jp.example", True),
])
def test_an_address_elsewhere_or_unconfirmed_verifies_nothing(cast, mod, email, verified_address):
    VerifiedDomain.objects.create(organization=mod, domain="mod.go.jp")
    person = newcomer(mod, email=email, verified_address=verified_address)
    assert person.profile.verified_organization is None
    assert Affiliation.objects.get(person=person).status == Affiliation.Status.PENDING


def test_confirming_the_address_later_verifies_the_affiliation(client, cast, mod):
    from allauth.account.signals import email_confirmed

    VerifiedDomain.objects.create(organization=mod, domain="mod.go.jp")
    person = newcomer(mod, email="ito@mod.go.jp", verified_address=False)
    address = EmailAddress.objects.get(user=person)
    address.verified = True
    address.save()
    email_confirmed.send(sender=EmailAddress, request=None, email_address=address)
    person.profile.refresh_from_db()
    assert person.profile.verified_organization == mod


def test_the_secretariat_keeps_the_verified_domains_on_a_page(client, cast, mod):
    waiting = newcomer(mod, email="kato@atla.mod.go.jp")
    client.force_login(cast.secretariat)
    url = reverse("participants:verified_domains")
    bad = client.post(url, {"organization": mod.pk, "domain": "not a domain"}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400 and "Enter a domain such as mod.go.jp" in bad.content.decode()
    assert client.post(url, {"organization": mod.pk, "domain": "@ATLA.mod.go.jp"}).status_code == 302
    domain = VerifiedDomain.objects.get()
    assert domain.domain == "atla.mod.go.jp"
    waiting.profile.refresh_from_db()
    assert waiting.profile.verified_organization == mod  # the pending request matched the new domain
    again = client.post(url, {"organization": mod.pk, "domain": "atla.mod.go.jp"}, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 400
    client.post(reverse("participants:verified_domain_remove", args=[domain.pk]))
    assert not VerifiedDomain.objects.exists()
    assert list(AuditEvent.objects.filter(action__startswith="domain.").order_by("pk").values_list(
        "action", flat=True)) == ["domain.verified", "domain.removed"]


def test_naming_another_organisation_ends_the_verified_one_until_approved(client, cast, mod):
    client.force_login(cast.member)
    other = OrganizationFactory(name="Another Shipyard K.K.")
    response = client.post(reverse("participants:profile_details"), {
        "full_name": "Member", "organization": other.pk, "preferred_language": "en", "time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    cast.member.profile.refresh_from_db()
    assert cast.member.profile.organization == other and cast.member.profile.verified_organization is None
    group_meeting = MeetingFactory(kind=Meeting.Kind.WORKING_GROUP, working_group=cast.group_a,
                                   visibility=Meeting.Visibility.GROUP_MEMBERS)
    assert client.get(group_meeting.get_absolute_url()).status_code == 404
    assert AuditEvent.objects.filter(actor=cast.member, action=AuditEvent.Action.AFFILIATION_REQUESTED,
                                     detail__organization="Another Shipyard K.K.").exists()


# Review dates ------------------------------------------------------------------------------


def test_the_secretariat_is_told_30_days_before_a_review_once(cast, mod):
    with time_machine.travel("2031-04-01 00:30:00+00:00", tick=False):
        person = newcomer(mod)
        affiliations.approve_affiliation(affiliation=Affiliation.objects.get(person=person), by=cast.secretariat,
                                         review_on=date(2031, 5, 15))
        assert affiliations.record_review_notices() == []
    with time_machine.travel("2031-04-15 00:30:00+00:00", tick=False):
        [notice] = affiliations.record_review_notices()
        assert (notice.event, notice.audience, notice.target) == (
            Dispatch.Event.REVIEW_DUE, Dispatch.Audience.SECRETARIAT, person.profile)
        assert affiliations.record_review_notices() == []


def test_the_review_notice_reaches_the_secretariat(cast, mod, mailoutbox, django_capture_on_commit_callbacks):
    with time_machine.travel("2031-04-15 00:30:00+00:00", tick=False):
        person = newcomer(mod)
        affiliations.approve_affiliation(affiliation=Affiliation.objects.get(person=person), by=cast.secretariat,
                                         review_on=date(2031, 5, 1))
        with django_capture_on_commit_callbacks(execute=True):
            affiliations.record_review_notices()
    [message] = [m for m in mailoutbox if any(cast.secretariat.email in to for to in m.to)]
    assert person.profile.display_name in message.subject
    assert "/affiliations/" in message.body


def test_a_lapsed_affiliation_stops_counting_and_ends_with_the_audit(client, cast, mod):
    closed = MeetingFactory(visibility=Meeting.Visibility.PARTICIPANTS)
    with time_machine.travel("2031-04-01 00:30:00+00:00", tick=False):
        person = newcomer(mod)
        affiliations.approve_affiliation(affiliation=Affiliation.objects.get(person=person), by=cast.secretariat,
                                         review_on=date(2031, 5, 1))
    with time_machine.travel("2031-05-02 00:30:00+00:00", tick=False):
        client.force_login(person)
        assert client.get(closed.get_absolute_url()).status_code == 404  # before the task runs, too
        assert affiliations.end_lapsed().affiliations == 1
    assert Affiliation.objects.get(person=person).status == Affiliation.Status.ENDED
    assert actions_about(person)[-1] == "affiliation.ended"


def test_a_lapsed_privileged_role_falls_back_to_the_officials(cast):
    Profile.objects.filter(user=cast.secretariat).update(role_review_on=date(2031, 5, 1))
    Profile.objects.filter(user=cast.cochair).update(role_review_on=date(2031, 5, 1))
    with time_machine.travel("2031-05-02 00:30:00+00:00", tick=False):
        for person in (cast.secretariat, cast.cochair):
            person.profile.refresh_from_db()
        assert not is_secretariat(cast.secretariat) and not is_cochair(cast.cochair)
        assert affiliations.end_lapsed().roles == 2
    cast.cochair.profile.refresh_from_db()
    assert role_of(cast.cochair) == "official"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ROLE_LAPSED, target_id=cast.cochair.pk,
                                     detail__to="official").exists()


def test_the_secretariat_renews_a_review(client, cast):
    client.force_login(cast.secretariat)
    response = client.post(reverse("participants:review_renew", args=[cast.member.profile.pk]),
                           {"review_on": "2099-01-31"})
    assert response.status_code == 302
    cast.member.profile.refresh_from_db()
    assert cast.member.profile.affiliation_review_on == date(2099, 1, 31)
    past = client.post(reverse("participants:review_renew", args=[cast.member.profile.pk]), {"review_on": "2000-01-01"})
    assert past.status_code == 302
    cast.member.profile.refresh_from_db()
    assert cast.member.profile.affiliation_review_on == date(2099, 1, 31)


# Handling export-controlled papers, and "REL TO" -------------------------------------------------


@pytest.fixture
def export_paper(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    ForumCountry.objects.get_or_create(forum=cast.group_a.forum, country=cast.member.profile.organization.country,
                                       defaults={"standing": ForumCountry.Standing.MEMBER})
    document = Document(forum=cast.group_a.forum, working_group=cast.group_a, title="Dock drawings",
                        marking=Document.Marking.EXPORT_CONTROLLED)
    document.file.save("drawings.pdf", ContentFile(b"%PDF-1.4 drawings"), save=True)
    return document


def test_the_handling_rule_is_acknowledged_before_the_first_download_and_audited(client, cast, export_paper):
    client.force_login(cast.member)
    download = reverse("forums:download_paper", args=[export_paper.pk])
    handling = reverse("forums:paper_handling", args=[export_paper.pk])
    assert client.get(download)["Location"] == handling
    page = client.get(handling, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The handling rule" in page
    refused = client.post(handling, {}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400 and "Tick the box" in refused.content.decode()
    assert client.post(handling, {"acknowledge": "yes"})["Location"] == download
    assert client.get(download).status_code == 200
    [event] = AuditEvent.objects.filter(action=AuditEvent.Action.HANDLING_ACKNOWLEDGED)
    assert (event.actor, event.target) == (cast.member, export_paper)


def test_a_release_marking_names_the_countries_and_the_clearance_reads_it(client, cast, export_paper):
    us = CountryFactory(code="US", name_en="United States", trigraph="USA")
    japan = cast.member.profile.organization.country
    ForumCountry.objects.create(forum=cast.group_a.forum, country=us, standing=ForumCountry.Standing.MEMBER)
    export_paper.releasable_to = ["US"]
    export_paper.save()
    assert export_paper.release_line == "REL TO USA"
    client.force_login(cast.member)
    assert client.get(reverse("forums:paper_handling", args=[export_paper.pk])).status_code == 404
    export_paper.releasable_to = [japan.code, "US"]
    export_paper.save()
    page = client.get(reverse("forums:paper_handling", args=[export_paper.pk])).content.decode()
    assert "REL TO" in page


@pytest.mark.parametrize("path", ["/affiliations/", "/affiliations/domains/"])
def test_the_secretariats_pages_take_the_same_queries_for_5_and_60_rows(client, cast, django_assert_max_num_queries,
                                                                         path):
    def add(count: int, start: int) -> None:
        for n in range(start, start + count):
            organization = OrganizationFactory(name=f"Yard {n} K.K.")
            VerifiedDomain.objects.create(organization=organization, domain=f"yard{n}.example")
            newcomer(organization)
            ProfileFactory(user=UserFactory(), organization=organization, affiliation_review_on=date.today())

    client.force_login(cast.secretariat)
    add(5, 0)
    client.get(path)  # the frame and the session, made once per process
    with django_assert_max_num_queries(12) as few:
        assert client.get(path).status_code == 200
    add(55, 5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(path).status_code == 200


def test_naming_the_organisation_of_a_verified_domain_on_the_profile_counts_at_once(client, mod):
    VerifiedDomain.objects.create(organization=mod, domain="mod.go.jp")
    user = UserFactory(username="abe@mod.go.jp", email="abe@mod.go.jp")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    ProfileFactory(user=user, role="official", organization=None, verified_organization=None)
    client.force_login(user)
    response = client.post(reverse("participants:profile_details"), {
        "full_name": "Abe", "organization": mod.pk, "preferred_language": "en", "time_zone": "Asia/Tokyo"},
        HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "until then you see public meetings only" not in response.content.decode()
    user.profile.refresh_from_db()
    assert user.profile.verified_organization == mod


def test_a_cochair_or_secretariat_role_given_carries_a_review_date(cast):
    from participants.services import approve_role_grant, change_role

    # A privileged role counts once a second member of the secretariat approves it (four eyes).
    grant = change_role(profile=cast.outsider.profile, role="secretariat", by=cast.secretariat)
    approve_role_grant(grant=grant, by=UserFactory(role="secretariat"))
    cast.outsider.profile.refresh_from_db()
    assert cast.outsider.profile.role_review_on == date.today() + timedelta(days=365)
    change_role(profile=cast.outsider.profile, role="official", by=cast.secretariat)
    cast.outsider.profile.refresh_from_db()
    assert cast.outsider.profile.role_review_on is None
