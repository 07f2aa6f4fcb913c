"""Page throughput against Django's own ceiling, on PostgreSQL behind gunicorn.

    make bench-pages            # or: .venv/bin/python bench/pages.py [--meetings 600] [--people 3000]
    .venv/bin/python bench/pages.py --explain-only --meetings 60000   # the query plan alone, at that size

Loads the benchmark data set into its own PostgreSQL database (dicas_bench, or
dicas_bench_<meetings> for another size), serves the portal with gunicorn (2 workers,
production settings, the cache in Redis database 14 as production would share it) on
127.0.0.1, and drives each page with wrk (10 connections, 10 s, twice). Reports requests
per second, p50/p99 latency, errors, each page's throughput as a fraction of the baseline
page measured in the same run, the peak resident memory of a worker, and the plan of the
schedule's main query (the paginated one, as the view runs it) with whether it scans the
meetings table sequentially. Never part of the test pass; it needs PostgreSQL, Redis, wrk
(Debian: `wrk`) and gunicorn.

Targets (issue 8): schedule, meeting page and working-group page each at least 0.30 of
the baseline, p99 under 50 ms, no error; the personal feed at least 0.20; a worker under
150 MB; no sequential scan of the meetings table at 600 and at 60,000 meetings.
"""

import argparse
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
DEFAULT_MEETINGS = 600
# Its own Redis database, emptied before each run: the cache the two workers share.
CACHE_URL = "redis://127.0.0.1:6379/14"
CONNECTIONS, SECONDS, ROUNDS = 10, 10, 2
SCHEDULE_PAGE_SIZE = 20


def database_name(meetings: int) -> str:
    return "dicas_bench" if meetings == DEFAULT_MEETINGS else f"dicas_bench_{meetings}"


def environment(database: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "false",
        # Production refuses weak keys, no broker, console e-mail and a loopback address
        # (dicas_portal/safety.py); the pages measured send no e-mail and run no task.
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "CACHE_URL": CACHE_URL,
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "EMAIL_URL": "smtp://127.0.0.1:25",
        "PORTAL_BASE_URL": "https://bench.dicas-portal.example",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def manage(*args: str, env: dict) -> str:
    return subprocess.run([PYTHON, "manage.py", *args], cwd=PROJECT, env=env, check=True,
                          capture_output=True, text=True).stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare_database(database: str, meetings: int, people: int, env: dict) -> None:
    exists = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc",
                             f"SELECT 1 FROM pg_database WHERE datname = '{database}'"],
                            capture_output=True, text=True).stdout.strip()
    if exists != "1":
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", database], check=True)
    manage("migrate", "--noinput", env=env)
    started = time.monotonic()
    loaded = manage("load_bench_data", f"--meetings={meetings}", f"--people={people}", env=env)
    print(f"{loaded.strip().splitlines()[-1]} ({time.monotonic() - started:.0f} s)")
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-qc", "VACUUM ANALYZE"], check=True)


def empty_cache() -> None:
    import redis

    redis.Redis.from_url(CACHE_URL).flushdb()


def bench_fixtures(env: dict) -> dict[str, str]:
    """Ids and a signed-in session, made with the portal's own code."""
    script = r"""
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from importlib import import_module
from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from participants.mfa import SESSION_FLAG
from participants.sessions import LAST_SEEN_AT, SIGNED_IN_AT
from forums.models import Meeting, Minutes
from working_groups.models import Membership, WorkingGroup
User = get_user_model()
member = (User.objects.filter(profile__role="official").annotate(group_count=Count("memberships"))
          .filter(group_count__gte=3).order_by("pk").first())
# An official reaches pages only with a second factor (participants/mfa.py): enrol one,
# and sign in as the portal does, with the session's clock and MFA flag set, so that the
# pages measured are the pages, not the redirect to the MFA set-up.
if not Authenticator.objects.filter(user=member, type=Authenticator.Type.TOTP).exists():
    TOTP.activate(member, generate_totp_secret())
session = import_module(settings.SESSION_ENGINE).SessionStore()
session[SESSION_KEY] = str(member.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = member.get_session_auth_hash()
session[SESSION_FLAG] = member.pk
session[SIGNED_IN_AT] = session[LAST_SEEN_AT] = timezone.now().timestamp()
session.create()
meeting = (Meeting.objects.filter(visibility="public", minutes__status="published")
           .annotate(items=Count("agenda_items", distinct=True)).filter(items=12).order_by("pk").first())
group = WorkingGroup.objects.order_by("pk").first()
print(session.session_key, meeting.pk, group.slug, member.profile.calendar_token)
"""
    output = subprocess.run([PYTHON, "manage.py", "shell", "-v", "0", "-c", script], cwd=PROJECT, env=env,
                            check=True, capture_output=True, text=True).stdout.split()
    return dict(zip(["session", "meeting", "group", "token"], output))


