"""Several workers share one fan-out: a claim skips the rows another worker is claiming
instead of waiting for them (SELECT … FOR UPDATE SKIP LOCKED). Needs PostgreSQL: SQLite
serialises everything and would prove nothing."""

import threading
import time
from unittest import mock

import pytest
from django.db import connection, transaction

from notifications import services
from notifications.marks import Marks, PipelinedMark
from notifications.models import Delivery, Dispatch
from notifications.services import expand_dispatch, record_dispatch
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_claim_skips_the_rows_another_worker_holds_without_waiting(cast, group_meeting):
    for _ in range(5):
        MembershipFactory(working_group=cast.group_a, person=UserFactory(role="official"))
    # Recorded outside a transaction, the dispatch would be sent at once (tasks run
    # in-process here): nothing is queued.
    with mock.patch.object(services, "enqueue_expansion"):
        dispatch = record_dispatch(event=Dispatch.Event.MINUTES_PUBLISHED, target=group_meeting,
                                   audience=Dispatch.Audience.GROUP_MEMBERS)
    assert expand_dispatch(dispatch_id=dispatch.pk) == 6
    held, release, first = threading.Event(), threading.Event(), []

    def other_worker() -> None:
        try:
            with transaction.atomic():
                first.extend(
                    Delivery.objects.filter(dispatch=dispatch, status=Delivery.Status.PENDING).order_by("pk")
                    .select_for_update(skip_locked=True).values_list("pk", flat=True)[:3]
                )
                held.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    assert held.wait(10)
    started = time.monotonic()
    _, second = services.claim_batch(dispatch_id=dispatch.pk, size=10)
    waited = time.monotonic() - started
    release.set()
    thread.join()

    assert len(first) == 3 and len(second) == 3
    assert not set(first) & set(second)
    assert waited < 2, "the claim waited for the other worker's rows"


def test_the_mark_commits_only_when_the_final_dot_went_out(cast, group_meeting):
    with mock.patch.object(services, "enqueue_expansion"):
        dispatch = record_dispatch(event=Dispatch.Event.MINUTES_PUBLISHED, target=group_meeting,
                                   audience=Dispatch.Audience.GROUP_MEMBERS)
    expand_dispatch(dispatch_id=dispatch.pk)
    claimed_at, [delivery_id] = services.claim_batch(dispatch_id=dispatch.pk, size=10)
    delivery = Delivery.objects.get(pk=delivery_id)
    marks = Marks()

    # The dot could not be written: the mark is undone.
    mark = marks.mark(delivery, claimed_at)
    assert isinstance(mark, PipelinedMark), "on PostgreSQL the marks travel on a connection of their own"
    mark.begin()
    assert mark.is_ours()
    mark.rollback()
    assert Delivery.objects.get(pk=delivery_id).status == Delivery.Status.SENDING

    mark = marks.mark(delivery, claimed_at)
    mark.begin()
    assert mark.is_ours()
    # Until the COMMIT, another connection still sees the delivery as being sent.
    assert _seen_elsewhere(delivery_id) == Delivery.Status.SENDING
    mark.commit()
    mark.settle()
    assert Delivery.objects.get(pk=delivery_id).status == Delivery.Status.SENT

    mark = marks.mark(delivery, claimed_at)
    mark.begin()
    assert not mark.is_ours()  # sent already: not this claim's to send again
    mark.rollback()
    marks.close()


def test_a_commit_written_before_the_worker_dies_is_applied(cast, group_meeting):
    """What the pipelined marks rely on: once COMMIT has left the worker, PostgreSQL
    applies it even though nobody reads its answer (the worker was killed)."""
    with mock.patch.object(services, "enqueue_expansion"):
        dispatch = record_dispatch(event=Dispatch.Event.MINUTES_PUBLISHED, target=group_meeting,
                                   audience=Dispatch.Audience.GROUP_MEMBERS)
    expand_dispatch(dispatch_id=dispatch.pk)
    claimed_at, [delivery_id] = services.claim_batch(dispatch_id=dispatch.pk, size=10)
    marks = Marks()
    mark = marks.mark(Delivery.objects.get(pk=delivery_id), claimed_at)
    mark.begin()
    assert mark.is_ours()

    mark.commit()
    marks.close()  # the connection gone before the answer came back, as with SIGKILL

    deadline = time.monotonic() + 5
    while _seen_elsewhere(delivery_id) != Delivery.Status.SENT and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _seen_elsewhere(delivery_id) == Delivery.Status.SENT


def _seen_elsewhere(delivery_id: int) -> str:
    seen = []

    def look() -> None:
        try:
            seen.append(Delivery.objects.get(pk=delivery_id).status)
        finally:
            connection.close()

    thread = threading.Thread(target=look)
    thread.start()
    thread.join()
    return seen[0]
