"""`make run`'s path: a fresh SQLite file, migrate, demo data, a real server answering."""

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import free_port

pytestmark = pytest.mark.slow
PROJECT = Path(__file__).resolve().parents[2]


def test_a_fresh_embedded_portal_serves_the_home_page_with_the_demo_forum(tmp_path):
    environment = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_DEBUG"}},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
    }

    def manage(*args):
        subprocess.run([sys.executable, "manage.py", *args], cwd=PROJECT, env=environment,
                       check=True, capture_output=True, timeout=300)

    manage("migrate", "--noinput")
    manage("load_demo")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=PROJECT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        page = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"Accept-Language": "ja"})
                page = urllib.request.urlopen(request, timeout=5).read().decode()
                break
            except OSError:
                time.sleep(0.3)
        assert "日米防衛産業協力・取得・維持整備定期協議" in page
        assert "艦船の補修・整備" in page
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as health:
            assert health.status == 200
    finally:
        server.terminate()
        server.wait(timeout=20)
