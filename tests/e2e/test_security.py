"""Accounts in a real browser, under the Content-Security-Policy: the secretariat signs in
with a code and reaches its pages and the admin; an invited official chooses a password
and sets up an authenticator app. The page fixture fails a test on any console error,
and Chromium reports every CSP refusal as one."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.factories import totp_code

from .test_browse import fresh_totp_code, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SECRETARIAT = "secretariat@dicas.example"
PASSWORD = "a-long-and-unusual-passphrase"


def test_the_secretariat_signs_in_with_a_code_and_reaches_its_pages_but_not_the_admin(page, live_server, demo_data,
                                                                                    screenshot):
    sign_in(page, live_server.url, SECRETARIAT)
    for path, heading in [("/audit/", "監査記録|Audit record"), ("/people/", "People|利用者|参加者"),
                          ("/invitations/", "Invitations|招待"), ("/accounts/2fa/", ".+")]:
        page.goto(f"{live_server.url}{path}")
        expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(heading))
    screenshot(page, "security-1-two-factor")
    # The admin is for administrators only: the secretariat runs meetings from /meetings/new/.
    expect(page.locator("a[href='/admin/']")).to_have_count(0)
    response = page.goto(f"{live_server.url}/admin/")
    assert response.status == 403
    expect(page.locator("#site-name")).to_have_count(0)
    page.browser_problems.clear()  # Chromium reports the 403 on the console


def test_the_admin_works_under_the_content_security_policy(page, live_server, demo_data, screenshot):
    # The demo administrator signs in with a code too (issue 13, finding 1).
    sign_in(page, live_server.url, "admin@dicas.example")
    page.goto(f"{live_server.url}/admin/audit/auditevent/")
    expect(page.locator("#changelist")).to_be_visible()
    page.goto(f"{live_server.url}/admin/participants/profile/")
    page.locator("#result_list tbody th a").first.click()
    expect(page.locator("#profile_form")).to_be_visible()
    screenshot(page, "security-2-admin-profile")


def test_an_invited_official_chooses_a_password_and_sets_up_an_authenticator(browser, page, live_server, demo_data,
                                                                            screenshot):
    sign_in(page, live_server.url, SECRETARIAT)
    page.goto(f"{live_server.url}/invitations/")
    form = page.locator("form[action='/invitations/']")
    form.locator("input[name=email]").fill("kenji.tanaka@mod.example")
    form.locator("select[name=role]").select_option("official")
    ministry = form.locator("select[name=organization] option").filter(has_text=re.compile("Ministry of Defense|防衛省"))
    form.locator("select[name=organization]").select_option(ministry.first.get_attribute("value"))
    form.locator("select[name=language]").select_option("en")
    form.locator("button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("kenji.tanaka@mod.example")

    (message,) = [message for message in mail.outbox if message.to == ["kenji.tanaka@mod.example"]]
    link = re.search(r"https?://[^/\s]+(/invitations/accept/\S+/)", message.body).group(1)

    invitee = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US").new_page()
    invitee.goto(f"{live_server.url}{link}")
    invitee.locator("input[name=full_name]").fill("Kenji Tanaka")
    invitee.locator("input[name=password1]").fill(PASSWORD)
    invitee.locator("input[name=password2]").fill(PASSWORD)
    invitee.get_by_role("button", name="Create my account").click()

    expect(invitee).to_have_url(re.compile(r"/accounts/2fa/totp/activate/"))
    secret = invitee.locator("#authenticator_secret").input_value()
    screenshot(invitee, "security-3-activate-authenticator")
    invitee.locator("input[name=code]").fill(fresh_totp_code(secret))
    invitee.get_by_role("button", name="Activate").click()
    expect(invitee).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/"))

    invitee.goto(f"{live_server.url}/meetings/")
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Schedule")
    assert totp_code(secret)  # the secret the page showed is a working one
    invitee.context.close()
