"""Separation of duties (penetration test, finding 8): the co-chair role is only for the
forum's co-chair offices, and a privileged role (co-chair, secretariat) given by one
secretariat member does nothing until a second one approves; both steps are audited."""

import pytest

from audit.models import AuditEvent
from forums.models import CoChair
from participants.models import Country, Organization, Profile
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

GRANTS = "/people/role-grants/"


def role_of(user) -> str:
    return Profile.objects.get(user=user).role


@pytest.fixture
def japan(cast) -> Country:
    """Japan holds a co-chair office of the forum (ATLA's Commissioner)."""
    country = Country.objects.get(code="JP")
    CoChair.objects.create(forum=cast.group_a.forum, office_en="Commissioner, ATLA", country=country)
    return country


def official_of(organization: Organization):
    """An official whose affiliation with `organization` the portal has verified."""
    person = UserFactory(role="official")
    person.profile.organization = person.profile.verified_organization = organization
    person.profile.save()
    return person


def test_the_cochair_role_is_refused_for_an_office_named_but_not_verified(client, cast, japan):
    person = UserFactory(role="official")
    person.profile.organization = OrganizationFactory(name="Acquisition, Technology and Logistics Agency",
                                                      kind=Organization.Kind.GOVERNMENT, country=japan)
    person.profile.save()  # named on the profile by the person; nobody verified it

    response = ask(client, cast.secretariat, person, "cochair")

    assert response.status_code == 400
    assert role_of(person) == "official"


@pytest.fixture
def atla_official(japan):
    return official_of(OrganizationFactory(name="Acquisition, Technology and Logistics Agency",
                                           kind=Organization.Kind.GOVERNMENT, country=japan))


@pytest.fixture
def second_secretariat(cast):
    return UserFactory(role="secretariat")


def ask(client, by, person, role: str):
    client.force_login(by)
    return client.post(f"/people/{person.profile.pk}/role/", {"role": role})


def test_the_cochair_role_is_refused_for_an_industry_account(client, cast, japan):
    response = ask(client, cast.secretariat, cast.industry, "cochair")

    assert response.status_code == 400
    assert role_of(cast.industry) == "industry"
    assert not AuditEvent.objects.filter(action__startswith="account.role").exists()


def test_the_cochair_role_is_refused_for_an_official_of_a_country_without_a_cochair_office(client, cast, japan):
    australia = Country.objects.create(code="AU", name_en="Australia")
    observer = official_of(OrganizationFactory(name="Department of Defence", kind=Organization.Kind.GOVERNMENT,
                                               country=australia))

    response = ask(client, cast.secretariat, observer, "cochair")

    assert response.status_code == 400
    assert role_of(observer) == "official"


def test_a_privileged_role_given_by_one_secretariat_member_does_nothing_until_a_second_approves(
    client, cast, atla_official, second_secretariat
):
    response = ask(client, cast.secretariat, atla_official, "cochair")
    assert response.status_code == 302
    assert role_of(atla_official) == "official"
    requested = AuditEvent.objects.get(action=AuditEvent.Action.ROLE_GRANT_REQUESTED)
    assert requested.actor == cast.secretariat and requested.target == atla_official
    assert requested.detail["to"] == "cochair"

    # The giver sees it waiting, and cannot approve it.
    page = client.get(GRANTS).content.decode()
    assert atla_official.profile.display_name in page
    [grant_id] = AuditEvent.objects.filter(action=AuditEvent.Action.ROLE_GRANT_REQUESTED).values_list(
        "detail__grant", flat=True)
    assert client.post(f"{GRANTS}{grant_id}/approve/").status_code == 403
    assert role_of(atla_official) == "official"

    # A second member of the secretariat approves it: now it counts.
    client.force_login(second_secretariat)
    page = client.get(GRANTS)
    assert page.status_code == 200 and atla_official.profile.display_name in page.content.decode()
    assert client.post(f"{GRANTS}{grant_id}/approve/").status_code == 302
    assert role_of(atla_official) == "cochair"
    approved = AuditEvent.objects.get(action=AuditEvent.Action.ROLE_GRANT_APPROVED)
    assert approved.actor == second_secretariat and approved.target == atla_official
    changed = AuditEvent.objects.get(action=AuditEvent.Action.ROLE_CHANGED)
    assert changed.detail["requested_by"] == cast.secretariat.email
    assert changed.detail["approved_by"] == second_secretariat.email
    assert (changed.detail["from"], changed.detail["to"]) == ("official", "cochair")


