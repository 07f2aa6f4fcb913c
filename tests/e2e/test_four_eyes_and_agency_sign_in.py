"""In a real browser: a second member of the secretariat approves a co-chair role another
gave (four eyes), in English and Japanese, at phone and desk widths; the sign-in page
offers agency sign-in beside the password."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from forums.management.commands.load_demo import DEMO_TOTP_SECRET
from participants.models import Profile, RoleGrant
from participants.services import change_role
from tests.factories import ProfileFactory, confirm_email, enrol_totp

from .conftest import DEMO_PASSWORD
from .test_browse import in_page_language, sign_in, switch_language

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

User = get_user_model()


@pytest.fixture
def second_secretariat(demo_data):
    person = User.objects.create_user(username="deputy.secretariat@dicas.example",
                                      email="deputy.secretariat@dicas.example", password=DEMO_PASSWORD)
    ProfileFactory(user=person, role=Profile.Role.SECRETARIAT, full_name="Deputy of the secretariat",
                   organization=User.objects.get(email="secretariat@dicas.example").profile.organization, mfa=False)
    confirm_email(person)
    enrol_totp(person, secret=DEMO_TOTP_SECRET)
    return person


def no_wider_than_the_window(page, width: int) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"the page is {scroll_width} px wide in a {width} px window"


def test_a_second_secretariat_member_approves_a_cochair_role(page, live_server, second_secretariat, screenshot):
    official = User.objects.get(email="official.jp@dicas.example")
    change_role(profile=official.profile, role=Profile.Role.COCHAIR,
                by=User.objects.get(email="secretariat@dicas.example"))
    assert Profile.objects.get(user=official).role == Profile.Role.OFFICIAL

    sign_in(page, live_server.url, second_secretariat.email)
    page.goto(f"{live_server.url}/people/role-grants/")
    for language in ("en", "ja"):
        if language == "ja":
            switch_language(page, "ja")
        for width in (1280, 375):
            page.set_viewport_size({"width": width, "height": 900})
            expect(page.get_by_role("heading", level=1)).to_have_text(in_page_language(page, "Roles awaiting approval"))
            screenshot(page, f"four-eyes-{language}-{width}px")
            no_wider_than_the_window(page, width)

    page.get_by_role("button", name=in_page_language(page, "Approve"), exact=True).click()
    expect(page.get_by_text(in_page_language(page, "No role awaits approval."))).to_be_visible()
    assert Profile.objects.get(user=official).role == Profile.Role.COCHAIR
    assert RoleGrant.objects.get().decided_by == second_secretariat


def test_the_sign_in_page_offers_agency_sign_in(page, live_server, demo_data, settings, screenshot):
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {
        **settings.SOCIALACCOUNT_PROVIDERS["openid_connect"],
        "APPS": [{"provider_id": "agency", "name": "Agency sign-in", "client_id": "portal", "secret": "x",
                  "settings": {"server_url": "https://login.agency.example", "issuer": "https://login.agency.example"}}],
    }}
    page.goto(f"{live_server.url}/accounts/login/")
    for language in ("en", "ja"):
        if language == "ja":
            switch_language(page, "ja")
        for width in (1280, 375):
            page.set_viewport_size({"width": width, "height": 900})
            expect(page.get_by_role("link", name="Agency sign-in")).to_be_visible()
            screenshot(page, f"agency-sign-in-{language}-{width}px")
            no_wider_than_the_window(page, width)
