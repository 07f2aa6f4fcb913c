import socket

from celery import shared_task

from . import services


@shared_task(name="notifications.record_worker_heartbeat")
def record_worker_heartbeat(hostname: str | None = None) -> int:
    """Stamps the worker's heartbeat; the health page reads it."""
    worker = hostname or record_worker_heartbeat.request.hostname or socket.gethostname()
    return services.record_worker_heartbeat(hostname=worker).pk


@shared_task(name="notifications.expand_dispatch")
def expand_dispatch(dispatch_id: int) -> None:
    """Turns a dispatch into one delivery per recipient and sends them (see the notifications issue)."""
    services.expand_and_send(dispatch_id=dispatch_id)
