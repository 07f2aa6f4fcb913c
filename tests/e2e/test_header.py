"""The header holds on a phone, at 1024 and at 1280 px, in English and Japanese, for every
role: nothing in it overlaps, nothing leaves the screen, the page never scrolls sideways,
and from 1024 px the main destinations are in view without opening anything. The
secretariat's pages are behind one menu that opens with the keyboard; the Django admin is
offered to administrators only."""

import re

import pytest
from django.utils import translation
from playwright.sync_api import expect

from .conftest import ARTIFACTS
from .test_browse import sign_in, switch_language

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = (375, 1024, 1280)
DESKTOP = 1024
# (role, demo account, signs in with a second factor)
ROLES = [
    ("anonymous", None, False),
    ("industry", "industry@dicas.example", False),
    ("official", "official.us@dicas.example", True),
    ("cochair", "cochair.us@dicas.example", True),
    ("secretariat", "secretariat@dicas.example", True),
    ("administrator", "admin@dicas.example", True),  # administrators need a second factor too
]
HAS_SECRETARIAT_MENU = {"secretariat", "administrator"}

# Every box the header and the preferences bar above it draw, with a name to report.
HEADER_BOXES = """() => {
  const shown = (el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility !== "hidden" && style.display !== "none";
  };
  const parts = document.querySelectorAll(
    ".usa-logo, .usa-menu-btn, .usa-nav__close, .portal-nav__primary > li > a, .portal-nav__primary > li > button, "
    + ".portal-preferences form > label, .portal-preferences form > select, .portal-preferences form > button, "
    + ".portal-preferences form > a");
  return [...parts].filter(shown).map((el) => {
    const box = el.getBoundingClientRect();
    return {name: (el.textContent || el.tagName).trim().replace(/\\s+/g, " ").slice(0, 40),
            left: box.left, right: box.right, top: box.top, bottom: box.bottom};
  });
}"""


def gettext_in(language: str, text: str) -> str:
    with translation.override(language):
        return translation.gettext(text)


def overlaps(a: dict, b: dict) -> bool:
    # Half a pixel of slack: neighbours that touch are not overlapping.
    return (a["left"] < b["right"] - 0.5 and b["left"] < a["right"] - 0.5
            and a["top"] < b["bottom"] - 0.5 and b["top"] < a["bottom"] - 0.5)


def assert_header_holds(page, where: str) -> None:
    width = page.evaluate("window.innerWidth")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{where}: the page is {scroll_width} px wide in a {width} px window"
    boxes = page.evaluate(HEADER_BOXES)
    assert len(boxes) >= 5, f"{where}: the header shows almost nothing: {boxes}"
    for box in boxes:
        assert box["left"] >= -0.5 and box["right"] <= width + 0.5, f"{where}: {box['name']!r} is off-screen: {box}"
    clashes = [(a["name"], b["name"]) for i, a in enumerate(boxes) for b in boxes[i + 1:] if overlaps(a, b)]
    assert not clashes, f"{where}: header elements overlap: {clashes}"


def in_view(page, locator) -> bool:
    box = locator.bounding_box()
    return bool(box) and locator.is_visible() and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]


def main_destinations(nav, role: str, language: str) -> list:
    def link(text):
        return nav.get_by_role("link", name=gettext_in(language, text), exact=True)

    found = [link("Schedule"), link("Calendar")]
    if role == "anonymous":
        return [*found, link("Sign in")]
    if role in HAS_SECRETARIAT_MENU:
        found.append(nav.get_by_role("button", name=gettext_in(language, "Secretariat"), exact=True))
    return [*found, link("My profile"), link("Sign out")]


def secretariat_menu(nav, language: str):
    return nav.get_by_role("button", name=gettext_in(language, "Secretariat"), exact=True)


