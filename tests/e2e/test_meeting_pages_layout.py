"""The secretariat's meeting pages on a phone and a desktop, in English and Japanese: the
form, the repeated-hour question, the confirmation step and the meeting page's actions fit
the width (no horizontal scroll). Screenshots go to test-artifacts/."""

import pytest
from playwright.sync_api import expect

from forums.models import Meeting

from .test_browse import current_language, sign_in, switch_language, switch_time_zone

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SECRETARIAT = "secretariat@dicas.example"
WIDTHS = (375, 1280)


def assert_fits(page, label: str) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{label}: {overflow}px wider than the window"


def test_the_meeting_pages_fit_phones_and_desktops_in_both_languages(page, live_server, demo_data, screenshot):
    base = live_server.url
    sign_in(page, base, SECRETARIAT)
    switch_time_zone(page, "Asia/Tokyo")
    meeting = Meeting.objects.filter(status=Meeting.Status.SCHEDULED).order_by("-starts_at").first()
    for language in ("en", "ja"):
        if current_language(page) != language:
            switch_language(page, language)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            name = f"meetings-{language}-{width}"

            page.goto(f"{base}/meetings/new/")
            page.locator("#id_time_zone").select_option("America/New_York")
            page.locator("input[name=title_en]").fill("Supply chain resilience working group")
            page.locator("input[name=starts_at_0]").fill("2027-11-07")
            page.locator("input[name=starts_at_1]").fill("01:30")
            page.locator("input[name=ends_at_0]").fill("2027-11-07")
            page.locator("input[name=ends_at_1]").fill("04:00")
            page.locator("button[name=preview]").click()
            expect(page.locator(".meeting-occurrence")).to_be_visible()
            # The question comes with a 400, which Chromium reports on the console: expected here.
            page.browser_problems[:] = [problem for problem in page.browser_problems if "status of 400" not in problem]
            assert_fits(page, f"{name} repeated hour")
            screenshot(page, f"{name}-1-repeated-hour")

            # The design system hides the radio itself and styles its label.
            page.locator(".meeting-occurrence label").nth(1).click()
            page.locator("button[name=preview]").click()
            expect(page.locator(".meeting-preview")).to_contain_text("01:30 EST")
            assert_fits(page, f"{name} confirm")
            screenshot(page, f"{name}-2-confirm")

            page.goto(f"{base}/meetings/{meeting.pk}/")
            expect(page.locator(".meeting-manage")).to_be_visible()
            assert_fits(page, f"{name} meeting page")
            screenshot(page, f"{name}-3-meeting-page")
