"""Processes the notification fault tests start, kill and restart: Celery workers, and a
Redis server of their own (so that stopping it does not touch the shared one)."""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import redis

from dicas_portal.celery import app as celery_app

PROJECT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 60


class WorkerProcess:
    """One `celery worker`. The solo pool by default: the process that does the work is the
    one we kill. `pool="prefork"` runs as production does (tasks in child processes)."""

    def __init__(self, *, environment: dict[str, str], log: Path, name: str = "notifications",
                 pool: str = "solo", concurrency: int = 1, same_name: bool = False):
        self.environment = {**os.environ, "CELERY_TASK_ALWAYS_EAGER": "false", "CONN_MAX_AGE": "0", **environment}
        self.log = log
        self.name = name
        self.pool = pool
        self.concurrency = concurrency
        # A supervisor restarts a worker under the same node name (systemd does).
        self.same_name = same_name
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> "WorkerProcess":
        self.starts += 1
        log = self.log.with_suffix(f".{self.starts}.log")
        node = f"{self.name}-{os.getpid()}" if self.same_name else f"{self.name}-{os.getpid()}-{self.starts}"
        with open(log, "w") as log_file:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "dicas_portal", "worker", f"--pool={self.pool}",
                 f"--concurrency={self.concurrency}",
                 "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO",
                 f"--hostname={node}@%h"],
                cwd=PROJECT, env=self.environment, stdout=log_file, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + READY_TIMEOUT
        while "ready." not in log.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                raise RuntimeError(f"the celery worker did not start:\n{log.read_text()}")
            time.sleep(0.1)
        return self

    def kill(self) -> None:
        """SIGKILL: no clean-up, no acknowledgement, as when a machine dies."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def logs(self) -> str:
        return "\n".join(path.read_text() for path in sorted(self.log.parent.glob(f"{self.log.stem}.*.log")))


class Supervisor:
    """What systemd's Restart=always does for deploy/dicas-worker.service: starts the worker
    again whenever it exits, until stopped. `restarts` counts the times it had to."""

    def __init__(self, worker: WorkerProcess, *, check_every: float = 0.2):
        self.worker = worker
        self.check_every = check_every
        self.restarts = 0
        self.exit_codes: list[int] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def start(self) -> "Supervisor":
        self.worker.start()
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stopping.wait(self.check_every):
            process = self.worker.process
            if process is not None and process.poll() is not None and not self._stopping.is_set():
                self.exit_codes.append(process.returncode)
                self.restarts += 1
                self.worker.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self.worker.stop()


class RedisServer:
    """A throw-away redis-server on a spare loopback port, without persistence."""

    def __init__(self, port: int):
        self.port = port
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return self
            except redis.RedisError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"redis-server did not start on port {self.port}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def _forget_broker_connections() -> None:
    # The app keeps its pool of broker connections (and producers on them) for the URL it
    # was first given; forget them so that the next task goes to the URL now configured.
    # (kombu keeps each URL's pool, open, for the next time that URL is used.)
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def tasks_sent_to(broker_url: str):
    """Tasks queued by this (test) process go to `broker_url` within the block."""
    # Celery reads CELERY_BROKER_URL from the environment before its own settings.
    previous_environment = os.environ.get("CELERY_BROKER_URL")
    previous = celery_app.conf.broker_url
    os.environ["CELERY_BROKER_URL"] = celery_app.conf.broker_url = broker_url
    _forget_broker_connections()
    try:
        yield
    finally:
        if previous_environment is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = previous_environment
        celery_app.conf.broker_url = previous
        _forget_broker_connections()


def wait_for(condition, *, timeout: float = 30.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()
