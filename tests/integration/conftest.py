import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings

PROJECT = Path(__file__).resolve().parents[2]
WORKER_READY_TIMEOUT = 60


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def clean_broker():
    """The broker's own Redis database, emptied so no earlier run's message is picked up."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.flushdb()
    yield settings.CELERY_BROKER_URL
    client.flushdb()


@pytest.fixture
def celery_worker_process(test_database_url, clean_broker, tmp_path):
    """A real `celery worker` process, seeing the test database and the test broker."""
    log = tmp_path / "worker.log"
    environment = {
        **os.environ,
        "DATABASE_URL": test_database_url,
        "CELERY_BROKER_URL": clean_broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CONN_MAX_AGE": "0",
    }
    with open(log, "w") as log_file:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "dicas_portal", "worker", "--pool=solo",
             "--without-gossip", "--without-mingle", "--loglevel=INFO", f"--hostname=test-{os.getpid()}@%h"],
            cwd=PROJECT, env=environment, stdout=log_file, stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + WORKER_READY_TIMEOUT
    while "ready." not in log.read_text():
        if worker.poll() is not None or time.monotonic() > deadline:
            worker.kill()
            pytest.fail(f"the celery worker did not start:\n{log.read_text()}")
        time.sleep(0.2)
    yield worker
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
