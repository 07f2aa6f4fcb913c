"""Two web machines: two real gunicorn processes on one PostgreSQL and one Redis (CACHE_URL),
each with its own in-memory copies of the page frame, of rendered fragments and of the
signed-in people's accounts (forums/cache.py). What one of them changes counts on the other
at its very next request: an agenda published through one is read through the other, and a
person signed out everywhere through one is refused by the other."""

import http.client
import os
import re
import subprocess
import sys
import time
import uuid
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
import redis
from django.conf import settings as django_settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from participants.mfa import SESSION_FLAG as MFA_FLAG
from participants.sessions import LAST_SEEN_AT, SIGNED_IN_AT
from forums.models import Document
from tests.factories import AgendaItemFactory, MeetingFactory, UserFactory

from .conftest import free_port

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PROJECT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple 22"


class WebProcess:
    """One `gunicorn` serving the portal on a free loopback port."""

    def __init__(self, environment: dict[str, str], log: Path):
        self.port = free_port()
        self.log = log
        with open(log, "w") as log_file:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "dicas_portal.wsgi:application", "--workers=1",
                 f"--bind=127.0.0.1:{self.port}", "--access-logfile=-"],
                cwd=PROJECT, env=environment, stdout=log_file, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                self.request("GET", "/healthz")
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"gunicorn did not start:\n{log.read_text()}") from None
                time.sleep(0.2)

    def request(self, method: str, path: str, *, cookies: dict[str, str] | None = None,
                form: dict[str, str] | None = None, upload: tuple[str, str, bytes] | None = None,
                binary: bool = False) -> tuple[int, dict[str, str], str | bytes, SimpleCookie]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Host": f"127.0.0.1:{self.port}", "Accept-Language": "en"}
        if cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        body = None
        if upload is not None:
            body, headers["Content-Type"] = multipart(form or {}, *upload)
            headers["Origin"] = f"http://127.0.0.1:{self.port}"
        elif form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"http://127.0.0.1:{self.port}"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            jar = SimpleCookie()
            for value in response.headers.get_all("Set-Cookie") or []:
                jar.load(value)
            content = response.read()
            return response.status, dict(response.headers), content if binary else content.decode(), jar
        finally:
            connection.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def multipart(fields: dict[str, str], file_field: str, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
                 f"Content-Type: application/pdf\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@pytest.fixture
def cache_url():
    """A Redis database of this test run's own (the broker's number): emptied before and after."""
    url = django_settings.CELERY_BROKER_URL
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()


@pytest.fixture
def two_web_processes(test_database_url, cache_url, tmp_path):
    environment = {
        **os.environ,
        "DATABASE_URL": test_database_url,
        "CACHE_URL": cache_url,
        "CELERY_BROKER_URL": "memory://",
        "CONN_MAX_AGE": "0",
        "MEDIA_ROOT": str(tmp_path / "shared-media"),
    }
    servers = []
    try:
        for name in ("web-a", "web-b"):
            servers.append(WebProcess(environment, tmp_path / f"{name}.log"))
        yield servers
    finally:
        for server in servers:
            server.stop()


def signed_in_session(user) -> str:
    """A session as a sign-in with the second factor leaves it, stored where both web
    processes find it (the database; their cache misses it and reads it from there)."""
    session = SessionStore()
    now = timezone.now().timestamp()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[SIGNED_IN_AT] = now
    session[LAST_SEEN_AT] = now
    session[MFA_FLAG] = user.pk
    session.create()
    return session.session_key


def csrf(server: WebProcess, path: str, cookies: dict[str, str]) -> tuple[dict[str, str], str]:
    status, _headers, page, jar = server.request("GET", path, cookies=cookies)
    assert status == 200, page[:500]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    cookies = {**cookies, **{name: morsel.value for name, morsel in jar.items()}}
    return cookies, token


@pytest.fixture
def secretariat(settings):
    # The web processes check passwords with the portal's own hashers, not the tests' fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    user = UserFactory(role="secretariat")
    user.set_password(PASSWORD)
    user.save()
    return user


def test_an_agenda_published_through_one_web_process_is_read_at_once_through_the_other(
        two_web_processes, secretariat):
    web_a, web_b = two_web_processes
    meeting = MeetingFactory(title_en="Twelfth DICAS plenary")
    AgendaItemFactory(meeting=meeting, title_en="Regional sustainment hubs: the Yokosuka pilot")
    page = f"/meetings/{meeting.pk}/"

    # Both processes have rendered the page (frame and fragments kept in their memory).
    for server in (web_a, web_b):
        status, _headers, body, _jar = server.request("GET", page)
        assert status == 200 and "Twelfth DICAS plenary" in body
        assert "Yokosuka pilot" not in body

    cookies, token = csrf(web_a, page, {"sessionid": signed_in_session(secretariat)})
    status, headers, body, _jar = web_a.request("POST", f"/meetings/{meeting.pk}/agenda/publish/", cookies=cookies,
                                                form={"csrfmiddlewaretoken": token})
    assert status == 302, body[:500]

    status, _headers, body, _jar = web_b.request("GET", page)
    assert status == 200
    assert "Yokosuka pilot" in body


def test_signing_out_everywhere_through_one_web_process_is_refused_at_once_by_the_other(
        two_web_processes, secretariat):
    web_a, web_b = two_web_processes
    on_a = {"sessionid": signed_in_session(secretariat)}
    on_b = {"sessionid": signed_in_session(secretariat)}  # another device, served by the other machine

    status, _headers, body, _jar = web_b.request("GET", "/profile/", cookies=on_b)
    assert status == 200, body[:500]  # web B now keeps the account in its own memory
    status, _headers, _body, _jar = web_b.request("GET", "/people/", cookies=on_b)
    assert status == 200

    cookies, token = csrf(web_a, "/profile/sign-out-everywhere/", on_a)
    status, _headers, body, _jar = web_a.request("POST", "/profile/sign-out-everywhere/", cookies=cookies,
                                                 form={"csrfmiddlewaretoken": token, "password": PASSWORD})
    assert status == 302, body[:500]

    status, headers, _body, _jar = web_b.request("GET", "/people/", cookies=on_b)
    assert status == 302 and headers["Location"].startswith("/accounts/login/")
    status, headers, _body, _jar = web_b.request("GET", "/profile/", cookies=on_b)
    assert status == 302 and headers["Location"].startswith("/accounts/login/")


def test_a_paper_uploaded_through_one_web_process_is_downloaded_through_the_other(two_web_processes, secretariat):
    """Both processes use the same STORAGES["default"]: here a folder both see, as a shared
    filesystem (NFS) mounted at MEDIA_ROOT on each machine would be."""
    web_a, web_b = two_web_processes
    meeting = MeetingFactory(title_en="Twelfth DICAS plenary")
    paper = b"%PDF-1.4 sustainment hub concept " + os.urandom(50_000)
    upload_page = f"/meetings/{meeting.pk}/papers/upload/"
    cookies, token = csrf(web_a, upload_page, {"sessionid": signed_in_session(secretariat)})
    status, _headers, body, _jar = web_a.request(
        "POST", upload_page, cookies=cookies,
        form={"csrfmiddlewaretoken": token, "title": "Sustainment hub concept", "language": "en",
              "marking": Document.Marking.OFFICIAL_USE_ONLY},
        upload=("file", "hub-concept.pdf", paper))
    assert status == 302, body[:800]
    document = Document.objects.get(title="Sustainment hub concept")

    status, headers, content, _jar = web_b.request("GET", f"/papers/{document.pk}/download/",
                                                   cookies={"sessionid": signed_in_session(secretariat)}, binary=True)
    assert status == 200
    assert content == paper
