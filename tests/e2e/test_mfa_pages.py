"""The pages of multi-factor sign-in the portal adds or changes, in both languages and at a
phone's and a desk's width, under the Content-Security-Policy: the sign-in with a passkey,
the second step with a security key, the enrolment page and its link, the last factor
that cannot be switched off. Screenshots go to test-artifacts/."""

import re

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import expect

from .conftest import DEMO_PASSWORD
from .test_browse import sign_in, switch_language
from .test_security_keys import portal_url  # noqa: F401  (the live server at localhost)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = (375, 1280)


def shoot(page, screenshot, name: str, language: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        # Nothing wider than the screen: no sideways scrolling on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, f"{name} at {width}px"
        screenshot(page, f"mfa-{name}-{language}-{width}")


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_mfa_pages_in_both_languages_at_both_widths(browser, portal_url, demo_data, screenshot, language):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)

    page.goto(f"{portal_url}/accounts/login/")
    if language == "ja":
        switch_language(page, "ja")
    expect(page.locator("#passkey_login")).to_be_visible()
    shoot(page, screenshot, "1-sign-in", language)

    page.locator("input[name=login]").fill("cochair.us@dicas.example")
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    expect(page.locator("#mfa_webauthn_authenticate")).to_be_visible()
    shoot(page, screenshot, "2-second-step", language)
    context.clear_cookies()

    # The last factor stays.
    sign_in(page, portal_url, "cochair.us@dicas.example")
    if language == "ja":
        switch_language(page, "ja")
    page.goto(f"{portal_url}/accounts/2fa/totp/deactivate/")
    if "/reauthenticate/" in page.url:
        page.locator("input[name=password]").fill(DEMO_PASSWORD)
        page.locator("main form button[type=submit]").first.click()
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator("main")).to_contain_text(re.compile("last second factor|最後の第2要素"))
    shoot(page, screenshot, "3-last-factor", language)
    context.clear_cookies()

    # Someone whose factor was removed: the enrolment page, the link, the set-up.
    Authenticator.objects.filter(user__email="official.us@dicas.example").delete()
    sign_in(page, portal_url, "official.us@dicas.example", second_factor=False)
    if language == "ja":
        switch_language(page, "ja")
    page.goto(f"{portal_url}/meetings/")
    expect(page).to_have_url(re.compile(r"/security/enrol/$"))
    shoot(page, screenshot, "4-enrolment", language)
    page.locator("main form[action='/security/enrol/'] button").click()
    expect(page.locator("main .usa-summary-box")).to_contain_text(re.compile("o•••@dicas.example"))
    shoot(page, screenshot, "5-enrolment-sent", language)
    assert not problems, problems
    response = page.goto(f"{portal_url}/security/enrol/not-a-link/")
    assert response.status == 400  # Chromium reports it as a console error: the only one expected
    shoot(page, screenshot, "6-enrolment-refused", language)
    context.close()
