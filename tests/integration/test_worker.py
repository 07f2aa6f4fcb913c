"""A real worker takes a task from Redis and its effect is seen in PostgreSQL."""

import time

import pytest

from notifications.models import WorkerHeartbeat
from notifications.tasks import record_worker_heartbeat

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def wait_for(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_worker_takes_a_task_from_redis_and_writes_to_postgresql(celery_worker_process):
    assert not WorkerHeartbeat.objects.filter(hostname="probe-from-test").exists()
    record_worker_heartbeat.delay("probe-from-test")
    assert wait_for(lambda: WorkerHeartbeat.objects.filter(hostname="probe-from-test").exists()), (
        "the worker did not record the heartbeat within 30 s"
    )


def test_a_task_sent_while_no_worker_runs_waits_in_redis_and_is_done_once_one_starts(
    clean_broker, request
):
    record_worker_heartbeat.delay("queued-before-worker")
    time.sleep(0.5)
    assert not WorkerHeartbeat.objects.filter(hostname="queued-before-worker").exists()
    request.getfixturevalue("celery_worker_process")
    assert wait_for(lambda: WorkerHeartbeat.objects.filter(hostname="queued-before-worker").exists())
