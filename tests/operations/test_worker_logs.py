"""The real `celery worker` writes JSON lines (LOG_FORMAT=json, as in production) through
the portal's handler, each line about a delivery carrying its dispatch and delivery ids,
and no recipient's e-mail address."""

import json

import pytest

from notifications import tasks
from notifications.models import Delivery
from tests.notifications.processes import WorkerProcess, wait_for
from tests.notifications.sink import SmtpSink

from .helpers import outbox_with

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_workers_json_lines_name_the_dispatch_and_each_delivery(test_database_url, tmp_path, settings):
    dispatch = outbox_with({"pending": 3})
    deliveries = set(Delivery.objects.filter(dispatch=dispatch).values_list("pk", flat=True))
    addresses = set(Delivery.objects.filter(dispatch=dispatch).values_list("recipient__email", flat=True))
    with SmtpSink() as sink:
        worker = WorkerProcess(environment={
            "DATABASE_URL": test_database_url, "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "EMAIL_URL": sink.url, "LOG_FORMAT": "json",
        }, log=tmp_path / "worker").start()
        try:
            tasks.send_deliveries.delay(dispatch.pk)
            assert wait_for(lambda: len(sink.messages) == 3, timeout=60), worker.logs()
            assert wait_for(lambda: worker.logs().count(" sent.\"") >= 3, timeout=30), worker.logs()
        finally:
            worker.stop()
    logged = worker.logs()
    lines = [json.loads(line) for line in logged.splitlines() if line.startswith("{")]
    # Everything the worker logs goes through the handler; only Celery's banner is printed.
    assert any(line["message"].endswith("ready.") for line in lines)
    sent = [line for line in lines if line["message"].startswith("Delivery ") and line["message"].endswith(" sent.")]
    assert {line["delivery_id"] for line in sent} == deliveries
    assert {line["dispatch_id"] for line in sent} == {dispatch.pk}
    for address in addresses:
        assert address not in logged