def wrk(url: str, cookie: str | None) -> dict:
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: sessionid={cookie}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def latency(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": latency("50%"),
        "p99": latency("99%"),
        "errors": errors + (int(non_2xx.group(1)) if non_2xx else 0),
    }


def worker_peak_memory_mb(master_pid: int) -> float:
    peaks = []
    for child in Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split():
        status = Path(f"/proc/{child}/status").read_text()
        peaks.append(int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024)
    return max(peaks)


def explain_schedule(env: dict) -> str:
    """The plans of the schedule's main query exactly as the view runs it: the first page
    (LIMIT 20) of upcoming meetings, for a visitor and for a member of three groups."""
    script = rf"""
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count
from forums.selectors import schedule_for
member = (get_user_model().objects.filter(profile__role="official").annotate(group_count=Count("memberships"))
          .filter(group_count__gte=3).order_by("pk").first())
for label, viewer in (("visitor", AnonymousUser()), ("member of three groups", member)):
    page = schedule_for(viewer, filters={{}}, past=False)[:{SCHEDULE_PAGE_SIZE}]
    print(f"-- {{label}}:")
    print(page.explain(analyze=True))
"""
    return subprocess.run([PYTHON, "manage.py", "shell", "-v", "0", "-c", script], cwd=PROJECT, env=env,
                          check=True, capture_output=True, text=True).stdout


def print_explain(env: dict, meetings: int) -> None:
    plan = explain_schedule(env)
    print(f"\nEXPLAIN ANALYZE of the schedule's main query at {meetings} meetings:\n" + plan)
    print("meetings table scanned sequentially:", "Seq Scan on forums_meeting" in plan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--meetings", type=int, default=DEFAULT_MEETINGS)
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--explain-only", action="store_true",
                        help="load the data set of that size and print the schedule's query plan, no load test")
    parser.add_argument("--skip-load", action="store_true", help="use the data set as it is in the database")
    arguments = parser.parse_args()
    database = database_name(arguments.meetings)
    static_root = tempfile.mkdtemp(prefix="dicas-bench-static-")
    env = environment(database, STATIC_ROOT=static_root)
    if not arguments.skip_load:
        prepare_database(database, arguments.meetings, arguments.people, env)
    if arguments.explain_only:
        print_explain(env, arguments.meetings)
        return
    if not shutil.which("wrk"):
        sys.exit("bench/pages.py needs wrk: apt-get install wrk")
    empty_cache()
    manage("collectstatic", "--noinput", env=env)
    ids = bench_fixtures(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(Path(PYTHON).with_name("gunicorn")), "bench.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning"],
        cwd=PROJECT, env=env,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        pages = [
            ("baseline (minimal template)", "/bench/baseline/", None),
            ("schedule, anonymous", "/meetings/", None),
            ("schedule, official", "/meetings/", ids["session"]),
            ("meeting page (12 items, minutes)", f"/meetings/{ids['meeting']}/", ids["session"]),
            ("working-group page", f"/groups/{ids['group']}/", ids["session"]),
            ("personal .ics feed (3 groups)", f"/calendar/{ids['token']}.ics", None),
        ]
        results = {}
        for name, path, cookie in pages:
            # A redirect (to sign in, to set up MFA) would be measured as a fast page: say so.
            status = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H",
                                     f"Cookie: sessionid={cookie or ''}", base + path],
                                    capture_output=True, text=True).stdout.strip()
            runs = [wrk(base + path, cookie) for _ in range(ROUNDS)]
            results[name] = max(runs, key=lambda run: run["rps"])
            results[name]["all_rps"] = [run["rps"] for run in runs]
            results[name]["status"] = status
        baseline = results["baseline (minimal template)"]["rps"]
        print(f"\n{'page':38} {'status':>6} {'req/s':>9} {'× base':>7} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6}")
        for name, result in results.items():
            print(f"{name:38} {result['status']:>6} {result['rps']:9.1f} {result['rps'] / baseline:7.2f} "
                  f"{result['p50']:7.1f} {result['p99']:7.1f} {result['errors']:6d}   runs: {result['all_rps']}")
        print(f"\npeak resident memory of a gunicorn worker: {worker_peak_memory_mb(server.pid):.0f} MB")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(static_root, ignore_errors=True)
    print_explain(env, arguments.meetings)


if __name__ == "__main__":
    main()
