"""Thin Celery tasks: they take ids, call a service, and queue what comes next.

Every task may run twice or not at all (a killed worker, a lost message): the services
make a second run harmless and the sweep makes a missing one happen later.
"""

import socket

from celery import shared_task

from dicas_portal import log_context
from dicas_portal.single_run import one_run_at_a_time

from . import digests, services


@shared_task(name="notifications.record_worker_heartbeat")
def record_worker_heartbeat(hostname: str | None = None) -> int:
    """Stamps the worker's heartbeat; the health page reads it."""
    worker = hostname or record_worker_heartbeat.request.hostname or socket.gethostname()
    return services.record_worker_heartbeat(hostname=worker).pk


@shared_task(name="notifications.expand_dispatch")
def expand_dispatch(dispatch_id: int) -> None:
    """Turns a dispatch into one delivery per recipient, queueing a batch chain for each
    chunk as it is committed: a chain ends when it finds nothing left to claim, so one
    started early may end before the later chunks are in. A dispatch still held comes
    back when its hold is over."""
    with log_context.bound(log_context.dispatch_id, dispatch_id):
        _expand_dispatch(dispatch_id)


def _expand_dispatch(dispatch_id: int) -> None:
    held = services.seconds_held_by_id(dispatch_id)
    if held > 0:
        if not expand_dispatch.app.conf.task_always_eager:  # in-process, the sweep does it later
            expand_dispatch.apply_async((dispatch_id,), countdown=held)
        return
    services.expand_dispatch(dispatch_id=dispatch_id, on_chunk=lambda: send_deliveries.delay(dispatch_id))


@shared_task(name="notifications.send_deliveries")
def send_deliveries(dispatch_id: int) -> None:
    """Sends one batch of the dispatch's deliveries, then queues the next batch: at once
    while some are due, or when the earliest retry is due."""
    with log_context.bound(log_context.dispatch_id, dispatch_id):
        result = services.send_batch(dispatch_id=dispatch_id)
    if result.next_run_in is None:
        return
    if result.next_run_in > 0 and send_deliveries.app.conf.task_always_eager:
        # In-process a countdown would run at once and spin; the sweep retries later.
        return
    send_deliveries.apply_async((dispatch_id,), countdown=result.next_run_in)


@shared_task(name="notifications.sweep_outbox")
@one_run_at_a_time("notifications.sweep_outbox")
def sweep_outbox() -> None:
    """Every 30 seconds (beat): queues what a dead worker or an unreachable broker left behind."""
    report = services.sweep_outbox()
    for dispatch_id in report.unexpanded:
        expand_dispatch.delay(dispatch_id)
    for dispatch_id in report.unsent:
        send_deliveries.delay(dispatch_id)


@shared_task(name="notifications.record_meeting_reminders")
@one_run_at_a_time("notifications.record_meeting_reminders", skipped=0)
def record_meeting_reminders() -> int:
    """Every five minutes (beat): one reminder per meeting starting within 24 hours."""
    return len(services.record_meeting_reminders())


@shared_task(name="notifications.record_digests")
@one_run_at_a_time("notifications.record_digests", skipped=0)
def record_digests() -> int:
    """Every quarter of an hour (beat): the daily digest of each person whose 07:00 has come."""
    return len(digests.record_digests())
