"""In a real browser: a signed-out reader who follows a link to a members-only meeting (as
from an e-mail) lands on the sign-in page in their language and, signed in as a member of
the group, on the meeting; the error pages read well on a phone and on a desktop."""

import re

import pytest
from playwright.sync_api import expect

from forums.management.commands.load_demo import DEMO_TOTP_SECRET
from forums.models import Meeting

from .conftest import DEMO_PASSWORD
from .test_browse import fresh_totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MEMBERS_ONLY_TITLE_JA = "第1回作業部会：艦船の補修・整備"
MEMBER = "official.jp@dicas.example"  # of the ship-repair group


def test_a_signed_out_reader_of_a_members_only_meeting_signs_in_and_lands_on_it(browser, live_server, demo_data,
                                                                               screenshot):
    meeting = Meeting.objects.get(title_ja=MEMBERS_ONLY_TITLE_JA)
    assert meeting.visibility == Meeting.Visibility.GROUP_MEMBERS
    context = browser.new_context(viewport={"width": 375, "height": 800}, locale="ja-JP")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}{meeting.get_absolute_url()}")
        expect(page).to_have_url(re.compile(r"/accounts/login/\?next=" + re.escape(meeting.get_absolute_url())))
        expect(page.locator("html")).to_have_attribute("lang", "ja")
        expect(page.get_by_role("status")).to_contain_text("続けるにはログインしてください")
        expect(page.locator("main")).not_to_contain_text(MEMBERS_ONLY_TITLE_JA)
        screenshot(page, "link-1-sign-in-ja-375px")

        page.locator("input[name=login]").fill(MEMBER)
        page.locator("input[name=password]").fill(DEMO_PASSWORD)
        page.locator("main").get_by_role("button", name="ログイン", exact=True).click()
        expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
        page.locator("input[name=code]").fill(fresh_totp_code(DEMO_TOTP_SECRET))
        page.locator("main button[type=submit]").first.click()

        expect(page).to_have_url(f"{live_server.url}{meeting.get_absolute_url()}")
        expect(page.get_by_role("heading", level=1)).to_have_text(MEMBERS_ONLY_TITLE_JA)
        screenshot(page, "link-2-meeting-after-sign-in-ja-375px")
    finally:
        context.close()


@pytest.mark.parametrize("language, locale", [("en", "en-US"), ("ja", "ja-JP")])
@pytest.mark.parametrize("width", [375, 1280])
def test_the_404_page_offers_a_visitor_to_sign_in_and_come_back(browser, live_server, language, locale, width,
                                                                screenshot):
    context = browser.new_context(viewport={"width": width, "height": 800}, locale=locale)
    page = context.new_page()
    try:
        response = page.goto(f"{live_server.url}/papers/999999/download/")
        assert response.status == 404
        expect(page.locator("html")).to_have_attribute("lang", language)
        sign_in = page.locator("main").get_by_role("link", name="Sign in" if language == "en" else "ログイン")
        expect(sign_in).to_have_attribute("href", "/accounts/login/?next=/papers/999999/download/")
        screenshot(page, f"error-404-{language}-{width}px")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()
