"""Recording a dispatch in the service's transaction, and the sweep that finds what a dead
worker or an unreachable broker left behind."""

import logging
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from dicas_portal.celery import app as celery_app
from notifications import services, tasks
from notifications.models import Delivery, Dispatch
from notifications.services import expand_dispatch, record_dispatch, sweep_outbox
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

Event, Audience, Status = Dispatch.Event, Dispatch.Audience, Delivery.Status


@pytest.fixture
def broker_queue():
    """Tasks go to a broker (mocked here) instead of running in-process."""
    celery_app.conf.task_always_eager = False
    with mock.patch.object(tasks.expand_dispatch, "delay") as expand, \
            mock.patch.object(tasks.send_deliveries, "delay") as send:
        yield expand, send
    celery_app.conf.task_always_eager = True


def test_the_dispatch_is_queued_only_once_the_transaction_commits(group_meeting, broker_queue,
                                                                   django_capture_on_commit_callbacks):
    expand, _ = broker_queue
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            dispatch = record_dispatch(event=Event.AGENDA_PUBLISHED, target=group_meeting,
                                       audience=Audience.MEETING_VIEWERS)
            assert not expand.called
    expand.assert_called_once_with(dispatch.pk)


def test_a_rolled_back_change_leaves_no_dispatch_and_queues_nothing(group_meeting, broker_queue,
                                                                     django_capture_on_commit_callbacks):
    expand, _ = broker_queue
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            record_dispatch(event=Event.AGENDA_PUBLISHED, target=group_meeting, audience=Audience.MEETING_VIEWERS)
            raise RuntimeError("the change failed")
    assert not Dispatch.objects.exists()
    assert not expand.called


def test_an_unreachable_broker_does_not_fail_the_publish_and_is_logged(group_meeting, broker_queue, caplog,
                                                                        django_capture_on_commit_callbacks):
    expand, _ = broker_queue
    expand.side_effect = OperationalError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")
    with caplog.at_level(logging.WARNING, logger="notifications.services"):
        with django_capture_on_commit_callbacks(execute=True):
            with transaction.atomic():
                dispatch = record_dispatch(event=Event.AGENDA_PUBLISHED, target=group_meeting,
                                           audience=Audience.MEETING_VIEWERS)

    assert Dispatch.objects.get(pk=dispatch.pk).expanded_at is None
    [record] = [record for record in caplog.records if record.name == "notifications.services"]
    assert f"Could not queue dispatch {dispatch.pk}" in record.getMessage() and record.exc_info


def test_the_publish_costs_the_same_for_ten_recipients_and_for_two_hundred(cast, broker_queue):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import MeetingFactory, WorkingGroupFactory

    def queries_to_publish_to_a_group_of(size: int) -> list[str]:
        group = WorkingGroupFactory()
        for _ in range(size):
            MembershipFactory(working_group=group, person=UserFactory(role="official"))
        meeting = MeetingFactory(working_group=group)
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            record_dispatch(event=Event.MINUTES_PUBLISHED, target=meeting, audience=Audience.GROUP_MEMBERS)
        return [query["sql"] for query in queries.captured_queries if "INSERT" in query["sql"] or "SELECT" in query["sql"]]

    few, many = queries_to_publish_to_a_group_of(10), queries_to_publish_to_a_group_of(200)
    # One INSERT of the dispatch, nothing per recipient.
    assert len(few) == len(many) == 1 and few[0].startswith('INSERT INTO "notifications_dispatch"')


def test_an_unexpanded_dispatch_is_swept_once_it_is_older_than_the_grace(group_meeting, settings):
    settings.NOTIFICATIONS_SWEEP_AFTER_SECONDS = 60
    dispatch = record_dispatch(event=Event.AGENDA_PUBLISHED, target=group_meeting, audience=Audience.GROUP_MEMBERS)

    assert sweep_outbox().unexpanded == []
    assert sweep_outbox(now=timezone.now() + timedelta(seconds=61)).unexpanded == [dispatch.pk]


def test_deliveries_of_a_dead_worker_are_taken_back_after_the_lease(cast, group_meeting, settings):
    settings.NOTIFICATIONS_SENDING_LEASE_SECONDS = 600
    dispatch = record_dispatch(event=Event.AGENDA_PUBLISHED, target=group_meeting, audience=Audience.GROUP_MEMBERS)
    expand_dispatch(dispatch_id=dispatch.pk)
    services.claim_batch(dispatch_id=dispatch.pk, size=10)  # ...and the worker is killed

    assert sweep_outbox().reclaimed == 0
    report = sweep_outbox(now=timezone.now() + timedelta(seconds=601))

    assert report.reclaimed == 1 and report.unsent == [dispatch.pk]
    delivery = Delivery.objects.get(dispatch=dispatch)
    assert delivery.status == Status.PENDING and delivery.claimed_at is None and delivery.attempts == 0


