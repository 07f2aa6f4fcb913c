"""The notification outbox (DESIGN.md, flow 4): every state change of the app.

A service elsewhere records a Dispatch inside its own transaction (`record_dispatch`); the
worker expands it into one Delivery per recipient (`expand_dispatch`), claims and sends
them in batches (`send_batch`), and a periodic sweep (`sweep_outbox`) finds what a dead
worker or an unreachable broker left behind. Deliveries are unique per dispatch and
recipient and change state only under their worker's claim, so nothing is sent twice and
nothing waits for ever.
"""

import logging
import smtplib
import time
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction
from django.db.models import Min
from django.utils import timezone

from dicas_portal import log_context
from forums.models import Meeting
from participants.permissions import is_secretariat

from . import transport
from .audiences import held_for_digest, recipients
from . import unsubscribe_keys
from .emails import NoticeRenderer, load_target
from .heartbeat import current_worker
from .marks import Mark, MarkError, Marks
from .models import DIGEST_CATEGORY, Category, Delivery, Dispatch, NotificationPreference, WorkerHeartbeat

logger = logging.getLogger(__name__)

Status = Delivery.Status
# At most this many unexpanded dispatches, and dispatches with waiting deliveries, are
# re-queued per sweep: a long outage is worked off over a few minutes, not in one burst.
SWEEP_LIMIT = 500
# Deliveries committed (and queued for sending) together while a dispatch is expanded.
EXPANSION_CHUNK = 500
# Heartbeat rows of workers silent this long are deleted by the sweep (one row per start).
HEARTBEAT_KEPT = timedelta(days=1)


# -- recording -----------------------------------------------------------------------


def record_dispatch(
    *,
    event: str,
    target: models.Model,
    audience: str,
    person=None,
    context: dict | None = None,
    key: str | None = None,
    hold_until: datetime | None = None,
) -> Dispatch:
    """Records that `event` happened to `target` and must be told to `audience`.

    Call it inside the service's own transaction: the notice is committed with the change
    or not at all. The worker is asked to send it only once the transaction commits; if
    the broker cannot be reached then, the sweep sends it later. One INSERT, whatever the
    number of recipients. `context` must be JSON (times as ISO strings, keys ending in
    "_at"). `key`, when given, makes the notice happen at most once (IntegrityError for
    the second). `hold_until`: the worker expands it no earlier (see `supersede_held`).
    """
    dispatch = Dispatch.objects.create(
        event=event,
        audience=audience,
        target_type=ContentType.objects.get_for_model(target),
        target_id=target.pk,
        person=person,
        context=context or {},
        key=key,
        hold_until=hold_until,
    )
    transaction.on_commit(partial(enqueue_expansion, dispatch.pk, countdown=seconds_held(dispatch)))
    return dispatch


def seconds_held(dispatch: Dispatch, *, now: datetime | None = None) -> float:
    """How long the dispatch must still wait before it is expanded (0 when it need not)."""
    if dispatch.hold_until is None:
        return 0.0
    return max(0.0, (dispatch.hold_until - (now or timezone.now())).total_seconds())


def seconds_held_by_id(dispatch_id: int) -> float:
    dispatch = Dispatch.objects.filter(pk=dispatch_id).only("hold_until").first()
    return seconds_held(dispatch) if dispatch is not None else 0.0


def supersede_held(*, target: models.Model, events: Iterable[str], by: Dispatch) -> list[Dispatch]:
    """Marks the dispatches about `target` of these `events` that are still held (not yet
    due, so no worker is expanding them) as replaced by `by`, which will be sent instead.
    Returns them, oldest first, locked until the caller's transaction commits.

    A dispatch whose hold is over is left alone: a worker may be sending it already, and
    it renders the meeting as it stands anyway; the newest one always goes out.
    """
    held = list(
        Dispatch.objects.select_for_update()
        .filter(
            target_type=ContentType.objects.get_for_model(target), target_id=target.pk, event__in=list(events),
            expanded_at__isnull=True, superseded_by__isnull=True, hold_until__gt=timezone.now(),
        )
        .exclude(pk=by.pk)
        .order_by("created_at", "pk")
    )
    if held:
        Dispatch.objects.filter(pk__in=[dispatch.pk for dispatch in held]).update(superseded_by=by)
    return held