def test_the_secretariat_role_needs_a_second_member_too_and_may_be_declined(client, cast, second_secretariat):
    ask(client, cast.secretariat, cast.member, "secretariat")
    assert role_of(cast.member) == "official"
    [grant_id] = AuditEvent.objects.filter(action=AuditEvent.Action.ROLE_GRANT_REQUESTED).values_list(
        "detail__grant", flat=True)

    client.force_login(second_secretariat)
    assert client.post(f"{GRANTS}{grant_id}/decline/").status_code == 302

    assert role_of(cast.member) == "official"
    declined = AuditEvent.objects.get(action=AuditEvent.Action.ROLE_GRANT_DECLINED)
    assert declined.actor == second_secretariat and declined.target == cast.member
    # A declined grant cannot be approved afterwards.
    assert client.post(f"{GRANTS}{grant_id}/approve/").status_code in (302, 400)
    assert role_of(cast.member) == "official"


def test_only_the_secretariat_sees_and_decides_role_grants(client, cast, second_secretariat):
    ask(client, cast.secretariat, cast.member, "secretariat")
    [grant_id] = AuditEvent.objects.filter(action=AuditEvent.Action.ROLE_GRANT_REQUESTED).values_list(
        "detail__grant", flat=True)
    for person in (cast.industry, cast.member, cast.cochair):
        client.force_login(person)
        assert client.get(GRANTS).status_code == 403
        assert client.post(f"{GRANTS}{grant_id}/approve/").status_code == 403
    assert role_of(cast.member) == "official"


def test_a_lower_role_is_given_at_once(client, cast):
    ask(client, cast.secretariat, cast.industry, "official")
    assert role_of(cast.industry) == "official"


def test_an_invitation_to_a_privileged_role_waits_for_a_second_member_too(
    client, cast, japan, second_secretariat, django_capture_on_commit_callbacks
):
    import re

    from django.core import mail

    from participants.models import RoleGrant

    ministry = OrganizationFactory(name="Ministry of Defense", kind=Organization.Kind.GOVERNMENT, country=japan)
    client.force_login(cast.secretariat)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/invitations/", {"email": "deputy@mod.example", "role": "secretariat",
                                                 "organization": ministry.pk, "language": "en"})
    assert response.status_code == 302
    client.logout()
    link = re.search(r"http://localhost:8000(/invitations/accept/[^\s]+/)", mail.outbox[-1].body).group(1)
    password = "a-long-and-unusual-passphrase"
    client.post(link, {"full_name": "Deputy", "password1": password, "password2": password})

    deputy = Profile.objects.get(user__email="deputy@mod.example")
    assert deputy.role == "official"
    grant = RoleGrant.objects.get(profile=deputy, status=RoleGrant.Status.PENDING)
    assert (grant.role, grant.requested_by) == ("secretariat", cast.secretariat)

    client.force_login(second_secretariat)
    client.post(f"{GRANTS}{grant.pk}/approve/")
    assert role_of(deputy.user) == "secretariat"


def test_a_cochair_invitation_is_refused_for_an_organisation_without_a_cochair_office(client, cast, japan):
    company = OrganizationFactory(name="Shipyard K.K.", kind=Organization.Kind.INDUSTRY, country=japan)
    client.force_login(cast.secretariat)

    response = client.post("/invitations/", {"email": "someone@shipyard.example", "role": "cochair",
                                             "organization": company.pk, "language": "en"})

    assert response.status_code == 400
    from participants.models import Invitation

    assert not Invitation.objects.exists()


def test_the_grants_page_costs_the_same_queries_for_5_and_50_grants(client, cast, second_secretariat,
                                                                      django_assert_max_num_queries):
    from participants.models import RoleGrant

    def grants(count: int) -> None:
        for _ in range(count):
            person = UserFactory(role="official", mfa=False)
            RoleGrant.objects.create(profile=person.profile, role="secretariat", previous_role="official",
                                     requested_by=second_secretariat)

    client.force_login(cast.secretariat)
    grants(5)
    with django_assert_max_num_queries(20) as few:
        assert client.get(GRANTS).status_code == 200
    grants(45)
    with django_assert_max_num_queries(len(few)):
        page = client.get(GRANTS)
    assert page.content.decode().count('/approve/"') == 50
