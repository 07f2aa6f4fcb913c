"""Notification fan-out against a raw-smtplib baseline, and the publish call's cost.

    make bench-fanout     # or: .venv/bin/python bench/fanout.py [--recipients 10000] [--concurrency N]

Needs PostgreSQL and Redis on 127.0.0.1 (as the CI does); never part of the test pass.
In its own database (dicas_bench_notifications) and Redis database (12), it:

1. makes a working group of N members (half read Japanese, in three time zones) and one
   of 10, each with a members-only meeting;
2. starts an SMTP sink (aiosmtpd, its own process, on a free loopback port) and one real
   `celery worker` (solo pool) sending to it;
3. fan-out: records MINUTES_PUBLISHED to the N members as a service does (one dispatch in
   a transaction) and times from the publish call to the N-th message accepted by the sink;
4. baseline: renders the same N messages up front and sends them with plain `smtplib`
   over one connection to the same sink, timed the same way;
5. publish call: times `record_dispatch` inside a transaction (commit and enqueue
   included) for the 10-member and the N-member group, the median of several runs each.

Targets (issue 6): fan-out throughput at least 0.5 × the baseline's; the publish call for
N recipients within 1.5 × its time for 10.
"""

import argparse
import os
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
DATABASE = "dicas_bench_notifications"
BROKER_URL = "redis://127.0.0.1:6379/12"
PUBLISH_RUNS = 15
WORKER_LOG = Path(tempfile.gettempdir()) / "bench-notifications-worker.log"
EXTRA_WORKER_ARGUMENTS: list[str] = []

ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "dicas_portal.settings",
    # Production settings: no query log, no template debugging, as a real worker runs.
    "DJANGO_DEBUG": "false",
    # Production refuses weak keys and a loopback address (dicas_portal/safety.py).
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "PORTAL_BASE_URL": "https://bench.dicas-portal.example",
    # The worker is given the sink's port; this process itself sends nothing.
    "EMAIL_URL": "smtp://127.0.0.1:25",
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
    "CELERY_BROKER_URL": BROKER_URL,
    "CELERY_TASK_ALWAYS_EAGER": "false",
    "LOG_LEVEL": "WARNING",
}

# The sink: a separate process, so that it competes with neither side for the GIL. It
# prints one line per accepted message: how many so far, and when (CLOCK_MONOTONIC,
# shared by all processes of the machine).
SINK = r"""
import sys, time
from aiosmtpd.controller import Controller

class Handler:
    count = 0
    async def handle_DATA(self, server, session, envelope):
        Handler.count += 1
        sys.stdout.write(f"{Handler.count} {time.monotonic()}\n")
        sys.stdout.flush()
        return "250 OK"

controller = Controller(Handler(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
try:
    while True:
        time.sleep(3600)
finally:
    controller.stop()
"""


class Sink:
    def __init__(self, port: int):
        self.port = port
        self.count = 0
        self.last_at = 0.0
        self.times: list[float] = []  # when each message was accepted
        self._changed = threading.Condition()
        self.process = subprocess.Popen([sys.executable, "-c", SINK, str(port)], stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline().strip() == "ready"
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            count, at = line.split()
            with self._changed:
                self.count, self.last_at = int(count), float(at)
                self.times.append(self.last_at)
                self._changed.notify_all()

    def wait_for(self, count: int, timeout: float) -> float:
        """Waits until `count` messages were accepted in all; returns when the last one was."""
        with self._changed:
            if not self._changed.wait_for(lambda: self.count >= count, timeout=timeout):
                raise TimeoutError(f"the sink accepted {self.count} of {count} messages in {timeout} s")
            return self.last_at

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare_database() -> None:
    exists = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc",
                             f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"],
                            capture_output=True, text=True, check=True).stdout.strip()
    if exists != "1":
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DATABASE], check=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=PROJECT,
                   env={**os.environ, **ENVIRONMENT}, check=True)


