"""At most one run of a periodic task at a time, across every worker machine.

Two `celery beat` started by mistake queue each periodic task twice at the same moment.
The tasks are written to be harmless when run twice at once (tests/operations/
test_double_beat.py shows it), but the second run would still do the work again (a sweep
queueing every batch a second time). So each periodic run takes a PostgreSQL advisory lock
named after the task, without waiting: a run that finds it taken does nothing, the one
holding it does the work. The lock belongs to the database session, so a worker killed
mid-run releases it with its connection. On SQLite (the embedded portal, one process) every
run goes ahead.
"""

import functools
import hashlib
import logging
from collections.abc import Callable
from typing import TypeVar

from django.db import connection

logger = logging.getLogger(__name__)
Result = TypeVar("Result")


def lock_id(name: str) -> int:
    """A stable signed 64-bit number for `name` (pg_advisory_lock takes a bigint)."""
    return int.from_bytes(hashlib.sha256(f"dicas-portal periodic {name}".encode()).digest()[:8], "big", signed=True)


def one_run_at_a_time(name: str, *, skipped: object = None) -> Callable[[Callable[..., Result]], Callable[..., Result]]:
    """Runs the decorated function only while no other run of `name` is under way anywhere;
    otherwise returns `skipped` at once."""

    def decorate(function: Callable[..., Result]) -> Callable[..., Result]:
        @functools.wraps(function)
        def run(*args, **kwargs):
            if connection.vendor != "postgresql":
                return function(*args, **kwargs)
            key = lock_id(name)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
                (taken,) = cursor.fetchone()
            if not taken:
                logger.info("%s: another run is under way (a second beat?); this one does nothing.", name)
                return skipped
            try:
                return function(*args, **kwargs)
            finally:
                try:
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
                except Exception:  # noqa: BLE001 — a lost connection released the lock already
                    logger.warning("%s: could not release its lock; the connection's end does.", name,
                                   exc_info=True)

        return run

    return decorate
