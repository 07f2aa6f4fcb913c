"""The secretariat's outbox page says when no worker runs, in a real browser, at a phone's
width and a desk's, in English and Japanese (screenshots in test-artifacts/)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dicas_portal.celery import app as celery_app
from notifications.models import WorkerHeartbeat

from .test_browse import sign_in, switch_language

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SECRETARIAT = "secretariat@dicas.example"


@pytest.fixture
def with_a_broker():
    """As in production: the page watches a worker (none runs here)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = previous


def test_the_outbox_warns_the_secretariat_when_the_worker_stopped(page, live_server, demo_data, screenshot,
                                                                 with_a_broker):
    WorkerHeartbeat.objects.create(hostname="dicas-worker@portal-1/4242-a1b2c3",
                                   seen_at=timezone.now() - timedelta(minutes=7))
    sign_in(page, live_server.url, SECRETARIAT)
    page.goto(f"{live_server.url}/notifications/dispatches/")
    if page.locator("html").get_attribute("lang") != "en":  # the demo secretariat reads Japanese
        switch_language(page, "en")
    alert = page.get_by_role("alert").filter(has_text="No notification worker is running")
    expect(alert).to_be_visible()
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"outbox-worker-stopped-en-{width}")
    switch_language(page, "ja")
    expect(page.get_by_role("alert").filter(has_text="通知ワーカーが動いていません")).to_be_visible()
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"outbox-worker-stopped-ja-{width}")
    box = page.get_by_role("alert").first.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375, "the warning does not fit a phone's width"
