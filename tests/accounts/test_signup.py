"""Sign-up with allauth: e-mail as the login, the address confirmed before anything else,
then the profile step. Self sign-up gives the industry role only, and a signed-in person
whose profile is incomplete is sent to the profile step from every page."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from participants.models import Organization, Profile
from tests.factories import CountryFactory, OrganizationFactory, UserFactory, enrol_totp

pytestmark = pytest.mark.django_db

EMAIL = "hanako.sato@seto-marine.example"
PASSWORD = "a-long-and-unusual-passphrase"
PROFILE_STEP = "/profile/details/"


@pytest.fixture
def organizations():
    japan = CountryFactory(code="JP", name_en="Japan", name_ja="日本")
    return {
        "seto": OrganizationFactory(name="Seto Marine Engineering K.K.", name_ja="瀬戸マリンエンジニアリング株式会社", country=japan),
        "ministry": OrganizationFactory(name="Ministry of Defense", kind=Organization.Kind.GOVERNMENT, country=japan),
        "pending": OrganizationFactory(name="Awaiting Shipyard K.K.", confirmed=False, country=japan),
        "japan": japan,
    }


def sign_up(client, email: str = EMAIL):
    return client.post("/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD},
                       HTTP_ACCEPT_LANGUAGE="en")


def confirmation_link() -> str:
    (message,) = mail.outbox
    return re.search(r"http://testserver(/accounts/confirm-email/[^\s]+/)", message.body).group(1)


def profile_data(**overrides) -> dict:
    data = {
        "full_name": "Hanako Sato", "full_name_ja": "佐藤 花子", "organization": "", "new_organization": "",
        "country": "", "job_title": "Programme manager", "preferred_language": "ja", "time_zone": "Asia/Tokyo",
    }
    data.update(overrides)
    return data


def test_signing_up_asks_to_confirm_the_address_before_anything_else(client, organizations):
    response = sign_up(client)

    assert response.status_code == 302 and response["Location"] == "/accounts/confirm-email/"
    user = get_user_model().objects.get(email=EMAIL)
    assert user.profile.role == Profile.Role.INDUSTRY
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [EMAIL]
    # Not signed in until the address is confirmed; signing in is refused until then.
    assert "_auth_user_id" not in client.session
    client.post("/accounts/login/", {"login": EMAIL, "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_the_whole_sign_up_confirm_and_profile_step(client, organizations):
    sign_up(client)
    link = confirmation_link()

    page = client.get(link, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "Confirm" in page.content.decode()
    response = client.post(link, HTTP_ACCEPT_LANGUAGE="en")

    # Confirmed and signed in at once, and straight to the profile step.
    assert response.status_code == 302 and response["Location"] == PROFILE_STEP
    assert client.get("/meetings/")["Location"] == f"{PROFILE_STEP}?next=%2Fmeetings%2F"

    step = client.get(PROFILE_STEP, HTTP_ACCEPT_LANGUAGE="en")
    assert step.status_code == 200
    assert "One more step" in step.content.decode()

    response = client.post(PROFILE_STEP, profile_data(organization=organizations["seto"].pk, next="/meetings/"))

    assert response.status_code == 302 and response["Location"] == "/meetings/"
    profile = Profile.objects.get(user__email=EMAIL)
    assert (profile.full_name, profile.full_name_ja, profile.organization, profile.job_title) == (
        "Hanako Sato", "佐藤 花子", organizations["seto"], "Programme manager",
    )
    assert (profile.preferred_language, profile.time_zone, profile.role) == ("ja", "Asia/Tokyo", Profile.Role.INDUSTRY)
    assert client.get("/meetings/").status_code == 200


def test_a_new_organisation_is_created_unconfirmed_for_the_secretariat(client, organizations):
    person = UserFactory()
    client.force_login(person)

    response = client.post(PROFILE_STEP, profile_data(new_organization="Kure Dockyard K.K.", country="JP"),
                           HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302
    organization = Organization.objects.get(name="Kure Dockyard K.K.")
    assert (organization.confirmed, organization.country, organization.kind) == (
        False, organizations["japan"], Organization.Kind.INDUSTRY,
    )
    assert Profile.objects.get(user=person).organization == organization


def test_a_second_colleague_asking_for_the_same_organisation_joins_the_request(client, organizations):
    client.force_login(UserFactory())

    client.post(PROFILE_STEP, profile_data(new_organization="awaiting shipyard k.k.", country="JP"))

    assert Organization.objects.filter(name__iexact="Awaiting Shipyard K.K.").count() == 1


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({}, "organization", "Choose your organisation, or name it below if it is not on the list."),
        ({"new_organization": "Kure Dockyard K.K."}, "country", "Choose the country where your organisation is based."),
        ({"new_organization": "seto marine engineering k.k.", "country": "JP"}, "new_organization",
         "Seto Marine Engineering K.K. is already on the list: choose it there."),
        ({"full_name": "   "}, "full_name", "This field is required."),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", None),
    ],
)
def test_the_profile_step_explains_what_is_missing(client, organizations, overrides, field, message):
    person = UserFactory()
    client.force_login(person)

    response = client.post(PROFILE_STEP, profile_data(**overrides), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors
    if message:
        assert errors[field] == [message]
    assert not Profile.objects.filter(user=person).exists()
    assert 'aria-invalid="true"' in response.content.decode()


def test_only_confirmed_non_government_organisations_are_offered_to_industry(client, organizations):
    client.force_login(UserFactory())

    offered = set(client.get(PROFILE_STEP).context["form"].fields["organization"].queryset)

    assert organizations["seto"] in offered
    assert organizations["ministry"] not in offered and organizations["pending"] not in offered


def test_the_profile_step_never_gives_another_role(client, organizations):
    person = UserFactory()
    client.force_login(person)

    client.post(PROFILE_STEP, profile_data(organization=organizations["seto"].pk, role="secretariat"))

    assert Profile.objects.get(user=person).role == Profile.Role.INDUSTRY


def test_an_existing_role_is_kept_when_details_change(client, cast, organizations):
    client.force_login(cast.member)

    client.post(PROFILE_STEP, profile_data(organization=organizations["ministry"].pk, full_name="New Name"))

    profile = Profile.objects.get(user=cast.member)
    assert (profile.role, profile.full_name) == (Profile.Role.OFFICIAL, "New Name")


def test_every_page_sends_an_incomplete_profile_to_the_step_but_the_account_pages(client, organizations):
    person = UserFactory(role="industry")
    person.profile.organization = None
    person.profile.save()
    client.force_login(person)

    for path in ["/", "/meetings/", "/my/registrations/", "/profile/"]:
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith(PROFILE_STEP), path
    # Forms posted elsewhere are not replayed afterwards: no `next` for them.
    assert client.post("/meetings/1/register/")["Location"] == PROFILE_STEP
    for path in [PROFILE_STEP, "/accounts/email/", "/healthz"]:
        assert not client.get(path).get("Location", "").startswith(PROFILE_STEP), path


def test_a_complete_profile_and_an_administrator_go_where_they_asked(client, cast):
    client.force_login(cast.industry)
    assert client.get("/meetings/").status_code == 200

    admin = get_user_model().objects.create_superuser("root@example.org", "root@example.org", PASSWORD)
    enrol_totp(admin)  # administrators need a second factor first (tests/accounts/test_administrator_mfa.py)
    client.force_login(admin)
    assert client.get("/meetings/").status_code == 200


def test_the_next_address_must_be_on_this_site(client, organizations):
    client.force_login(UserFactory())

    response = client.post(PROFILE_STEP, profile_data(organization=organizations["seto"].pk, next="https://evil.example/"))

    assert response["Location"] == "/"


def test_the_profile_step_refuses_other_methods_and_visitors(client):
    assert client.get(PROFILE_STEP)["Location"].startswith("/accounts/login/")
    client.force_login(UserFactory())
    assert client.put(PROFILE_STEP).status_code == 405


def test_the_account_pages_are_drawn_in_the_portals_layout(client):
    for path, heading in [("/accounts/login/", "Sign In"), ("/accounts/signup/", "Sign Up")]:
        page = client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert 'class="usa-skipnav"' in page, path  # base.html
        title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
        assert " ".join(title.split()) == f"{heading} · DICAS Portal", path
        assert 'class="usa-input"' in page and 'class="usa-label' in page, path
        assert re.search(rf'<button class="usa-button" type="submit">\s*{heading}\s*</button>', page), path
    signup = client.get("/accounts/signup/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Officials receive their account from the secretariat." in signup