def test_due_deliveries_nobody_sends_are_swept_but_a_backoff_is_respected(cast, group_meeting, settings):
    settings.NOTIFICATIONS_SWEEP_AFTER_SECONDS = 60
    dispatch = record_dispatch(event=Event.AGENDA_PUBLISHED, target=group_meeting, audience=Audience.GROUP_MEMBERS)
    expand_dispatch(dispatch_id=dispatch.pk)
    Delivery.objects.update(next_attempt_at=timezone.now() + timedelta(minutes=10))

    assert sweep_outbox(now=timezone.now() + timedelta(minutes=5)).unsent == []
    assert sweep_outbox(now=timezone.now() + timedelta(minutes=12)).unsent == [dispatch.pk]


def test_the_sweep_task_sends_what_was_left_behind_exactly_once(cast, group_meeting, settings):
    settings.NOTIFICATIONS_SWEEP_AFTER_SECONDS = 0
    # Recorded while the broker was down: nothing was queued.
    dispatch = record_dispatch(event=Event.AGENDA_PUBLISHED, target=group_meeting, audience=Audience.GROUP_MEMBERS)

    tasks.sweep_outbox.delay()
    tasks.sweep_outbox.delay()

    assert [message.to for message in mail.outbox] == [[f"{cast.member.profile.display_name} <{cast.member.email}>"]]
    assert Delivery.objects.get(dispatch=dispatch).status == Status.SENT


def test_a_dispatch_with_a_key_is_recorded_at_most_once(group_meeting):
    from django.db import IntegrityError

    record_dispatch(event=Event.MEETING_REMINDER, target=group_meeting, audience=Audience.MEETING_ATTENDEES,
                    key="reminder-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        record_dispatch(event=Event.MEETING_REMINDER, target=group_meeting, audience=Audience.MEETING_ATTENDEES,
                        key="reminder-1")


@pytest.fixture
def claimed_by_worker(cast, group_meeting, monkeypatch):
    """A delivery claimed by the worker `celery@portal-1/4242-a1b2c3`, which beat just before."""
    from notifications import heartbeat

    monkeypatch.setattr(heartbeat, "_worker_name", "celery@portal-1/4242-a1b2c3")
    services.record_worker_heartbeat(hostname=heartbeat.current_worker())
    dispatch = record_dispatch(event=Event.AGENDA_PUBLISHED, target=group_meeting, audience=Audience.GROUP_MEMBERS)
    expand_dispatch(dispatch_id=dispatch.pk)
    services.claim_batch(dispatch_id=dispatch.pk, size=10)
    return dispatch


def test_a_claim_names_the_worker_holding_it(claimed_by_worker):
    delivery = Delivery.objects.get(dispatch=claimed_by_worker)
    assert delivery.status == Status.SENDING and delivery.claimed_by == "celery@portal-1/4242-a1b2c3"


def test_a_dead_workers_claim_is_taken_back_once_its_heartbeat_stopped_without_waiting_for_the_lease(
        claimed_by_worker, settings):
    settings.NOTIFICATIONS_SENDING_LEASE_SECONDS = 600
    settings.NOTIFICATIONS_WORKER_DEAD_AFTER_SECONDS = 30

    assert sweep_outbox(now=timezone.now() + timedelta(seconds=20)).reclaimed == 0
    report = sweep_outbox(now=timezone.now() + timedelta(seconds=31))

    assert report.reclaimed == 1 and report.unsent == [claimed_by_worker.pk]
    delivery = Delivery.objects.get(dispatch=claimed_by_worker)
    assert (delivery.status, delivery.claimed_at, delivery.claimed_by) == (Status.PENDING, None, "")


def test_a_slow_worker_that_still_beats_keeps_its_claim_until_the_lease_runs_out(claimed_by_worker, settings):
    settings.NOTIFICATIONS_SENDING_LEASE_SECONDS = 600
    settings.NOTIFICATIONS_WORKER_DEAD_AFTER_SECONDS = 30
    later = timezone.now() + timedelta(seconds=300)
    services.record_worker_heartbeat(hostname="celery@portal-1/4242-a1b2c3")
    from notifications.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update(seen_at=later - timedelta(seconds=5))  # it beat 5 s before the sweep

    assert sweep_outbox(now=later).reclaimed == 0
    assert Delivery.objects.get(dispatch=claimed_by_worker).status == Status.SENDING
    WorkerHeartbeat.objects.update(seen_at=later + timedelta(seconds=300))
    assert sweep_outbox(now=later + timedelta(seconds=301)).reclaimed == 1  # the lease, for a stuck worker


def test_a_worker_restarted_under_the_same_node_name_does_not_vouch_for_the_dead_ones_claim(
        claimed_by_worker, settings):
    settings.NOTIFICATIONS_WORKER_DEAD_AFTER_SECONDS = 30
    later = timezone.now() + timedelta(seconds=40)
    from notifications.models import WorkerHeartbeat

    WorkerHeartbeat.objects.create(hostname="celery@portal-1/4300-d4e5f6", seen_at=later)

    assert sweep_outbox(now=later).reclaimed == 1


def test_the_sweep_forgets_heartbeats_a_day_old(settings):
    from notifications.models import WorkerHeartbeat

    services.record_worker_heartbeat(hostname="celery@portal-1/1-000000")
    sweep_outbox(now=timezone.now() + timedelta(hours=23))
    assert WorkerHeartbeat.objects.exists()
    sweep_outbox(now=timezone.now() + timedelta(hours=25))
    assert not WorkerHeartbeat.objects.exists()
