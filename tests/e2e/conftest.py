"""Browser tests: Playwright's sync API drives Debian's Chromium against pytest-django's
live server. Without /usr/bin/chromium they skip with the reason (as root, `make system-packages`
installs it; .ci/run does); in CI (CI=true) they never skip, and a missing browser fails.

Playwright's sync API keeps an asyncio loop marked as running in the main thread while
the browser is open, and Django then refuses database calls from that thread. So:
DJANGO_ALLOW_ASYNC_UNSAFE is set only while the browser tests run, and the browser
tests run after all the others (see pytest_collection_modifyitems)."""

import io
import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"  # git-ignored
IN_CI = os.environ.get("CI", "").lower() == "true"
E2E_DIR = Path(__file__).resolve().parent

DEMO_PASSWORD = "dicas-demo-2024"


def pytest_collection_modifyitems(session, config, items):
    """Browser tests last: once the browser is open, the main thread has a running loop."""
    items.sort(key=lambda item: E2E_DIR in Path(str(item.path)).resolve().parents)


@pytest.fixture(scope="session")
def _allow_async_unsafe():
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _e2e_allows_async_unsafe(_allow_async_unsafe):
    """Every browser test, set up before and torn down after its database fixtures."""


@pytest.fixture(scope="session")
def browser(_allow_async_unsafe):
    if not CHROMIUM.exists():
        reason = f"needs Debian's Chromium at {CHROMIUM}: make system-packages (as root) installs chromium and fonts-noto-cjk"
        if IN_CI:
            pytest.fail(f"CI=true but the browser is missing: {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh page. The test fails if the browser reports an error on any page it shows:
    a script error, a resource that did not load, or anything the Content-Security-Policy
    refused (Chromium reports each refusal as a console error)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(console_problem(message)) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"uncaught script error: {error}"))
    page.browser_problems = problems  # a test that provokes an error on purpose may clear it
    yield page
    context.close()
    assert not problems, "the browser reported errors:\n" + "\n".join(problems)


def console_problem(message) -> str:
    location = message.location or {}
    return f"console error on {location.get('url', '?')}: {message.text}"


@pytest.fixture
def demo_data(settings):
    """The demo data, committed so that the live server's thread sees it. A fast hasher:
    the demo accounts' passwords are hashed on every load, and checked at every sign-in."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("load_demo", stdout=io.StringIO())


def save_screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Saves a PNG under test-artifacts/ at the repository root and returns its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9._-]+', '-', name)}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


@pytest.fixture
def screenshot():
    return save_screenshot
