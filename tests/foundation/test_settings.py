"""Production settings fail fast and pass Django's deployment check."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from dicas_portal.celery import app as celery_app

PROJECT = Path(__file__).resolve().parents[2]


def run_django(args: list[str], **variables: str) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_DEBUG", "DJANGO_SETTINGS_MODULE"}
    }
    environment.update(variables)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT, env=environment,
        capture_output=True, text=True, timeout=120,
    )


def test_production_without_a_secret_key_fails_at_start_up_naming_it():
    result = run_django(["check"], DJANGO_DEBUG="false", ALLOWED_HOSTS="portal.example")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_without_allowed_hosts_fails_at_start_up_naming_it():
    result = run_django(["check"], DJANGO_DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50))
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_check_deploy_with_production_variables_prints_no_warning():
    result = run_django(
        ["check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="dicas-portal.example",
        DATABASE_URL=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dicas"),
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        EMAIL_URL="smtp+tls://mailer:secret@smtp.example:587",
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stderr


def test_the_embedded_default_runs_celery_tasks_in_process():
    result = run_django(
        ["shell", "--verbosity", "0", "-c", "from django.conf import settings; print(settings.CELERY_TASK_ALWAYS_EAGER, settings.DATABASES['default']['ENGINE'])"],
        DATABASE_URL="", CELERY_BROKER_URL="",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "django.db.backends.sqlite3"]


def test_tasks_are_acknowledged_late_and_given_back_when_their_worker_dies():
    conf = celery_app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert 0 < conf.task_soft_time_limit < conf.task_time_limit


def test_calendar_uids_and_message_ids_take_the_host_of_the_portal_unless_told_otherwise():
    show = "from django.conf import settings as s; print(s.PORTAL_UID_DOMAIN, s.PORTAL_MAIL_DOMAIN)"
    by_default = run_django(["shell", "--verbosity", "0", "-c", show],
                            PORTAL_BASE_URL="https://portal.dicas.example:8443/")
    told = run_django(["shell", "--verbosity", "0", "-c", show], PORTAL_BASE_URL="https://portal.dicas.example/",
                      PORTAL_UID_DOMAIN="calendar.dicas.example", PORTAL_MAIL_DOMAIN="mail.dicas.example")
    assert by_default.stdout.split() == ["portal.dicas.example", "portal.dicas.example"], by_default.stderr
    assert told.stdout.split() == ["calendar.dicas.example", "mail.dicas.example"], told.stderr


def test_a_trusted_proxy_that_is_not_an_address_fails_at_start_up_naming_it():
    result = run_django(["check"], TRUSTED_PROXIES="127.0.0.1, proxy.example")
    assert result.returncode != 0
    assert "TRUSTED_PROXIES: 'proxy.example' is not an IP address or network" in result.stderr


def test_the_worker_uses_the_redis_transport_that_survives_a_broker_restart():
    result = run_django(
        ["shell", "--verbosity", "0", "-c",
         "from dicas_portal.celery import app; print(app.connection_for_write().transport_cls)"],
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "dicas_portal.broker:Transport"


def test_a_sign_in_failure_limit_that_is_not_a_rate_fails_at_start_up_naming_it():
    result = run_django(["check"], PORTAL_SIGN_IN_FAILURES_PER_ADDRESS="sixty a minute")
    assert result.returncode != 0
    assert "PORTAL_SIGN_IN_FAILURES_PER_ADDRESS" in result.stderr
    assert run_django(["check"], PORTAL_SIGN_IN_FAILURES_PER_ADDRESS="100/m, 1000/h").returncode == 0