def enqueue_expansion(dispatch_id: int, countdown: float = 0.0) -> None:
    """Asks the worker to expand a committed dispatch.

    Runs after the commit: the change is saved whatever happens here, so a broker that
    cannot be reached must not turn the request into an error. The dispatch stays
    unexpanded and the sweep queues it once the broker is back.
    """
    from .tasks import expand_dispatch  # the tasks module imports this one

    try:
        if countdown > 0 and not expand_dispatch.app.conf.task_always_eager:
            expand_dispatch.apply_async((dispatch_id,), countdown=countdown)
        else:
            expand_dispatch.delay(dispatch_id)
    except Exception:
        if expand_dispatch.app.conf.task_always_eager:
            raise  # in-process: this is the work itself failing, not the queue; show it
        logger.warning(
            "Could not queue dispatch %s (is the broker down?); the outbox sweep will send it.",
            dispatch_id, exc_info=True,
        )


def enqueue_sending(dispatch_id: int) -> None:
    from .tasks import send_deliveries

    try:
        send_deliveries.delay(dispatch_id)
    except Exception:
        if send_deliveries.app.conf.task_always_eager:
            raise
        logger.warning("Could not queue the sending of dispatch %s; the sweep will.", dispatch_id, exc_info=True)


@transaction.atomic
def record_worker_heartbeat(*, hostname: str) -> WorkerHeartbeat:
    """Upserts the worker's row with the current time."""
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        hostname=hostname, defaults={"seen_at": timezone.now()}
    )
    return heartbeat


# -- expanding -----------------------------------------------------------------------


def expand_dispatch(*, dispatch_id: int, on_chunk: Callable[[], None] | None = None) -> int:
    """Creates one pending Delivery per recipient of the dispatch, as the audience rule and
    the permissions say now; returns how many of its deliveries wait to be sent.

    The deliveries are committed a chunk at a time, and `on_chunk` is called after each
    (the task queues a batch chain there), so that other worker processes send while this
    one still works out who else may see the notice (a permission check per person).
    Runs again harmlessly: deliveries are unique per recipient (ignore_conflicts), and
    `expanded_at` is set only once every chunk is in, so a run cut short is finished by
    the sweep.
    """
    dispatch = Dispatch.objects.filter(pk=dispatch_id).first()
    if dispatch is None:
        return 0
    if dispatch.expanded_at is None and dispatch.superseded_by_id is not None:
        # A newer notice took its place: it is done, with nobody to tell.
        Dispatch.objects.filter(pk=dispatch_id, expanded_at__isnull=True).update(expanded_at=timezone.now())
        return 0
    if dispatch.expanded_at is None and seconds_held(dispatch) > 0:
        return 0  # still held: the task comes back when it is due, or the sweep does
    if dispatch.expanded_at is None:
        target = load_target(dispatch)
        now = timezone.now()
        if target is None:
            logger.warning("Dispatch %s is about an object that no longer exists; nobody is told.", dispatch_id)
        else:
            chunk: list[Delivery] = []
            for person in recipients(dispatch, target):
                # Held ones wait for the person's morning digest (digests.py); claims skip them.
                status = Status.HELD if held_for_digest(person) else Status.PENDING
                chunk.append(Delivery(dispatch=dispatch, recipient=person, next_attempt_at=now, status=status))
                if len(chunk) >= EXPANSION_CHUNK:
                    _add_deliveries(chunk, on_chunk)
                    chunk = []
            _add_deliveries(chunk, on_chunk)
        Dispatch.objects.filter(pk=dispatch_id, expanded_at__isnull=True).update(expanded_at=now)
    return Delivery.objects.filter(dispatch_id=dispatch_id, status=Status.PENDING).count()


def _add_deliveries(chunk: list[Delivery], on_chunk: Callable[[], None] | None) -> None:
    if not chunk:
        return
    with transaction.atomic():
        Delivery.objects.bulk_create(chunk, ignore_conflicts=True)
    if on_chunk is not None:
        on_chunk()


# -- sending -------------------------------------------------------------------------


@dataclass
class BatchResult:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    # Seconds until this dispatch has deliveries due again; None when nothing waits.
    next_run_in: float | None = None


