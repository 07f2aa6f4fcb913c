"""A real Prometheus (Debian's) scrapes the portal on loopback and answers a query about
it; the alert rules in deploy/ are valid for its promtool."""

import json
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from .helpers import outbox_with
from .tools import free_port, program

PROJECT = Path(__file__).resolve().parents[2]
TOKEN = "prometheus-scrapes-with-this-token-42"
SCRAPE_DEADLINE_SECONDS = 90


def query(port: int, expression: str) -> list[dict]:
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expression})
    with urllib.request.urlopen(url, timeout=5) as answer:
        body = json.load(answer)
    assert body["status"] == "success", body
    return body["data"]["result"]


def first_answer(port: int, expression: str, process: subprocess.Popen, log: Path) -> list[dict]:
    deadline = time.monotonic() + SCRAPE_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"prometheus stopped:\n{log.read_text()}")
        try:
            result = query(port, expression)
        except OSError:
            result = []  # not listening yet
        if result:
            return result
        time.sleep(0.5)
    pytest.fail(f"prometheus had no {expression} after {SCRAPE_DEADLINE_SECONDS} s:\n{log.read_text()[-3000:]}")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_prometheus_scrapes_the_outbox_figures(live_server, settings, tmp_path):
    prometheus = program("prometheus", "prometheus")
    settings.METRICS_TOKEN = TOKEN
    outbox_with({"pending": 3, "failed": 2})
    (tmp_path / "token").write_text(TOKEN)
    target = urllib.parse.urlsplit(live_server.url).netloc
    (tmp_path / "prometheus.yml").write_text(f"""
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - {PROJECT / "deploy" / "prometheus-alerts.yml"}
scrape_configs:
  - job_name: dicas-portal
    metrics_path: /metrics
    authorization:
      type: Bearer
      credentials_file: {tmp_path / "token"}
    static_configs:
      - targets: ["{target}"]
""")
    port = free_port()
    log = tmp_path / "prometheus.log"
    with open(log, "w") as log_file:
        process = subprocess.Popen(
            [prometheus, f"--config.file={tmp_path / 'prometheus.yml'}", f"--storage.tsdb.path={tmp_path / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            stdout=log_file, stderr=subprocess.STDOUT,
        )
    try:
        pending = first_answer(port, 'dicas_outbox_deliveries{status="pending"}', process, log)
        assert pending[0]["metric"]["job"] == "dicas-portal"
        assert pending[0]["value"][1] == "3"
        assert query(port, 'dicas_outbox_deliveries{status="failed"}')[0]["value"][1] == "2"
        # The scrapes themselves are counted per view, as Prometheus sees it.
        requests = first_answer(port, 'dicas_http_requests_total{view="metrics",status="200"}', process, log)
        assert float(requests[0]["value"][1]) >= 1
        # No worker ever beat here: the rule for a silent worker is evaluated and pending.
        alerts = first_answer(port, 'ALERTS{alertname="DicasWorkerSilent"}', process, log)
        assert alerts[0]["metric"]["alertstate"] in ("pending", "firing")
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_the_alert_rules_pass_promtool():
    promtool = program("promtool", "prometheus")
    checked = subprocess.run([promtool, "check", "rules", str(PROJECT / "deploy" / "prometheus-alerts.yml")],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 7 rules found" in checked.stdout


def test_the_alert_rules_fire_when_they_should():
    """promtool's unit test of the rules: a silent worker, a stuck outbox, failing deliveries."""
    promtool = program("promtool", "prometheus")
    checked = subprocess.run([promtool, "test", "rules", str(PROJECT / "tests" / "operations" / "alerts_test.yml")],
                             capture_output=True, text=True, cwd=PROJECT / "tests" / "operations")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout
