"""The browse issue's acceptance scenario, in a real browser: an official finds a past
working-group meeting in the schedule and reads it in Japanese and in New York time."""

import re
import time

import pytest
from django.utils import translation
from playwright.sync_api import expect

from forums.management.commands.load_demo import DEMO_TOTP_SECRET
from tests.factories import totp_code

from .conftest import DEMO_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE_EN = "First working-group meeting: ship repair and maintenance"
TITLE_JA = "第1回作業部会：艦船の補修・整備"
OFFICIAL_JP = "official.jp@dicas.example"


def current_language(page) -> str:
    return page.locator("html").get_attribute("lang")


def in_page_language(page, text: str) -> str:
    """A string of base.html as the page shows it: from the catalogue the portal uses
    (in Japanese "Change language" is 言語の切替, "Change time zone" タイムゾーンを変更)."""
    with translation.override(current_language(page)):
        return translation.gettext(text)


def switch_language(page, code: str) -> None:
    page.get_by_label(in_page_language(page, "Language"), exact=True).select_option(code)
    page.get_by_role("button", name=in_page_language(page, "Change language"), exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", code)


def switch_time_zone(page, zone: str) -> None:
    page.get_by_label(in_page_language(page, "Time zone"), exact=True).select_option(zone)
    page.get_by_role("button", name=in_page_language(page, "Change time zone"), exact=True).click()
    expect(page.locator("#time-zone-select")).to_have_value(zone)


def sign_in(page, base_url: str, email: str, *, second_factor: bool = True) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()  # not "Sign in with a passkey"
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    if second_factor:
        # Officials sign in with a second factor: the code the demo accounts' authenticator
        # app shows now (load_demo prints the secret).
        expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
        page.locator("input[name=code]").fill(fresh_totp_code(DEMO_TOTP_SECRET))
        page.get_by_role("button", name="Sign In", exact=True).click()
        expect(page).not_to_have_url(re.compile(r"/accounts/2fa/"))


def fresh_totp_code(secret: str) -> str:
    """A code with a few seconds of its 30 left, so that it is still valid on arrival."""
    if time.time() % 30 > 26:
        time.sleep(30 - time.time() % 30 + 0.1)
    return totp_code(secret)


def test_an_official_finds_a_past_meeting_and_reads_it_in_japanese_and_new_york_time(
    page, live_server, demo_data, screenshot
):
    sign_in(page, live_server.url, OFFICIAL_JP)
    # The profile says Japanese and Asia/Tokyo; the scenario starts in English.
    if current_language(page) != "en":
        switch_language(page, "en")

    page.goto(f"{live_server.url}/meetings/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Schedule")

    page.get_by_role("link", name="Past meetings").click()
    expect(page).to_have_url(re.compile(r"[?&]when=past"))

    page.get_by_label("Working group").select_option("ship-repair")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"[?&]group=ship-repair"))
    expect(page).to_have_url(re.compile(r"[?&]when=past"))
    expect(page.get_by_label("Working group")).to_have_value("ship-repair")
    # Only the ship-maintenance group's meetings are left.
    expect(page.get_by_role("link", name="Working-group meeting: supply chain resilience (September 2024)")).to_have_count(0)
    screenshot(page, "browse-1-past-ship-repair")

    page.get_by_role("link", name=TITLE_EN, exact=True).click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(TITLE_EN)
    main = page.locator("main")
    expect(main).to_contain_text("10:00 JST (Tokyo)")
    expect(main).not_to_contain_text("EDT")
    meeting_url = page.url

    switch_language(page, "ja")
    expect(page).to_have_url(meeting_url)
    expect(heading).to_have_text(TITLE_JA)
    screenshot(page, "browse-2-meeting-ja-tokyo")

    switch_time_zone(page, "America/New_York")
    expect(page).to_have_url(meeting_url)
    expect(heading).to_have_text(TITLE_JA)
    expect(main).to_contain_text("10:00 JST")
    expect(main).to_contain_text("21:00 EDT")
    screenshot(page, "browse-3-meeting-ja-new-york")


@pytest.mark.parametrize("width", [375, 1280])
def test_the_schedule_fits_the_screen(page, live_server, demo_data, screenshot, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/meetings/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Schedule")
    screenshot(page, f"schedule-{width}px")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"the schedule is {scroll_width} px wide in a {width} px window"
