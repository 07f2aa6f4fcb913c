"""/metrics: what Prometheus reads, who may read it, and that it costs the same few
queries whatever the size of the outbox."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from forums.models import Meeting, Registration
from notifications.models import WorkerHeartbeat
from tests.factories import MeetingFactory, RegistrationFactory

from .helpers import outbox_with

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
TOKEN = "metrics-token-for-the-tests-0123456789"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client, token: str = TOKEN) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_without_a_token_in_the_settings_the_endpoint_does_not_exist(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_a_wrong_or_missing_token_is_refused(client, token):
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {token}").status_code == 403


def test_a_signed_in_secretariat_without_the_token_is_refused_too(client, token, cast):
    client.force_login(cast.secretariat)
    assert client.get("/metrics").status_code == 403


def test_the_outbox_figures_count_each_status(client, token):
    outbox_with({"pending": 3, "sending": 2, "failed": 1, "held": 4, "sent": 5}, pending_due_minutes_ago=12)
    samples = scrape(client)
    for status, expected in {"pending": 3, "sending": 2, "failed": 1, "held": 4}.items():
        assert samples[("dicas_outbox_deliveries", (("status", status),))] == expected
    assert ("dicas_outbox_deliveries", (("status", "sent"),)) not in samples
    # The pending ones were due 12 minutes ago: the alert over 10 minutes would fire.
    assert 12 * 60 <= samples[("dicas_outbox_oldest_pending_age_seconds", ())] < 13 * 60
    assert samples[("dicas_database_up", ())] == 1


def test_a_pending_delivery_not_yet_due_is_not_waiting(client, token):
    outbox_with({"pending": 1}, pending_due_minutes_ago=-30)  # a retry in half an hour
    assert scrape(client)[("dicas_outbox_oldest_pending_age_seconds", ())] == 0


def test_registrations_per_status_of_open_meetings_only(client, token):
    meeting = MeetingFactory()
    for status, count in {"confirmed": 3, "waitlisted": 2, "pending": 1}.items():
        for _ in range(count):
            RegistrationFactory(meeting=meeting, status=status)
    past = MeetingFactory(starts_at=timezone.now() - timedelta(days=3), ends_at=timezone.now() - timedelta(days=2))
    RegistrationFactory(meeting=past, status=Registration.Status.CONFIRMED)
    cancelled = MeetingFactory(status=Meeting.Status.CANCELLED)
    RegistrationFactory(meeting=cancelled, status=Registration.Status.CONFIRMED)

    samples = scrape(client)
    registrations = {labels: value for (name, labels), value in samples.items() if name == "dicas_registrations"}
    assert registrations == {
        (("meeting", str(meeting.pk)), ("status", "confirmed")): 3,
        (("meeting", str(meeting.pk)), ("status", "pending")): 1,
        (("meeting", str(meeting.pk)), ("status", "waitlisted")): 2,
    }


def test_the_worker_heartbeat_age_is_given_once_a_worker_beat(client, token):
    assert ("dicas_worker_heartbeat_age_seconds", ()) not in scrape(client)
    WorkerHeartbeat.objects.create(hostname="worker@a/1", seen_at=timezone.now() - timedelta(minutes=3))
    WorkerHeartbeat.objects.create(hostname="worker@b/2", seen_at=timezone.now() - timedelta(minutes=5))
    age = scrape(client)[("dicas_worker_heartbeat_age_seconds", ())]
    assert 180 <= age < 240  # the newest counts: one worker alive is enough


def test_requests_are_counted_per_view_name_not_per_path(client, token):
    first, second = MeetingFactory(), MeetingFactory()
    before = scrape(client)
    client.get(f"/meetings/{first.pk}/")
    client.get(f"/meetings/{second.pk}/")
    samples = scrape(client)
    names = {dict(labels).get("view") for (name, labels) in samples if name == "dicas_http_requests_total"}
    assert not any(str(first.pk) in (name or "") for name in names)
    key = ("dicas_http_requests_total", (("method", "GET"), ("status", "200"), ("view", "forums:meeting_detail")))
    assert samples[key] - before.get(key, 0) == 2
    count_key = ("dicas_http_request_duration_seconds_count", (("view", "forums:meeting_detail"),))
    assert samples[count_key] - before.get(count_key, 0) == 2


def test_the_fragment_cache_hits_and_misses_are_counted(client, token):
    MeetingFactory()
    before = scrape(client)
    client.get("/")
    client.get("/")
    after = scrape(client)

    def grew(result: str) -> float:
        key = ("dicas_fragment_cache_lookups_total", (("result", result),))
        return after.get(key, 0) - before.get(key, 0)

    assert grew("miss") >= 1  # the first visit renders
    assert grew("hit") >= 1  # the second finds them


def test_the_scrape_costs_the_same_queries_for_5_rows_or_500(client, token):
    outbox_with({"pending": 5})
    with CaptureQueriesContext(connection) as small:
        scrape(client)
    outbox_with({"pending": 40, "failed": 40, "held": 40, "sending": 40, "sent": 40})
    meeting = MeetingFactory()
    for _ in range(20):
        RegistrationFactory(meeting=meeting)
    with CaptureQueriesContext(connection) as large:
        scrape(client)
    assert len(large.captured_queries) == len(small.captured_queries) <= 6
