import json

import pytest

from dicas_portal.celery import app as celery_app

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
def test_healthz_answers_200_when_database_and_broker_answer(client, broker, settings):
    broker(settings.CELERY_BROKER_URL)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content) == {"database": "ok", "broker": "ok", "status": "ok"}


def test_healthz_in_the_embedded_default_reports_tasks_in_process(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content)["broker"] == "in-process"


def test_healthz_refuses_other_methods(client):
    assert client.post("/healthz").status_code == 405