def make_group(slug: str, size: int):
    """A working group of `size` officials and its members-only meeting (made once, kept)."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from forums.models import Forum, Meeting
    from participants.models import Country, Organization, Profile
    from working_groups.models import Membership, WorkingGroup

    User = get_user_model()
    forum, _ = Forum.objects.get_or_create(acronym="DICAS", defaults={"name": "DICAS"})
    group, created = WorkingGroup.objects.get_or_create(forum=forum, slug=slug, defaults={
        "name_en": f"Benchmark group of {size}", "name_ja": f"{size}名のベンチマーク作業部会"})
    if created:
        country, _ = Country.objects.get_or_create(code="JP", defaults={"name_en": "Japan", "name_ja": "日本"})
        organization, _ = Organization.objects.get_or_create(
            name="Benchmark ministry", defaults={"kind": Organization.Kind.GOVERNMENT, "country": country})
        users = User.objects.bulk_create(
            User(username=f"{slug}-{n}@bench.example", email=f"{slug}-{n}@bench.example", password="!")
            for n in range(size))
        zones = ["Asia/Tokyo", "America/New_York", "Pacific/Honolulu"]
        Profile.objects.bulk_create(
            Profile(user=user, role=Profile.Role.OFFICIAL, organization=organization,
                    verified_organization=organization, full_name=f"Official {n}",
                    full_name_ja=f"職員 {n}", preferred_language="ja" if n % 2 else "en", time_zone=zones[n % 3])
            for n, user in enumerate(users))
        Membership.objects.bulk_create(Membership(working_group=group, person=user) for user in users)
        start = timezone.now().replace(microsecond=0) + timedelta(days=30)
        Meeting.objects.create(
            forum=forum, working_group=group, kind=Meeting.Kind.WORKING_GROUP,
            visibility=Meeting.Visibility.GROUP_MEMBERS, status=Meeting.Status.SCHEDULED,
            title_en=f"Meeting of the group of {size}", title_ja=f"{size}名の作業部会会合",
            starts_at=start, ends_at=start + timedelta(hours=2), time_zone="Asia/Tokyo",
            venue_en="Ministry of Defense, Ichigaya", venue_ja="防衛省市ヶ谷庁舎")
    return Meeting.objects.get(working_group=group)


def vacuum() -> None:
    """What autovacuum does in production (it may be off on a test machine): earlier runs'
    deliveries leave dead rows that would slow every claim, and fresh tables have no
    statistics for the planner."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def publish(meeting):
    """As a service publishes: the dispatch recorded in its transaction, queued on commit."""
    from django.db import transaction

    from notifications.models import Dispatch
    from notifications.services import record_dispatch

    with transaction.atomic():
        return record_dispatch(event=Dispatch.Event.MINUTES_PUBLISHED, target=meeting,
                               audience=Dispatch.Audience.GROUP_MEMBERS)


