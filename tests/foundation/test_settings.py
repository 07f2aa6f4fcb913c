"""Production settings fail fast and pass Django's deployment check."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from dicas_portal.celery import app as celery_app
from tests.production import production_environment

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


def run_production(args: list[str], **variables: str) -> subprocess.CompletedProcess:
    """A production portal with every safe value, except those the test gives."""
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT, env=production_environment(**variables),
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
    result = run_production(
        ["check", "--deploy", "--fail-level", "WARNING"],
        DATABASE_URL=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dicas"),
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


DEVELOPMENT_KEY = "dev-only-insecure-key-not-for-production"


@pytest.mark.parametrize(
    "variable, value",
    [
        ("SECRET_KEY", DEVELOPMENT_KEY),
        ("SECRET_KEY", "django-insecure-" + "q7Rf2LmZ9xVt4NcB8kWp3HsJ6dYg1UeA" * 2),  # Django's development prefix
        ("SECRET_KEY", "Zq8vN2xLp4Rt7WmY3kHs"),  # short
        ("SECRET_KEY", "x" * 64),  # long, but one character
        ("SECRET_KEY", "abcd" * 20),  # long, but four characters over and over
        ("DEBUG", "true"),
        ("CELERY_BROKER_URL", ""),
        ("CELERY_BROKER_URL", "memory://"),
        ("EMAIL_URL", ""),
        ("EMAIL_URL", "consolemail://"),
        ("PORTAL_BASE_URL", ""),
        ("PORTAL_BASE_URL", "http://127.0.0.1:8000"),
        ("PORTAL_BASE_URL", "http://localhost:8000"),
        ("PORTAL_BASE_URL", "https://[::1]/"),
        ("MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", "true"),
    ],
)
def test_production_refuses_to_start_with_an_unsafe_value_naming_the_variable(variable, value):
    result = run_production(["check"], **{variable: value})
    assert result.returncode != 0, f"production started with {variable}={value!r}"
    assert variable in result.stderr


def test_every_unsafe_value_is_named_at_once():
    result = run_production(["check"], SECRET_KEY=DEVELOPMENT_KEY, EMAIL_URL="consolemail://", CELERY_BROKER_URL="")
    assert result.returncode != 0
    for variable in ("SECRET_KEY", "EMAIL_URL", "CELERY_BROKER_URL"):
        assert variable in result.stderr


def test_production_with_every_safe_value_starts():
    result = run_production(["check"])
    assert result.returncode == 0, result.stderr


def test_make_run_says_it_is_a_development_server():
    result = subprocess.run(["make", "-n", "run"], cwd=PROJECT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "development server" in result.stdout
    assert "never" in result.stdout.lower() and "production" in result.stdout.lower()


def test_production_refuses_an_identity_provider_over_plain_http():
    providers = '[{"id": "agency", "name": "Agency", "issuer": "http://127.0.0.1:9000", "client_id": "c", "secret": "s"}]'
    result = run_production(["check"], PORTAL_OIDC_PROVIDERS=providers)
    assert result.returncode != 0
    assert "PORTAL_OIDC_PROVIDERS" in result.stderr


@pytest.mark.parametrize("value", ["not json", '{"id": "x"}', '[{"id": "agency"}]',
                                   '[{"id": "Bad Id", "name": "n", "issuer": "https://i.example", "client_id": "c", "secret": "s"}]'])
def test_a_malformed_identity_provider_list_fails_at_start_up_naming_it(value):
    result = run_django(["check"], PORTAL_OIDC_PROVIDERS=value)
    assert result.returncode != 0
    assert "PORTAL_OIDC_PROVIDERS" in result.stderr


def test_identity_providers_over_https_start_in_production():
    providers = ('[{"id": "agency", "name": "Agency", "issuer": "https://login.agency.example", "client_id": "c", '
                 '"secret": "s", "mfa_acr_values": ["http://idmanagement.gov/ns/assurance/aal/2"]}]')
    result = run_production(["check", "--deploy", "--fail-level", "WARNING"], PORTAL_OIDC_PROVIDERS=providers)
    assert result.returncode == 0, result.stderr
