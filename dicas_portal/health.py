"""/healthz: can this process reach the database and the broker? For load balancers and probes."""

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

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


@never_cache
@require_GET
def healthz(request):
    report = {"database": database_state(), "broker": broker_state()}
    healthy = all(not state.startswith("error") for state in report.values())
    report["status"] = "ok" if healthy else "unavailable"
    return JsonResponse(report, status=200 if healthy else 503)