def claim_batch(*, dispatch_id: int, size: int) -> tuple[datetime, list[int]]:
    """Takes up to `size` due deliveries of the dispatch for this worker.

    Rows another worker is claiming at the same moment are skipped, not waited for
    (SKIP LOCKED on PostgreSQL), so several workers share one fan-out. The claim time is
    returned: it is also the claim's token (see Delivery.claimed_at). The claim names the
    worker (Delivery.claimed_by), so the sweep knows when its holder has died.
    """
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Delivery.objects.filter(dispatch_id=dispatch_id, status=Status.PENDING, next_attempt_at__lte=now)
            .order_by("pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:size]
        )
        if ids:
            Delivery.objects.filter(pk__in=ids).update(
                status=Status.SENDING, claimed_at=now, claimed_by=current_worker()
            )
    return now, ids


def send_batch(*, dispatch_id: int) -> BatchResult:
    """Claims one batch of the dispatch's due deliveries and sends it over one connection.

    Each delivery is marked sent as the server takes it (see transport.py for the exact
    moment); a temporary refusal (4xx, lost connection) puts it back with exponential
    backoff, a permanent one (5xx) marks it failed with the server's reason.
    """
    result = BatchResult()
    claimed_at, ids = claim_batch(dispatch_id=dispatch_id, size=settings.NOTIFICATIONS_BATCH_SIZE)
    result.claimed = len(ids)
    if ids:
        _send_claimed(dispatch_id, claimed_at, ids, result)
    result.next_run_in = _seconds_until_due(dispatch_id, only_later=not ids)
    return result


def _send_claimed(dispatch_id: int, claimed_at: datetime, ids: list[int], result: BatchResult) -> None:
    dispatch = Dispatch.objects.get(pk=dispatch_id)
    deliveries = list(
        Delivery.objects.filter(pk__in=ids).select_related("recipient__profile").order_by("pk")
    )
    renderer = NoticeRenderer(dispatch)
    if renderer.target is None:
        for delivery in deliveries:
            _fail(delivery, claimed_at, "The notice's object no longer exists.", result)
        return
    renderer.prepare(deliveries)
    deadline = time.monotonic() + batch_budget_seconds()
    try:
        marks = Marks()
    except MarkError as error:
        logger.warning("No database connection for the marks of dispatch %s: %s", dispatch_id, error)
        _release(deliveries, claimed_at)
        return
    try:
        backend = transport.open_connection()
    except (OSError, smtplib.SMTPException) as error:
        marks.close()
        for delivery in deliveries:
            _retry_later(delivery, claimed_at, f"Could not connect to the mail server: {_describe(error)}", result)
        return
    try:
        for position, delivery in enumerate(deliveries):
            if time.monotonic() > deadline:
                marks.release()
                _release(deliveries[position:], claimed_at)
                break
            successor = deliveries[position + 1] if position + 1 < len(deliveries) else None
            mark = marks.mark(delivery, claimed_at, successor=successor)
            if not _deliver(backend, renderer, mark, delivery, claimed_at, result):
                marks.release()
                _release(deliveries[position + 1:], claimed_at)
                break
    finally:
        transport.close(backend)
        marks.close()


def batch_budget_seconds() -> float:
    """How long a batch may keep taking messages: well inside the lease, so the sweep never
    takes back a batch still being sent, and inside the task's soft time limit, so the
    limit never interrupts a message between its hand-over and its final dot."""
    budget = settings.NOTIFICATIONS_SENDING_LEASE_SECONDS / 2
    soft_limit = getattr(settings, "CELERY_TASK_SOFT_TIME_LIMIT", None)
    return min(budget, soft_limit / 2) if soft_limit else budget


def _deliver(backend, renderer: NoticeRenderer, mark: Mark, delivery: Delivery, claimed_at: datetime,
             result: BatchResult) -> bool:
    """Sends one delivery; returns False when the connection can no longer be used. Every
    line logged meanwhile carries the delivery's id."""
    with log_context.bound(log_context.delivery_id, delivery.pk):
        sent_before = result.sent
        usable = _deliver_in_context(backend, renderer, mark, delivery, claimed_at, result)
        if result.sent > sent_before:
            logger.info("Delivery %s sent.", delivery.pk)
        return usable


