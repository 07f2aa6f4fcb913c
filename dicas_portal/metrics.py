"""/metrics for Prometheus: what an operator needs to be told before people notice.

Counted in the process as it works: requests per view (the resolver's view name, never
the raw path, which holds ids and tokens) with their latency, and the fragment cache's
hits and misses (forums/cache.py). Read from the database at scrape time by
`DatabaseCollector`, a few aggregate queries whatever the size of the tables: the outbox
(deliveries pending, sending, failed, held for digests, retrying; how long the oldest due
notice has waited), registrations per status of each open meeting, and the age of the
newest worker heartbeat.

The endpoint answers 404 unless METRICS_TOKEN is set, and then only to
`Authorization: Bearer <METRICS_TOKEN>` (403 otherwise): the figures name meetings and
the outbox's state, which is nobody's business outside the team that runs the portal.

Several gunicorn workers: set PROMETHEUS_MULTIPROC_DIR (deploy/dicas-web.service does) to
an empty folder, and the counters of every worker process are added up in one answer.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from forums.cache import FRAGMENT_LOOKUPS

logger = logging.getLogger(__name__)
# The *_created series double every counter for nothing an alert or a graph here uses.
disable_created_metrics()

REQUESTS = Counter(
    "dicas_http_requests", "Requests answered, per view, method and status.", ["view", "method", "status"],
    registry=None,
)
REQUEST_SECONDS = Histogram(
    "dicas_http_request_duration_seconds", "Time to answer a request, per view.", ["view"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=None,
)
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Outbox states worth a gauge; sent, digested and withheld only grow and are no one's worry.
OUTBOX_STATES = ("pending", "sending", "failed", "held")


def observe_request(*, view: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(view=view, method=method if method in KNOWN_METHODS else "other", status=str(status)).inc()
    REQUEST_SECONDS.labels(view=view).observe(seconds)


class DatabaseCollector:
    """The figures that live in the database, queried when Prometheus scrapes."""

    def describe(self) -> list:
        # Described as nothing: registering must not query the database.
        return []

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("dicas_database_up", "1 when the scrape could read the database.")
        try:
            families = list(self._from_database())
        except Exception:  # noqa: BLE001 — a scrape without the database still answers
            logger.warning("/metrics could not read the database.", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _from_database(self) -> Iterator[GaugeMetricFamily]:
        from django.db.models import Count, Max, Min, Q
        from django.db.models.functions import Coalesce

        from forums.models import Meeting, Registration
        from notifications.models import Delivery, Dispatch, WorkerHeartbeat

        now = timezone.now()
        outbox = GaugeMetricFamily("dicas_outbox_deliveries", "Deliveries in the outbox, per status.",
                                   labels=["status"])
        counts = {state: 0 for state in OUTBOX_STATES}
        retrying = 0
        for row in (Delivery.objects.filter(status__in=OUTBOX_STATES).order_by().values("status")
                    .annotate(count=Count("pk"), retrying=Count("pk", filter=Q(attempts__gt=0)))):
            counts[row["status"]] = row["count"]
            if row["status"] == Delivery.Status.PENDING:
                retrying = row["retrying"]
        for state, count in counts.items():
            outbox.add_metric([state], count)
        yield outbox
        yield GaugeMetricFamily("dicas_outbox_deliveries_retrying",
                                "Pending deliveries that a mail server refused at least once.", value=retrying)

        oldest_delivery = (Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
                           .aggregate(due=Min("next_attempt_at"))["due"])
        oldest_dispatch = (Dispatch.objects.filter(expanded_at__isnull=True, superseded_by__isnull=True)
                           .filter(Q(hold_until__isnull=True) | Q(hold_until__lte=now))
                           .aggregate(due=Min(Coalesce("hold_until", "created_at")))["due"])
        due = [moment for moment in (oldest_delivery, oldest_dispatch) if moment is not None]
        yield GaugeMetricFamily(
            "dicas_outbox_oldest_pending_age_seconds",
            "How long the oldest notice that is due (a delivery or a dispatch not yet expanded) has waited.",
            value=max(0.0, (now - min(due)).total_seconds()) if due else 0.0,
        )

        registrations = GaugeMetricFamily("dicas_registrations", "Registrations of each open meeting, per status.",
                                          labels=["meeting", "status"])
        open_meetings = Q(meeting__status__in=[Meeting.Status.SCHEDULED, Meeting.Status.POSTPONED],
                          meeting__ends_at__gte=now)
        for row in (Registration.objects.filter(open_meetings).order_by().values("meeting_id", "status")
                    .annotate(count=Count("pk")).order_by("meeting_id", "status")):
            registrations.add_metric([str(row["meeting_id"]), row["status"]], row["count"])
        yield registrations

        last_seen = WorkerHeartbeat.objects.aggregate(last=Max("seen_at"))["last"]
        if last_seen is not None:
            # No sample at all when no worker ever beat: the alert tests for its absence.
            yield GaugeMetricFamily("dicas_worker_heartbeat_age_seconds",
                                    "Seconds since the newest heartbeat of any worker.",
                                    value=max(0.0, (now - last_seen).total_seconds()))


_DATABASE = DatabaseCollector()
_REGISTRY = CollectorRegistry(auto_describe=False)
for _collector in (REQUESTS, REQUEST_SECONDS, FRAGMENT_LOOKUPS, _DATABASE):
    _REGISTRY.register(_collector)


def registry() -> CollectorRegistry:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return _REGISTRY
    # The counters live in files shared by every worker process; the database once.
    combined = CollectorRegistry(auto_describe=False)
    multiprocess.MultiProcessCollector(combined)
    combined.register(_DATABASE)
    return combined


def _authorized(request: HttpRequest, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and constant_time_compare(given.strip(), token)


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    token = getattr(settings, "METRICS_TOKEN", "")
    if not token:
        raise Http404
    if not _authorized(request, token):
        return HttpResponseForbidden("", content_type="text/plain")
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
