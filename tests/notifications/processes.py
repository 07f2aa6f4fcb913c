"""Processes the notification fault tests start, kill and restart: Celery workers, and a
Redis server of their own (so that stopping it does not touch the shared one)."""

import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import redis

from dicas_portal.celery import app as celery_app

PROJECT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 60


class WorkerProcess:
    """One `celery worker` (solo pool: the process that does the work is the one we kill)."""

    def __init__(self, *, environment: dict[str, str], log: Path, name: str = "notifications"):
        self.environment = {**os.environ, "CELERY_TASK_ALWAYS_EAGER": "false", "CONN_MAX_AGE": "0", **environment}
        self.log = log
        self.name = name
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> "WorkerProcess":
        self.starts += 1
        log = self.log.with_suffix(f".{self.starts}.log")
        with open(log, "w") as log_file:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "dicas_portal", "worker", "--pool=solo",
                 "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO",
                 f"--hostname={self.name}-{os.getpid()}-{self.starts}@%h"],
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
