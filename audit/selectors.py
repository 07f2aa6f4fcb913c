"""Reads of the audit record, for its page and its export."""

from datetime import date, datetime, time

from django.db.models import QuerySet
from django.utils import timezone

from .models import AuditEvent


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def _day_end(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max), timezone.get_current_timezone())


def events_matching(filters: dict) -> QuerySet[AuditEvent]:
    """Newest first; the dates are days in the viewer's time zone."""
    events = AuditEvent.objects.select_related("actor__profile", "target_type").order_by("-at", "-pk")
    if actor := filters.get("actor"):
        events = events.filter(actor__email__icontains=actor)
    if action := filters.get("action"):
        events = events.filter(action=action)
    if start := filters.get("start"):
        events = events.filter(at__gte=_day_start(start))
    if end := filters.get("end"):
        events = events.filter(at__lte=_day_end(end))
    if ip := filters.get("ip"):
        events = events.filter(ip=ip)
    return events
