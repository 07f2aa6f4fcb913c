"""/healthz: can this process reach the database and the broker, and is a worker running?
For load balancers and probes: 503 unless all three hold."""

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from notifications.selectors import WorkerState, worker_state

from .celery import app as celery_app


def database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any failure means "not answering"; the name says which
        return f"error: {type(error).__name__}"
    return "ok"


def broker_state() -> str:
    if celery_app.conf.task_always_eager:
        return "in-process"
    try:
        with celery_app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=3)
    except Exception as error:
        return f"error: {type(error).__name__}"
    return "ok"


def worker_report(state: WorkerState) -> str:
    if state.in_process:
        return "in-process"
    if state.age_seconds is None:
        return "error: no worker has ever sent a heartbeat"
    if not state.alive:
        return f"error: the newest heartbeat is older than {state.max_age_seconds:g} s"
    return "ok"


@never_cache
@require_GET
def healthz(request):
    report: dict = {"database": database_state(), "broker": broker_state()}
    state = None
    if not report["database"].startswith("error"):
        try:
            state = worker_state(in_process=bool(celery_app.conf.task_always_eager))
        except Exception as error:  # e.g. the table is missing before the first migrate
            report["worker"] = f"error: {type(error).__name__}"
    else:
        report["worker"] = "error: the database does not answer"
    if state is not None:
        report["worker"] = worker_report(state)
        if state.age_seconds is not None:
            report["worker_heartbeat_age_seconds"] = round(state.age_seconds, 1)
    healthy = all(not str(report[name]).startswith("error") for name in ("database", "broker", "worker"))
    report["status"] = "ok" if healthy else "unavailable"
    return JsonResponse(report, status=200 if healthy else 503)
