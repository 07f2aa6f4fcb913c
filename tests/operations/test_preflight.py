"""`manage.py preflight` (deploy/dicas-web.service's ExecStartPre): exit 0 when the
database, the broker, the mail server and the storage all answer; otherwise non-zero,
naming each that does not."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.notifications.sink import SmtpSink

from .tools import free_port

PROJECT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]


def preflight(**environment: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", "preflight"], cwd=PROJECT,
                          env={**os.environ, "CELERY_TASK_ALWAYS_EAGER": "false", **environment},
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def working(test_database_url, tmp_path) -> dict[str, str]:
    return {"DATABASE_URL": test_database_url, "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "MEDIA_ROOT": str(tmp_path / "media")}


def test_everything_answers(working, tmp_path):
    with SmtpSink() as sink:
        checked = preflight(**working, EMAIL_URL=sink.url)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    lines = checked.stdout.splitlines()
    assert "database: ok (postgresql)" in lines
    assert "broker: ok" in lines
    assert f"e-mail: ok (127.0.0.1:{sink.port})" in lines
    assert "storage: ok (FileSystemStorage)" in lines
    assert sink.messages == []  # connected (the line above), sent nothing
    assert list((tmp_path / "media" / "preflight").iterdir()) == []  # the probe is gone


def test_it_names_the_broker_the_mail_server_and_the_storage_that_fail(working, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    checked = preflight(**{**working, "CELERY_BROKER_URL": f"redis://127.0.0.1:{free_port()}/0",
                           "EMAIL_URL": f"smtp://127.0.0.1:{free_port()}", "MEDIA_ROOT": str(tmp_path / "a-file" / "media")})
    assert checked.returncode != 0
    assert "preflight failed: broker, e-mail, storage" in checked.stderr
    assert "database: ok (postgresql)" in checked.stdout


def test_it_names_the_database_that_does_not_answer(working):
    checked = preflight(**{**working, "DATABASE_URL": f"postgres://postgres@127.0.0.1:{free_port()}/nowhere"})
    assert checked.returncode != 0
    assert "preflight failed: database" in checked.stderr
    assert "database: FAILED: OperationalError" in checked.stderr


def test_it_refuses_a_database_with_migrations_not_applied(tmp_path):
    database = f"preflight_empty_{os.getpid()}"
    base = settings.DATABASES["default"]
    url = f"postgres://{base['USER']}@{base['HOST'] or '127.0.0.1'}:{base['PORT'] or 5432}"
    subprocess.run(["createdb", "-h", base["HOST"] or "127.0.0.1", "-U", base["USER"], database], check=True)
    try:
        checked = preflight(DATABASE_URL=f"{url}/{database}", CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
                            MEDIA_ROOT=str(tmp_path))
    finally:
        subprocess.run(["dropdb", "-h", base["HOST"] or "127.0.0.1", "-U", base["USER"], database], check=True)
    assert checked.returncode != 0
    assert "migrations not applied (manage.py migrate)" in checked.stderr
    assert "preflight failed: database" in checked.stderr
