"""The reads the notification pages need."""

from django.db.models import Count, Prefetch, Q, QuerySet

from .models import Delivery, Dispatch

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
