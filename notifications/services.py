from django.db import transaction
from django.utils import timezone

from .models import WorkerHeartbeat


@transaction.atomic
def record_worker_heartbeat(*, hostname: str) -> WorkerHeartbeat:
    """Upserts the worker's row with the current time."""
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        hostname=hostname, defaults={"seen_at": timezone.now()}
    )
    return heartbeat