def _deliver_in_context(backend, renderer: NoticeRenderer, mark: Mark, delivery: Delivery, claimed_at: datetime,
                        result: BatchResult) -> bool:
    smtp = transport.speaks_smtp(backend)
    try:
        if smtp:
            sender, recipients, data = renderer.envelope_for(delivery)
        else:
            message = renderer.message_for(delivery)
    except Exception as error:  # a template or data problem: trying again would fail again
        logger.exception("Could not render delivery %s", delivery.pk)
        mark.rollback()  # its row may be locked by a mark sent ahead
        _fail(delivery, claimed_at, f"Could not write the e-mail: {_describe(error)}", result)
        return True
    try:
        if smtp:
            transport.send_bytes(backend, sender=sender, recipients=recipients, data=data, mark=mark)
        else:
            transport.send_message(backend, message, mark=mark)
    except transport.Refused as refusal:
        was = Status.SENT if mark.committed else Status.SENDING
        if refusal.temporary:
            _retry_later(delivery, claimed_at, str(refusal), result, was=was)
        else:
            _fail(delivery, claimed_at, str(refusal), result, was=was)
        return True
    except transport.ConnectionLost as error:
        _retry_later(delivery, claimed_at, f"Connection lost: {error}", result)
        return False
    except transport.OutcomeUnknown as error:
        # The server had the whole message; sending it again risks a second copy.
        logger.warning("Delivery %s: no reply after the message was handed over (%s); kept as sent.",
                       delivery.pk, error)
        Delivery.objects.filter(pk=delivery.pk, status=Status.SENT).update(
            last_error=f"The connection closed before the server confirmed the message: {error}"
        )
        result.sent += 1
        return False
    except transport.ClaimLost:
        logger.warning("Delivery %s was taken back by the sweep before it was sent; left to its new claim.",
                       delivery.pk)
        return False
    except MarkError as error:
        if mark.committed:
            # The server took the message and the COMMIT was sent: most likely marked. If
            # not, the sweep sends it again; nothing is lost.
            logger.warning("Delivery %s: the database did not confirm the mark (%s).", delivery.pk, error)
            result.sent += 1
        else:
            _retry_later(delivery, claimed_at, f"The database did not answer: {error}", result)
        return False
    except Exception as error:  # e.g. a console or file backend failing: retry like a lost connection
        logger.exception("Delivery %s could not be sent", delivery.pk)
        _retry_later(delivery, claimed_at, _describe(error), result,
                     was=Status.SENT if mark.committed else Status.SENDING)
        return False
    result.sent += 1
    return True


def _mine(delivery: Delivery, claimed_at: datetime, status: str) -> models.QuerySet:
    """The delivery's row, only while it is still in `status` under this worker's claim."""
    return Delivery.objects.filter(pk=delivery.pk, status=status, claimed_at=claimed_at)


def backoff(attempts: int) -> timedelta:
    """Waiting time after the `attempts`-th failed attempt: base, 2×base, 4×base… up to a cap."""
    seconds = settings.NOTIFICATIONS_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.NOTIFICATIONS_RETRY_MAX_SECONDS))


def _retry_later(delivery: Delivery, claimed_at: datetime, error: str, result: BatchResult,
                 *, was: str = Status.SENDING) -> None:
    attempts = delivery.attempts + 1
    if attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
        _fail(delivery, claimed_at, f"Gave up after {attempts} attempts. Last: {error}", result, was=was)
        return
    _mine(delivery, claimed_at, was).update(
        status=Status.PENDING, attempts=attempts, last_error=error[:2000], sent_at=None,
        next_attempt_at=timezone.now() + backoff(attempts),
    )
    result.retrying += 1


def _fail(delivery: Delivery, claimed_at: datetime, error: str, result: BatchResult,
          *, was: str = Status.SENDING) -> None:
    _mine(delivery, claimed_at, was).update(
        status=Status.FAILED, attempts=delivery.attempts + 1, last_error=error[:2000], sent_at=None,
    )
    result.failed += 1


