"""Structured logs: one JSON object per line, with the request id, the person's id (never
their e-mail), the view and the duration; the request id in the response and in the
audit record; the worker's lines with the dispatch and delivery ids."""

import csv
import io
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail

from audit.models import AuditEvent
from dicas_portal.log_context import ContextFilter, JsonFormatter
from notifications import tasks
from notifications.models import Delivery
from tests.factories import MeetingFactory, UserFactory, confirm_email

from .helpers import outbox_with

pytestmark = pytest.mark.django_db
PROJECT = Path(__file__).resolve().parents[2]
PASSWORD = "correct-horse-battery"


@pytest.fixture
def json_lines():
    """What the root logger writes, through the production formatter, as parsed objects."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)

    def lines() -> list[dict]:
        text = stream.getvalue()
        return [json.loads(line) for line in text.splitlines()]  # fails on any line that is not JSON

    try:
        yield lines
    finally:
        root.removeHandler(handler)


def request_lines(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["logger"] == "dicas_portal.requests"]


def test_each_request_writes_one_line_with_its_id_person_view_and_duration(client, json_lines):
    person = confirm_email(UserFactory(role="industry"))
    meeting = MeetingFactory()
    client.force_login(person)
    response = client.get(f"/meetings/{meeting.pk}/")
    assert response.status_code == 200

    [line] = request_lines(json_lines())
    assert line["request_id"] == response["X-Request-ID"]
    assert len(line["request_id"]) == 32
    assert line["person_id"] == person.pk
    assert line["view"] == "forums:meeting_detail"
    assert line["method"] == "GET" and line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "INFO" and line["time"].endswith("+00:00")


def test_no_line_names_a_persons_e_mail_address(client, json_lines):
    person = confirm_email(UserFactory(role="industry"))
    client.post("/accounts/login/", {"login": person.email, "password": "wrong-password"})
    client.post("/accounts/login/", {"login": person.email, "password": PASSWORD})
    logging.getLogger("tests").warning("A library wrote %s into its message", person.email)
    lines = json_lines()
    assert len(request_lines(lines)) == 2
    written = "\n".join(json.dumps(line) for line in lines)
    assert person.email not in written
    assert "@" not in written.replace("[e-mail address]", "")
    assert lines[-1]["message"] == "A library wrote [e-mail address] into its message"


def test_the_request_id_goes_into_the_audit_record(client, json_lines):
    person = confirm_email(UserFactory(role="industry"))
    response = client.post("/accounts/login/", {"login": person.email, "password": PASSWORD})
    assert response.status_code == 302
    signed_in = AuditEvent.objects.get(action=AuditEvent.Action.SIGNED_IN, actor=person)
    assert signed_in.request_id == response["X-Request-ID"]
    assert request_lines(json_lines())[0]["request_id"] == signed_in.request_id


def test_a_trusted_proxys_request_id_is_kept(client, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    passed_on = "nginx-5f2c1e9a7b3d4c6e"
    response = client.get("/healthz", REMOTE_ADDR="10.0.0.2", HTTP_X_REQUEST_ID=passed_on)
    assert response["X-Request-ID"] == passed_on


@pytest.mark.parametrize("peer, header", [
    ("203.0.113.9", "chosen-by-the-client-123"),  # not a trusted proxy: anyone could write it
    ("10.0.0.2", "two words here"),
    ("10.0.0.2", "evil\r\nX-Injected: 1"),
    ("10.0.0.2", "x" * 200),
    ("10.0.0.2", "short"),
])
def test_any_other_request_id_is_replaced_by_one_of_ours(client, settings, peer, header):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    response = client.get("/healthz", REMOTE_ADDR=peer, HTTP_X_REQUEST_ID=header)
    assert response["X-Request-ID"] != header
    assert len(response["X-Request-ID"]) == 32 and response["X-Request-ID"].isalnum()


def test_the_workers_lines_carry_the_dispatch_and_delivery_ids(json_lines, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    dispatch = outbox_with({"pending": 2})
    tasks.send_deliveries(dispatch.pk)
    assert len(mail.outbox) == 2
    sent = [line for line in json_lines() if line["message"].endswith(" sent.")]
    deliveries = set(Delivery.objects.filter(dispatch=dispatch).values_list("pk", flat=True))
    assert {line["delivery_id"] for line in sent} == deliveries
    assert {line["dispatch_id"] for line in sent} == {dispatch.pk}
    for recipient in Delivery.objects.filter(dispatch=dispatch).values_list("recipient__email", flat=True):
        assert recipient not in json.dumps(json_lines())


def production_environment(**extra: str) -> dict[str, str]:
    # Every value production checks at start-up is a safe one (tests/production.py).
    from tests.production import production_environment as safe_production_environment

    return {**safe_production_environment(), "LOG_FORMAT": "", **extra}


@pytest.mark.parametrize("environment, json_expected", [
    ({"DJANGO_DEBUG": "false"}, True),
    ({"DJANGO_DEBUG": "true", "LOG_FORMAT": "json"}, True),
    ({"DJANGO_DEBUG": "true"}, False),
])
def test_production_logs_json_and_the_embedded_portal_text(environment, json_expected):
    env = production_environment(**environment)
    if not env["LOG_FORMAT"]:
        del env["LOG_FORMAT"]
    written = subprocess.run(
        [sys.executable, "-c", "import django, logging; django.setup(); "
                               "logging.getLogger('dicas').warning('the cache failed')"],
        cwd=PROJECT, env={**env, "DJANGO_SETTINGS_MODULE": "dicas_portal.settings"},
        capture_output=True, text=True, check=True,
    ).stderr.strip().splitlines()[-1]
    if json_expected:
        line = json.loads(written)
        assert line["message"] == "the cache failed" and line["level"] == "WARNING" and line["logger"] == "dicas"
    else:
        assert written.endswith("WARNING dicas: the cache failed")


def test_structured_extras_stay_structured_and_lose_their_addresses(json_lines):
    logging.getLogger("tests").info("queued", extra={"data": {"to": ["someone@ministry.example.jp"], "count": 2}})
    [line] = [line for line in json_lines() if line["message"] == "queued"]
    assert line["data"] == {"to": ["[e-mail address]"], "count": 2}


def test_the_audit_export_gives_each_events_request_id(client, cast):
    person = confirm_email(UserFactory(role="industry"))
    signed_in = client.post("/accounts/login/", {"login": person.email, "password": PASSWORD})["X-Request-ID"]
    client.force_login(cast.secretariat)
    response = client.get("/audit/export.csv?action=account.signed_in")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][-1] == "Request id"
    assert [row[-1] for row in rows[1:] if row[1] == person.email] == [signed_in]