@pytest.mark.parametrize("role, email, second_factor", ROLES, ids=[role for role, _, _ in ROLES])
def test_the_header_holds_at_every_width_in_both_languages(page, live_server, demo_data, role, email, second_factor):
    if email:
        sign_in(page, live_server.url, email, second_factor=second_factor)
    for language in ("en", "ja"):
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"{live_server.url}/meetings/")
        if page.locator("html").get_attribute("lang") != language:
            switch_language(page, language)
        for width in WIDTHS:
            where = f"{role}, {language}, {width} px"
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{live_server.url}/meetings/")
            expect(page.locator("html")).to_have_attribute("lang", language)
            nav = page.get_by_role("navigation", name=gettext_in(language, "Primary navigation"))
            menu_button = page.locator(".usa-menu-btn")
            page.screenshot(path=str(ARTIFACTS / f"header-{role}-{language}-{width}px.png"),
                            clip={"x": 0, "y": 0, "width": width, "height": 260})
            assert_header_holds(page, where)
            # The Django admin is the administrators' alone.
            expected_admin_links = 1 if role == "administrator" else 0
            expect(page.locator("header a[href='/admin/']")).to_have_count(expected_admin_links)

            if width >= DESKTOP:
                expect(menu_button).to_be_hidden()
                for destination in main_destinations(nav, role, language):
                    assert in_view(page, destination), f"{where}: {destination} is not in view"
                if role in HAS_SECRETARIAT_MENU:
                    check_secretariat_menu_by_keyboard(page, nav, language, where)
            else:
                expect(menu_button).to_be_visible()
                menu_button.click()
                expect(nav).to_be_visible()
                for destination in main_destinations(nav, role, language):
                    destination.scroll_into_view_if_needed()
                    assert in_view(page, destination), f"{where}, menu open: {destination} is not in view"
                if role in HAS_SECRETARIAT_MENU:
                    secretariat_menu(nav, language).click()
                    people = nav.get_by_role("link", name=gettext_in(language, "People"), exact=True)
                    people.scroll_into_view_if_needed()
                    assert in_view(page, people), f"{where}: the secretariat's menu opened off-screen"
                page.screenshot(path=str(ARTIFACTS / f"header-{role}-{language}-{width}px-menu.png"))
                scroll_width = page.evaluate("document.documentElement.scrollWidth")
                assert scroll_width <= width, f"{where}, menu open: the page is {scroll_width} px wide"


def check_secretariat_menu_by_keyboard(page, nav, language: str, where: str) -> None:
    button = secretariat_menu(nav, language)
    expect(button).to_have_attribute("aria-expanded", "false")
    people = nav.get_by_role("link", name=gettext_in(language, "People"), exact=True)
    expect(people).to_be_hidden()
    button.focus()
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(people).to_be_visible()
    for text in ("People", "Invitations", "Notices sent", "Audit record"):
        link = nav.get_by_role("link", name=gettext_in(language, text), exact=True)
        assert in_view(page, link), f"{where}: {text!r} of the opened menu is off-screen"
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= page.viewport_size["width"], f"{where}, menu open: the page scrolls sideways"
    page.screenshot(path=str(ARTIFACTS / f"header-secretariat-menu-{language}-{page.viewport_size['width']}px.png"),
                    clip={"x": 0, "y": 0, "width": page.viewport_size["width"], "height": 420})
    # Tab reaches the first entry, Escape closes the menu and gives the focus back.
    page.keyboard.press("Tab")
    expect(nav.locator("#portal-nav-secretariat a").first).to_be_focused()
    page.keyboard.press("Escape")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(people).to_be_hidden()


@pytest.mark.parametrize("width", [375, 1280])
def test_without_script_the_secretariats_pages_are_still_reachable(browser, live_server, demo_data, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-US", java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, "secretariat@dicas.example")
        page.goto(f"{live_server.url}/meetings/")
        if page.locator("html").get_attribute("lang") != "en":
            switch_language(page, "en")
        nav = page.get_by_role("navigation", name="Primary navigation")
        groups = {None: ("Schedule", "Calendar", "My profile", "Sign out"),
                  "Secretariat": ("New meeting", "People", "Invitations", "Notices sent", "Audit record"),
                  "My pages": ("My registrations", "My action items", "Notification settings")}
        for menu, texts in groups.items():
            if menu and width >= DESKTOP:
                # A menu opens while the keyboard's focus is in it (CSS :focus-within).
                nav.get_by_role("button", name=menu, exact=True).focus()
            for text in texts:
                link = nav.get_by_role("link", name=text, exact=True)
                assert in_view(page, link), f"without script at {width} px: {text!r} cannot be reached"
            if menu and width >= DESKTOP:
                page.keyboard.press("Tab")
                expect(nav.get_by_role("link", name=texts[0], exact=True)).to_be_focused()
                page.screenshot(path=str(ARTIFACTS / f"header-no-script-{menu}-{width}px.png"),
                                clip={"x": 0, "y": 0, "width": width, "height": 420})
        page.screenshot(path=str(ARTIFACTS / f"header-secretariat-no-script-{width}px.png"))
        assert_header_holds(page, f"without script, {width} px")
        expect(page).to_have_url(re.compile(r"/meetings/"))
    finally:
        context.close()