def _release(deliveries: list[Delivery], claimed_at: datetime) -> None:
    """Gives back claimed deliveries that were not tried, without counting an attempt."""
    if deliveries:
        Delivery.objects.filter(
            pk__in=[delivery.pk for delivery in deliveries], status=Status.SENDING, claimed_at=claimed_at
        ).update(status=Status.PENDING, claimed_at=None, claimed_by="")


def _seconds_until_due(dispatch_id: int, *, only_later: bool) -> float | None:
    """When the dispatch next has deliveries to send. After an empty claim, due ones are
    being claimed by another worker: only later ones (backoff) are this chain's concern."""
    now = timezone.now()
    pending = Delivery.objects.filter(dispatch_id=dispatch_id, status=Status.PENDING)
    if only_later:
        pending = pending.filter(next_attempt_at__gt=now)
    earliest = pending.aggregate(earliest=Min("next_attempt_at"))["earliest"]
    if earliest is None:
        return None
    return max(0.0, (earliest - now).total_seconds())


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


# -- the sweep -----------------------------------------------------------------------


@dataclass
class SweepReport:
    unexpanded: list[int] = field(default_factory=list)  # dispatches to expand
    unsent: list[int] = field(default_factory=list)  # dispatches with deliveries to send
    reclaimed: int = 0  # deliveries taken back from a worker that stopped mid-batch


def sweep_outbox(*, now: datetime | None = None) -> SweepReport:
    """Finds what was left behind: dispatches never expanded (the broker was down when they
    were recorded, or the worker died), deliveries claimed by a worker that never finished
    (killed), and due deliveries nobody is sending. Returns which dispatches to queue.

    A claim is taken back once its worker's heartbeat has stopped for
    NOTIFICATIONS_WORKER_DEAD_AFTER_SECONDS (the worker died), or once the lease has run out
    (a claim without a worker's name, or a worker alive but stuck). A grace period leaves
    alone what a live worker is about to do anyway. Also forgets heartbeats a day old.
    """
    now = now or timezone.now()
    grace = timedelta(seconds=settings.NOTIFICATIONS_SWEEP_AFTER_SECONDS)
    lease = timedelta(seconds=settings.NOTIFICATIONS_SENDING_LEASE_SECONDS)
    dead_after = timedelta(seconds=settings.NOTIFICATIONS_WORKER_DEAD_AFTER_SECONDS)
    report = SweepReport()
    alive = WorkerHeartbeat.objects.filter(seen_at__gte=now - dead_after).values("hostname")
    holder_dead = (models.Q(claimed_at__lt=now - dead_after) & ~models.Q(claimed_by="")
                   & ~models.Q(claimed_by__in=alive))
    abandoned = Delivery.objects.filter(status=Status.SENDING).filter(
        models.Q(claimed_at__lt=now - lease) | holder_dead
    )
    reclaimed_dispatches = set(abandoned.values_list("dispatch_id", flat=True).distinct()[:SWEEP_LIMIT])
    # The owner writes only under its claim (status and claimed_at), so once this UPDATE
    # commits, a worker that was merely slow cannot send these any more.
    report.reclaimed = abandoned.update(status=Status.PENDING, claimed_at=None, claimed_by="", next_attempt_at=now)
    WorkerHeartbeat.objects.filter(seen_at__lt=now - HEARTBEAT_KEPT).delete()
    report.unexpanded = list(
        Dispatch.objects.filter(expanded_at__isnull=True, created_at__lte=now - grace)
        .filter(models.Q(hold_until__isnull=True) | models.Q(hold_until__lte=now - grace))
        .order_by("created_at").values_list("pk", flat=True)[:SWEEP_LIMIT]
    )
    waiting = set(
        Delivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now - grace)
        .values_list("dispatch_id", flat=True).distinct()[:SWEEP_LIMIT]
    )
    report.unsent = sorted(waiting | reclaimed_dispatches)
    if report.reclaimed or report.unexpanded or report.unsent:
        logger.info("Outbox sweep: %s deliveries taken back, %s dispatches to expand, %s to send.",
                    report.reclaimed, len(report.unexpanded), len(report.unsent))
    return report


# -- reminders -----------------------------------------------------------------------