def start_worker(sink: Sink) -> subprocess.Popen:
    log = open(WORKER_LOG, "w")
    worker = subprocess.Popen(
        # As in production (README): one worker, its default pool (a process per CPU).
        [sys.executable, "-m", "celery", "-A", "dicas_portal", "worker", *EXTRA_WORKER_ARGUMENTS, "--without-gossip",
         "--without-mingle", "--without-heartbeat", "--loglevel=INFO", "--hostname=bench-notifications@%h"],
        cwd=PROJECT, env={**os.environ, **ENVIRONMENT, "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
                          "LOG_LEVEL": "INFO"},
        stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while "ready." not in WORKER_LOG.read_text():
        if worker.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the worker did not start; see {WORKER_LOG}")
        time.sleep(0.1)
    return worker


def stop_worker(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def baseline(dispatch, sink: Sink, already: int) -> float:
    """The same messages, rendered beforehand, sent with smtplib over one connection."""
    import smtplib

    from notifications.emails import NoticeRenderer
    from notifications.models import Delivery

    renderer = NoticeRenderer(dispatch)
    deliveries = Delivery.objects.filter(dispatch=dispatch).select_related("recipient__profile").order_by("pk")
    messages = []
    for delivery in deliveries:
        message = renderer.message_for(delivery)
        messages.append((message.from_email, [delivery.recipient.email], message.message().as_bytes(linesep="\r\n")))
    started = time.monotonic()
    with smtplib.SMTP("127.0.0.1", sink.port) as smtp:
        for sender, recipients, data in messages:
            smtp.sendmail(sender, recipients, data)
    last = sink.wait_for(already + len(messages), timeout=600)
    return len(messages) / (last - started)


def median_publish_seconds(meeting) -> float:
    times = []
    for _ in range(PUBLISH_RUNS):
        started = time.perf_counter()
        publish(meeting)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=None,
                        help="worker processes (default: celery's, one per CPU)")
    arguments = parser.parse_args()
    size = arguments.recipients
    if arguments.concurrency:
        EXTRA_WORKER_ARGUMENTS.append(f"--concurrency={arguments.concurrency}")

    os.environ.update(ENVIRONMENT)
    sys.path.insert(0, str(PROJECT))
    prepare_database()
    import django

    django.setup()
    import redis

    from notifications.models import Delivery, Dispatch

    redis.Redis.from_url(BROKER_URL).flushdb()
    Dispatch.objects.all().delete()  # earlier runs' notices
    small, large = make_group("bench-10", 10), make_group(f"bench-{size}", size)
    vacuum()

    sink = Sink(free_port())
    worker = start_worker(sink)
    try:
        started = time.monotonic()
        dispatch = publish(large)
        publish_done = time.monotonic()
        last = sink.wait_for(size, timeout=1800)
        fanout = size / (last - started)
        # The last mark commits just after the last message is written (see transport.py).
        deadline = time.monotonic() + 10
        while (sent := Delivery.objects.filter(dispatch=dispatch, status=Delivery.Status.SENT).count()) < size:
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        print(f"fan-out:   {size} recipients, publish call {1000 * (publish_done - started):.1f} ms, "
              f"last message accepted after {last - started:.2f} s: {fanout:.0f} messages/s ({sent} marked sent)")
        first, middle = sink.times[0], sink.times[size // 2]
        print(f"           first message after {first - started:.2f} s; messages/s over the first half "
              f"{size // 2 / (middle - first):.0f}, the second {(size - size // 2) / (last - middle):.0f}")
    finally:
        stop_worker(worker)
    # The worker and its pool processes, reaped by now: their CPU time, to tell a fan-out
    # held up by the machine (CPU-bound, other load) from one waiting on the network.
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"           worker CPU time {usage.ru_utime + usage.ru_stime:.1f} s "
          f"({1000 * (usage.ru_utime + usage.ru_stime) / size:.2f} ms a message, start-up included)")
    try:
        raw = baseline(dispatch, sink, already=size)
        print(f"baseline:  the same {size} messages, pre-rendered, smtplib over one connection: {raw:.0f} messages/s")
    finally:
        sink.stop()
    ratio = fanout / raw
    print(f"fan-out / baseline = {ratio:.2f} (target ≥ 0.5): {'met' if ratio >= 0.5 else 'NOT met'}")

    # No worker now: the queued tasks wait in Redis and are thrown away below.
    publish_small = median_publish_seconds(small)
    publish_large = median_publish_seconds(large)
    redis.Redis.from_url(BROKER_URL).flushdb()
    Dispatch.objects.filter(expanded_at__isnull=True).delete()
    publish_ratio = publish_large / publish_small
    print(f"publish call (record_dispatch in a transaction, commit and enqueue), median of {PUBLISH_RUNS}: "
          f"10 recipients {1000 * publish_small:.2f} ms, {size} recipients {1000 * publish_large:.2f} ms, "
          f"ratio {publish_ratio:.2f} (target ≤ 1.5): {'met' if publish_ratio <= 1.5 else 'NOT met'}")
    return 0 if ratio >= 0.5 and publish_ratio <= 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
