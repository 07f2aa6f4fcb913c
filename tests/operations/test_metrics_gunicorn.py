"""Behind gunicorn with several worker processes, as deploy/dicas-web.service starts it,
/metrics adds up the requests every process answered, whichever process answers the
scrape; and everything gunicorn and the portal write is one JSON object per line."""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from .tools import free_port

PROJECT = Path(__file__).resolve().parents[2]
TOKEN = "gunicorn-metrics-token-0123456789"
pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def scrape(base: str) -> float:
    request = urllib.request.Request(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        text = answer.read().decode()
    return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
               if sample.name == "dicas_http_requests_total" and sample.labels["view"] == "set_time_zone")


def test_the_counts_of_every_worker_process_are_added_up(test_database_url, tmp_path):
    shared = tmp_path / "metrics"
    shared.mkdir()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "gunicorn.log"
    environment = {**os.environ, "DATABASE_URL": test_database_url, "METRICS_TOKEN": TOKEN,
                   "PROMETHEUS_MULTIPROC_DIR": str(shared), "CONN_MAX_AGE": "0", "LOG_FORMAT": "json"}
    with open(log, "w") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:dicas_portal.gunicorn_conf", "dicas_portal.wsgi",
             "--workers", "2", "--bind", f"127.0.0.1:{port}"],
            cwd=PROJECT, env=environment, stdout=log_file, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status_of(f"{base}/preferences/time-zone/")
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        sent = 1
        # Until both processes have answered some (each keeps a file of its own counts).
        while len(list(shared.glob("counter_*.db"))) < 2 and sent < 400:
            assert status_of(f"{base}/preferences/time-zone/") == 405
            sent += 1
        assert len(list(shared.glob("counter_*.db"))) == 2, "only one gunicorn worker answered"
        for _ in range(4):  # whichever process answers the scrape, the sum is the same
            assert scrape(base) == sent
    finally:
        server.terminate()
        server.wait(timeout=30)
    lines = [json.loads(line) for line in log.read_text().splitlines()]  # fails on a line that is not JSON
    assert any(line["logger"] == "gunicorn.error" and "Booting worker" in line["message"] for line in lines)
    requests = [line for line in lines if line["logger"] == "dicas_portal.requests"]
    assert len([line for line in requests if line["view"] == "set_time_zone"]) == sent
    assert all(line["request_id"] and line["duration_ms"] >= 0 for line in requests)