def record_meeting_reminders(*, now: datetime | None = None) -> list[Dispatch]:
    """Records a reminder for each scheduled meeting starting within the next 24 hours.

    Run by beat every few minutes; each meeting gets one reminder per day it is held on
    (the dispatch's key), so running again, or twice at once, adds nothing, while a
    meeting moved to another day is reminded of again for its new date.
    """
    now = now or timezone.now()
    window = timedelta(hours=settings.NOTIFICATIONS_REMINDER_HOURS)
    meetings = Meeting.objects.filter(status=Meeting.Status.SCHEDULED, starts_at__gt=now, starts_at__lte=now + window)
    recorded = []
    for meeting in meetings.only("pk", "starts_at", "time_zone"):
        key = reminder_key(meeting)
        if Dispatch.objects.filter(key=key).exists():
            continue
        try:
            with transaction.atomic():
                recorded.append(record_dispatch(
                    event=Dispatch.Event.MEETING_REMINDER,
                    target=meeting,
                    audience=Dispatch.Audience.MEETING_ATTENDEES,
                    context={"starts_at": meeting.starts_at.isoformat()},
                    key=key,
                ))
        except IntegrityError:
            continue  # another run recorded it a moment ago
    return recorded


def reminder_key(meeting: Meeting) -> str:
    local_day = meeting.starts_at.astimezone(zoneinfo.ZoneInfo(meeting.time_zone)).date()
    return f"meeting-reminder:{meeting.pk}:{local_day.isoformat()}"


# -- the secretariat's and the recipients' actions ----------------------------------------


def retry_failed_deliveries(*, dispatch: Dispatch, by) -> int:
    """Puts the dispatch's failed deliveries back in the queue with a fresh count of
    attempts (e.g. once a mailbox is fixed). Returns how many; sends after commit.

    Raises PermissionDenied for anyone but the secretariat.
    """
    if not is_secretariat(by):
        raise PermissionDenied
    with transaction.atomic():
        locked = Dispatch.objects.select_for_update().get(pk=dispatch.pk)
        count = locked.deliveries.filter(status=Status.FAILED).update(
            status=Status.PENDING, attempts=0, next_attempt_at=timezone.now(), claimed_at=None
        )
        if locked.expanded_at is None:
            transaction.on_commit(partial(enqueue_expansion, locked.pk))
        elif count:
            transaction.on_commit(partial(enqueue_sending, locked.pk))
    logger.info("%s put %s failed deliveries of dispatch %s back in the queue.", by, count, dispatch.pk)
    return count


@transaction.atomic
def set_preference(*, person, category: str, mode: str) -> NotificationPreference:
    """Records whether `person` wants notices of `category` (ValueError for an unknown one)."""
    if category not in Category.values or mode not in NotificationPreference.Mode.values:
        raise ValueError(f"unknown category or mode: {category!r}, {mode!r}")
    preference, _ = NotificationPreference.objects.update_or_create(
        person=person, category=category, defaults={"mode": mode}
    )
    return preference


def unsubscribe(*, token: str) -> list[NotificationPreference]:
    """Switches off the category named in a signed unsubscribe link; the daily digest's
    link switches off every category the person takes in the digest (stopping the digest
    must not turn it into a mail per notice). Returns the settings changed.

    Raises signing.BadSignature for an altered, used or expired link; ValueError for a category that no longer exists.
    """
    with transaction.atomic():
        # Locked: two clicks at once unsubscribe once, and the second finds the link spent.
        key, category = unsubscribe_keys.read(token, for_update=True)
        person = key.person
        if category != DIGEST_CATEGORY and category not in Category.values:
            raise ValueError(category)
        off = NotificationPreference.Mode.OFF
        if category == DIGEST_CATEGORY:
            in_digest = [name for name, mode in preferences_of(person).items()
                         if mode == NotificationPreference.Mode.DIGEST]
            changed = [set_preference(person=person, category=name, mode=off) for name in in_digest]
        else:
            changed = [set_preference(person=person, category=category, mode=off)]
        unsubscribe_keys.spend(key)
    return changed


def preferences_of(person) -> dict[str, str]:
    """Every category with the person's setting (immediate unless they chose otherwise)."""
    chosen = dict(NotificationPreference.objects.filter(person=person).values_list("category", "mode"))
    return {category: chosen.get(category, NotificationPreference.Mode.IMMEDIATE) for category in Category.values}
