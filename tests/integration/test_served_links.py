"""`make run PORT=…`'s path: the embedded portal served on a port of its own (not 8000) sends
e-mails whose every link leads to that port. A representative signs in and registers for
the demo roundtable over HTTP; the notice arrives at a real SMTP server."""

import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from dicas_portal.serving import runserver_base_url
from tests.notifications.sink import SmtpSink

from .conftest import free_port

pytestmark = pytest.mark.slow
PROJECT = Path(__file__).resolve().parents[2]
REPRESENTATIVE = "industry.us@dicas.example"
DEMO_PASSWORD = "dicas-demo-2024"
ROUNDTABLE = "Industry roundtable: co-sustainment at Japanese shipyards"
LEFT_OUT = {"DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_DEBUG", "PORTAL_BASE_URL", "PORTAL_SERVED_URL",
            "EMAIL_URL", "CACHE_URL", "REDIS_CACHE_URL"}


class Browser:
    """Just enough of one: cookies, the CSRF token of the last page, forms posted."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.opener.addheaders = [("Accept-Language", "en")]

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.read().decode()

    def post(self, path: str, data: dict, *, token_from: str) -> str:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', token_from).group(1)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **data}).encode()
        with self.opener.open(self.base + path, data=body, timeout=60) as response:
            return response.read().decode()


def links_in(message) -> list[str]:
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return re.findall(r"https?://[^\s<>\"]+", text) + re.findall(r'href="(https?://[^"]+)"', html)


def test_an_email_sent_while_served_on_another_port_links_to_that_port(tmp_path):
    with SmtpSink() as sink:
        environment = {
            **{key: value for key, value in os.environ.items() if key not in LEFT_OUT},
            "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
            "EMAIL_URL": sink.url,
        }
        for command in (["migrate", "--noinput"], ["load_demo"]):
            subprocess.run([sys.executable, "manage.py", *command], cwd=PROJECT, env=environment, check=True,
                           capture_output=True, timeout=300)
        port = free_port()
        assert port != 8000
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=PROJECT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            browser = Browser(base)
            sign_in_page = wait_for(lambda: browser.get("/accounts/login/"))
            browser.post("/accounts/login/", {"login": REPRESENTATIVE, "password": DEMO_PASSWORD},
                         token_from=sign_in_page)
            schedule = browser.get("/meetings/")
            meeting_path = re.search(rf'href="(/meetings/\d+/)"[^>]*>\s*{re.escape(ROUNDTABLE)}', schedule).group(1)
            meeting_page = browser.get(meeting_path)
            assert "Sign out" in meeting_page, "the representative is not signed in"
            browser.post(f"{meeting_path}register/", {"consent": "on", "note": ""}, token_from=meeting_page)

            deadline = time.monotonic() + 30
            while not any(REPRESENTATIVE in received.recipients for received in sink.messages):
                assert time.monotonic() < deadline, "no e-mail reached the representative"
                time.sleep(0.2)
            (notice,) = [received.parsed() for received in sink.messages if REPRESENTATIVE in received.recipients]
            links = links_in(notice)
            assert links, notice.as_string()
            assert all(link.startswith(f"{base}/") for link in links), links
            assert f"{base}{meeting_path}" in links
            # And they work: the meeting page, from the link in the mail.
            assert ROUNDTABLE in browser.get(meeting_path)
        finally:
            server.terminate()
            server.wait(timeout=20)


def wait_for(load, seconds: float = 60.0):
    deadline = time.monotonic() + seconds
    while True:
        try:
            return load()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


@pytest.mark.parametrize("argv, served", [
    (["manage.py", "runserver"], "http://127.0.0.1:8000/"),
    (["manage.py", "runserver", "8123"], "http://127.0.0.1:8123/"),
    (["manage.py", "runserver", "127.0.0.1:8123", "--noreload"], "http://127.0.0.1:8123/"),
    (["manage.py", "runserver", "--settings", "dicas_portal.settings", "localhost:9000"], "http://localhost:9000/"),
    (["manage.py", "runserver", "0.0.0.0:8123"], "http://127.0.0.1:8123/"),
    (["manage.py", "runserver", "-6", "[::]:8123"], "http://[::1]:8123/"),
    (["manage.py", "migrate"], None),
])
def test_the_address_runserver_serves_is_read_from_its_arguments(argv, served):
    assert runserver_base_url(argv) == served


def run_settings(**variables: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items()
                   if key not in LEFT_OUT | {"SECRET_KEY", "ALLOWED_HOSTS"}}
    environment.update(variables)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
                               "print(settings.PORTAL_BASE_URL)"],
        cwd=PROJECT, env={**environment, "DJANGO_SETTINGS_MODULE": "dicas_portal.settings"},
        capture_output=True, text=True, timeout=120,
    )


def test_in_production_the_links_start_at_portal_base_url_which_must_be_set():
    from tests.production import production_variables

    production = production_variables()
    assert run_settings(**production).stdout.strip() == "https://dicas-portal.example"
    # Unset, production refuses to start, naming the variable to set (issue 13, finding 9).
    unset = {key: value for key, value in production.items() if key != "PORTAL_BASE_URL"}
    refused = run_settings(**unset)
    assert refused.returncode != 0 and "PORTAL_BASE_URL" in refused.stderr
    # A PORTAL_BASE_URL set by hand wins over the address runserver passes on.
    assert run_settings(PORTAL_BASE_URL="https://dev.example/", PORTAL_SERVED_URL="http://127.0.0.1:8123/").stdout \
        .strip() == "https://dev.example/"
    assert run_settings(PORTAL_SERVED_URL="http://127.0.0.1:8123/").stdout.strip() == "http://127.0.0.1:8123/"
