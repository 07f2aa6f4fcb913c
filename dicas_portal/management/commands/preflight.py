"""`manage.py preflight`: before a web process starts (deploy/dicas-web.service runs it as
ExecStartPre), can it reach everything it needs? The database (and is every migration
applied), the broker, the mail server (an SMTP connection, with TLS and the login when
configured) and the papers' storage (a probe file written, read back and deleted).

Prints one line per check; exits non-zero naming each that failed, so systemd's journal
says what to fix rather than a stack trace from the first request.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from dicas_portal.health import broker_state

PROBE_FOLDER = "preflight"


def check_database() -> str:
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    executor = MigrationExecutor(connection)
    unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if unapplied:
        raise RuntimeError(f"{len(unapplied)} migrations not applied (manage.py migrate), first {unapplied[0][0]}")
    return f"ok ({connection.vendor})"


def check_broker() -> str:
    state = broker_state()
    if state.startswith("error"):
        raise RuntimeError(f"{settings.CELERY_BROKER_URL.split('@')[-1]} does not answer ({state})")
    return state


def check_email() -> str:
    backend = get_connection(fail_silently=False)
    if not isinstance(backend, SmtpBackend):
        return f"not SMTP ({settings.EMAIL_BACKEND}): nothing to connect to"
    backend.timeout = min(backend.timeout or 10, 10)
    backend.open()  # connects, STARTTLS or TLS, and logs in, as sending does
    backend.close()
    return f"ok ({backend.host}:{backend.port})"


def check_storage() -> str:
    content = secrets.token_bytes(32)
    name = default_storage.save(f"{PROBE_FOLDER}/probe-{secrets.token_hex(8)}.bin", ContentFile(content))
    try:
        with default_storage.open(name, "rb") as probe:
            if probe.read() != content:
                raise RuntimeError("the probe file read back differs from what was written")
    finally:
        default_storage.delete(name)
    if default_storage.exists(name):
        raise RuntimeError("the probe file could not be deleted")
    return f"ok ({type(getattr(default_storage, '_wrapped', default_storage)).__name__})"


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "broker": check_broker,
    "e-mail": check_email,
    "storage": check_storage,
}


class Command(BaseCommand):
    help = "Checks the database, the broker, the mail server and the storage before the portal starts."
    requires_system_checks = []
    requires_migrations_checks = False

    def handle(self, *args, **options) -> None:
        failed = []
        for name, check in CHECKS.items():
            try:
                outcome = check()
            except Exception as error:  # noqa: BLE001 — every failure is reported, by name
                failed.append(name)
                self.stderr.write(f"{name}: FAILED: {type(error).__name__}: {error}")
            else:
                self.stdout.write(f"{name}: {outcome}")
        if failed:
            raise CommandError(f"preflight failed: {', '.join(failed)}")
        self.stdout.write("preflight: everything answers")
