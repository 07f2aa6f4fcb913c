"""Each worker process's heartbeat: how the health check knows a worker runs, and how the
outbox sweep knows whose claimed deliveries to take back without waiting for the lease.

A bootstep of the worker (registered in dicas_portal/celery.py) names the process when the
worker starts, before the pool forks (so the pool's processes claim under the same name),
and a thread of the main process upserts its WorkerHeartbeat row every
NOTIFICATIONS_WORKER_HEARTBEAT_SECONDS while the consumer is connected to the broker.
The name is new at every start (node name, process id, random), so a worker restarted
under the same node name does not vouch for the claims of the one that died. A thread,
not the worker's timer: the solo pool blocks the timer while a batch is sent, and a
worker that is slow is alive (the lease is for it).
"""

import logging
import os
import secrets
import threading

from celery import bootsteps
from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)

# Set once per worker start by the bootstep; inherited by the pool's forked processes.
_worker_name = ""
# While the consumer is not connected, look again this often (seconds) so the first beat
# after a connection comes soon.
WAIT_FOR_CONNECTION_SECONDS = 0.2


def current_worker() -> str:
    """The name the running worker claims under; empty outside a worker (in-process tasks)."""
    return _worker_name


class Heartbeat(bootsteps.StartStopStep):
    label = "Outbox heartbeat"

    def __init__(self, worker, **kwargs):
        global _worker_name
        _worker_name = f"{worker.hostname}/{os.getpid()}-{secrets.token_hex(3)}"
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self, worker) -> None:
        self.thread = threading.Thread(target=self._run, args=(worker,), name="outbox-heartbeat", daemon=True)
        self.thread.start()

    def stop(self, worker) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=5)

    def _run(self, worker) -> None:
        from .services import record_worker_heartbeat  # Django's apps are ready once the worker runs

        interval = settings.NOTIFICATIONS_WORKER_HEARTBEAT_SECONDS
        try:
            while not self.stopping.is_set():
                if not _consumer_connected(worker):
                    self.stopping.wait(min(interval, WAIT_FOR_CONNECTION_SECONDS))
                    continue
                try:
                    record_worker_heartbeat(hostname=_worker_name)
                except Exception:  # the database may be away for a while; try again next time
                    logger.warning("Could not record the worker's heartbeat.", exc_info=True)
                    connection.close()
                self.stopping.wait(interval)
        finally:
            connection.close()


def _consumer_connected(worker) -> bool:
    # Read without I/O from another thread: celery sets the consumer's connection to None
    # while it reconnects after losing the broker.
    consumer = getattr(worker, "consumer", None)
    return consumer is not None and getattr(consumer, "connection", None) is not None
