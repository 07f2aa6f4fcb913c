"""The reads the notification pages need."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.utils import timezone

from .models import Delivery, Dispatch, WorkerHeartbeat

Status = Delivery.Status


def dispatches_with_counts() -> QuerySet[Dispatch]:
    """Newest first, each with how many of its deliveries were sent, wait, failed, and go
    (or went) in people's daily digests:
    one query for the whole page, however many deliveries there are."""
    return (
        Dispatch.objects.select_related("target_type", "person__profile")
        .annotate(
            sent_count=Count("deliveries", filter=Q(deliveries__status=Status.SENT)),
            waiting_count=Count("deliveries", filter=Q(deliveries__status__in=[Status.PENDING, Status.SENDING])),
            failed_count=Count("deliveries", filter=Q(deliveries__status=Status.FAILED)),
            digest_count=Count("deliveries", filter=Q(deliveries__status__in=[Status.HELD, Status.DIGESTED])),
        )
        .order_by("-created_at", "-pk")
    )


# Failed deliveries listed with their reason under each notice; the count gives the rest.
FAILURES_SHOWN = 10


def dispatch_page() -> QuerySet[Dispatch]:
    """The secretariat's outbox page: the counts, and the first failed deliveries of each
    notice with their reasons (`failed_deliveries`), in two queries for the whole page."""
    failed = Delivery.objects.filter(status=Status.FAILED).select_related("recipient").order_by("pk")
    return dispatches_with_counts().prefetch_related(
        Prefetch("deliveries", queryset=failed[:FAILURES_SHOWN], to_attr="failed_deliveries")
    )


@dataclass(frozen=True)
class WorkerState:
    """What the health check and the outbox page say about the workers."""

    in_process: bool  # no broker: tasks run in the web process, there is no worker to watch
    last_seen: datetime | None  # the newest heartbeat of any worker; None if none ever beat
    age_seconds: float | None
    max_age_seconds: float

    @property
    def whole_seconds(self) -> int:
        return round(self.age_seconds or 0)

    @property
    def alive(self) -> bool:
        if self.in_process:
            return True
        return self.age_seconds is not None and self.age_seconds <= self.max_age_seconds


def worker_state(*, in_process: bool, now: datetime | None = None) -> WorkerState:
    """One query: the age of the newest heartbeat, against HEALTH_WORKER_MAX_AGE_SECONDS."""
    max_age = settings.HEALTH_WORKER_MAX_AGE_SECONDS
    if in_process:
        return WorkerState(in_process=True, last_seen=None, age_seconds=None, max_age_seconds=max_age)
    last_seen = WorkerHeartbeat.objects.aggregate(last=Max("seen_at"))["last"]
    age = None if last_seen is None else max(0.0, ((now or timezone.now()) - last_seen).total_seconds())
    return WorkerState(in_process=False, last_seen=last_seen, age_seconds=age, max_age_seconds=max_age)
