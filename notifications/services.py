from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from .models import Dispatch, WorkerHeartbeat


def record_dispatch(
    *,
    event: str,
    target: models.Model,
    audience: str,
    person=None,
    context: dict | None = None,
) -> Dispatch:
    """Records that `event` happened to `target` and must be told to `audience`.

    Call it inside the service's own transaction: the notice is committed with the change
    or not at all. The worker is asked to send it only once the transaction commits.
    """
    dispatch = Dispatch.objects.create(
        event=event,
        audience=audience,
        target_type=ContentType.objects.get_for_model(target),
        target_id=target.pk,
        person=person,
        context=context or {},
    )
    from .tasks import expand_dispatch  # the tasks module imports this one

    transaction.on_commit(lambda: expand_dispatch.delay(dispatch.pk))
    return dispatch


@transaction.atomic
def record_worker_heartbeat(*, hostname: str) -> WorkerHeartbeat:
    """Upserts the worker's row with the current time."""
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        hostname=hostname, defaults={"seen_at": timezone.now()}
    )
    return heartbeat


def expand_and_send(*, dispatch_id: int) -> None:
    """Resolves the audience and sends. Until the outbox worker lands, dispatches wait
    unexpanded (expanded_at stays empty) and nothing is lost: the sweep will pick them up."""
