import json

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from dicas_portal.celery import app as celery_app
from notifications.services import record_worker_heartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker(monkeypatch):
    """Points the health check at a broker URL, as a production process would have."""
    previous = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)

    def use(url: str) -> None:
        # Celery reads CELERY_BROKER_URL from the environment before its own setting.
        monkeypatch.setenv("CELERY_BROKER_URL", url)
        celery_app.conf.broker_url = url
        celery_app.conf.task_always_eager = False

    yield use
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = previous


def test_healthz_answers_503_when_the_broker_is_unreachable(client, broker):
    broker("redis://127.0.0.1:1/0")  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    report = json.loads(response.content)
    assert report["database"] == "ok"
    assert report["broker"].startswith("error")
    assert report["status"] == "unavailable"


@pytest.mark.redis
def test_healthz_answers_200_when_database_and_broker_answer_and_a_worker_beats(client, broker, settings):
    broker(settings.CELERY_BROKER_URL)
    record_worker_heartbeat(hostname="celery@portal-1/4242-a1b2c3")
    response = client.get("/healthz")
    assert response.status_code == 200
    report = json.loads(response.content)
    assert report["worker_heartbeat_age_seconds"] < 60
    del report["worker_heartbeat_age_seconds"]
    assert report == {"database": "ok", "broker": "ok", "worker": "ok", "status": "ok"}


@pytest.mark.redis
def test_healthz_answers_503_before_any_worker_ever_beat(client, broker, settings):
    broker(settings.CELERY_BROKER_URL)
    response = client.get("/healthz")
    assert response.status_code == 503
    report = json.loads(response.content)
    assert report["broker"] == "ok"
    assert report["worker"] == "error: no worker has ever sent a heartbeat"
    assert "worker_heartbeat_age_seconds" not in report


@pytest.mark.redis
def test_healthz_answers_503_once_the_newest_heartbeat_is_older_than_the_setting(client, broker, settings):
    broker(settings.CELERY_BROKER_URL)
    settings.HEALTH_WORKER_MAX_AGE_SECONDS = 120
    beat_at = timezone.now()
    with time_machine.travel(beat_at, tick=False):
        record_worker_heartbeat(hostname="celery@portal-1/4242-a1b2c3")
    with time_machine.travel(beat_at + timedelta(seconds=119), tick=False):
        assert client.get("/healthz").status_code == 200
    with time_machine.travel(beat_at + timedelta(seconds=121), tick=False):
        late = client.get("/healthz")
    assert late.status_code == 503
    report = json.loads(late.content)
    assert report["worker"] == "error: the newest heartbeat is older than 120 s"
    assert report["worker_heartbeat_age_seconds"] == 121.0


def test_healthz_in_the_embedded_default_reports_tasks_in_process(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    report = json.loads(response.content)
    assert report["broker"] == report["worker"] == "in-process"


def test_healthz_refuses_other_methods(client):
    assert client.post("/healthz").status_code == 405
