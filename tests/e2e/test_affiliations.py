"""Verified affiliations and export-controlled papers in a real browser, under the CSP: the
secretariat approves the pending industry account's affiliation; an official acknowledges the
handling rule before downloading an export-controlled paper. Screenshots at 375 and 1280 px,
in English and Japanese."""

import re

import pytest
from playwright.sync_api import expect

from forums.models import Document

from .test_browse import current_language, sign_in, switch_language

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SECRETARIAT = "secretariat@dicas.example"
OFFICIAL_JP = "official.jp@dicas.example"
PENDING = "industry.pending@dicas.example"


def both_widths(page, screenshot, name: str) -> None:
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"{name}-{current_language(page)}-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_the_pending_account_sees_public_meetings_only_until_the_secretariat_approves(
        browser, page, live_server, demo_data, screenshot):
    sign_in(page, live_server.url, PENDING, second_factor=False)
    page.goto(f"{live_server.url}/profile/")
    if current_language(page) != "en":
        switch_language(page, "en")
    expect(page.locator(".affiliation-status")).to_have_text(re.compile("Awaiting the secretariat's approval"))
    both_widths(page, screenshot, "affiliations-1-pending-profile")
    switch_language(page, "ja")
    both_widths(page, screenshot, "affiliations-1-pending-profile")

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    staff = context.new_page()
    sign_in(staff, live_server.url, SECRETARIAT)
    staff.goto(f"{live_server.url}/affiliations/")
    if current_language(staff) != "en":
        switch_language(staff, "en")
    expect(staff.get_by_role("heading", level=1)).to_have_text("Affiliations")
    expect(staff.get_by_text("Harborline Logistics Pty Ltd")).to_be_visible()
    both_widths(staff, screenshot, "affiliations-2-requests")
    switch_language(staff, "ja")
    both_widths(staff, screenshot, "affiliations-2-requests")
    staff.goto(f"{live_server.url}/affiliations/domains/")
    both_widths(staff, screenshot, "affiliations-3-domains")
    switch_language(staff, "en")
    both_widths(staff, screenshot, "affiliations-3-domains")
    staff.goto(f"{live_server.url}/affiliations/")
    staff.get_by_role("button", name="Approve").first.click()
    expect(staff.get_by_text("is now verified as working for Harborline Logistics Pty Ltd")).to_be_visible()
    context.close()

    page.goto(f"{live_server.url}/profile/")
    expect(page.locator(".affiliation-status")).to_have_text(re.compile("確認済み"))


def test_an_official_acknowledges_the_handling_rule_before_the_first_download(page, live_server, demo_data,
                                                                              screenshot):
    paper = Document.objects.get(title="Ship repair and maintenance: technical data package")
    sign_in(page, live_server.url, OFFICIAL_JP)
    page.goto(f"{live_server.url}/papers/{paper.pk}/download/")
    expect(page).to_have_url(re.compile(rf"/papers/{paper.pk}/handling/"))
    expect(page.locator(".paper-marking")).to_contain_text("REL TO JPN, USA")
    both_widths(page, screenshot, "affiliations-4-handling")
    switch_language(page, "en")
    both_widths(page, screenshot, "affiliations-4-handling")
    page.locator("label[for=acknowledge]").click()  # USWDS draws the box over the hidden input
    with page.expect_download() as download:
        page.get_by_role("button", name="Acknowledge and download").click()
    assert download.value.suggested_filename.endswith(".pdf")
