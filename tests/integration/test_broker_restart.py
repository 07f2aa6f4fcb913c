"""The worker survives its Redis broker restarting while it runs a task (acks_late on), and
the health check tells when no worker beats. Real PostgreSQL, a redis-server of the test's
own on a spare loopback port (the shared one is never stopped), `celery worker` processes
under a supervisor emulating systemd's Restart=always, an SMTP sink.

Without dicas_portal/broker.py the worker exits at the restart with "Unrecoverable error:
AttributeError('NoneType' object has no attribute 'hostname')": this test is the
reproduction (prefork with two processes, as production runs, one task running)."""

import json

import pytest

from notifications.models import Delivery, WorkerHeartbeat
from tests.integration.test_notifications_delivery import (
    FAST,
    all_sent,
    group_meeting,
    many_members,
    publish_minutes,
    swept_until_all_sent,
)
from tests.factories import WorkingGroupFactory
from tests.notifications.processes import RedisServer, Supervisor, WorkerProcess, tasks_sent_to, wait_for
from tests.notifications.sink import SmtpSink, free_port

pytestmark = [
    pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not RedisServer.available(), reason="needs redis-server to start a broker of its own"),
]

HEARTBEAT = {"NOTIFICATIONS_WORKER_HEARTBEAT_SECONDS": "0.2", "NOTIFICATIONS_WORKER_DEAD_AFTER_SECONDS": "2"}


@pytest.fixture
def sink():
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def own_broker():
    broker = RedisServer(free_port()).start()
    with tasks_sent_to(broker.url):
        yield broker
    broker.stop()


def health(client) -> tuple[int, dict]:
    response = client.get("/healthz")
    return response.status_code, json.loads(response.content)


def test_the_worker_takes_work_again_after_its_broker_restarts_mid_task_and_health_follows(
        cast, sink, own_broker, test_database_url, tmp_path, client, settings):
    settings.HEALTH_WORKER_MAX_AGE_SECONDS = 2
    group = WorkingGroupFactory()
    first_addresses = many_members(group, 10)
    meeting = group_meeting(group)
    worker = WorkerProcess(
        environment={"DATABASE_URL": test_database_url, "CELERY_BROKER_URL": own_broker.url, "EMAIL_URL": sink.url,
                     **FAST, **HEARTBEAT},
        log=tmp_path / "worker", pool="prefork", concurrency=2, same_name=True,
    )

    status, report = health(client)
    assert status == 503 and report["worker"] == "error: no worker has ever sent a heartbeat"

    supervisor = Supervisor(worker).start()
    try:
        assert wait_for(lambda: health(client)[0] == 200, timeout=30), health(client)

        # A batch is being sent (the mail server holds the first message) when Redis restarts.
        sink.hold_after(0)
        first = publish_minutes(meeting)
        assert wait_for(sink.holding.is_set, timeout=30), worker.logs()
        claims = set(Delivery.objects.filter(dispatch=first, status=Delivery.Status.SENDING)
                     .values_list("claimed_by", flat=True))
        # Claimed in a pool process, under the name of the worker that forked it.
        assert claims and "" not in claims, claims
        own_broker.stop()
        status, report = health(client)
        assert status == 503 and report["broker"].startswith("error")
        own_broker.start()
        sink.release()

        # The same worker process goes on: nothing for the supervisor to do.
        assert wait_for(lambda: "Connected to" in worker.logs().split("Connection to broker lost")[-1],
                        timeout=30), worker.logs()
        assert supervisor.restarts == 0, f"the worker exited ({supervisor.exit_codes}):\n{worker.logs()}"
        assert "Unrecoverable error" not in worker.logs()
        assert wait_for(lambda: health(client)[0] == 200, timeout=30), health(client)

        # Notices flow: the interrupted one is finished (by the task, or the sweep after the
        # lease), and a new one, queued after the restart, is sent by the same worker.
        assert wait_for(swept_until_all_sent(first, 10), timeout=60, interval=0.5), worker.logs()
        later_group = WorkingGroupFactory()
        later_addresses = many_members_named(later_group, 5, prefix="later")
        second = publish_minutes(group_meeting(later_group))
        assert wait_for(all_sent(second, 5), timeout=30), worker.logs()
        assert supervisor.restarts == 0
    finally:
        supervisor.stop()

    received = sink.per_recipient()
    assert {address: received[address] for address in first_addresses} == dict.fromkeys(first_addresses, 1)
    assert {address: received[address] for address in later_addresses} == dict.fromkeys(later_addresses, 1)

    # Once the worker is gone, its heartbeat ages past the threshold and health says so.
    assert WorkerHeartbeat.objects.exists()
    assert wait_for(lambda: health(client)[0] == 503, timeout=30)
    assert health(client)[1]["worker"] == "error: the newest heartbeat is older than 2 s"


def test_a_worker_that_exits_is_replaced_by_the_supervisor_and_notices_flow_again(
        cast, sink, own_broker, test_database_url, tmp_path, client, settings):
    """Whatever else stops a worker (here SIGKILL), the supervisor starts another; health is
    503 while none beats and 200 again once the replacement does."""
    settings.HEALTH_WORKER_MAX_AGE_SECONDS = 2
    worker = WorkerProcess(
        environment={"DATABASE_URL": test_database_url, "CELERY_BROKER_URL": own_broker.url, "EMAIL_URL": sink.url,
                     **FAST, **HEARTBEAT},
        log=tmp_path / "worker", same_name=True,
    )
    supervisor = Supervisor(worker, check_every=5.0).start()
    try:
        assert wait_for(lambda: health(client)[0] == 200, timeout=30)
        worker.kill()
        # Health notices before the (deliberately slow, here) supervisor restarts it.
        assert wait_for(lambda: health(client)[0] == 503, timeout=30)
        group = WorkingGroupFactory()
        addresses = many_members_named(group, 5, prefix="after-restart")
        dispatch = publish_minutes(group_meeting(group))
        assert wait_for(lambda: supervisor.restarts == 1, timeout=30)
        assert wait_for(lambda: health(client)[0] == 200, timeout=30), worker.logs()
        assert wait_for(swept_until_all_sent(dispatch, 5), timeout=60, interval=0.5), worker.logs()
    finally:
        supervisor.stop()
    assert sink.per_recipient() == dict.fromkeys(addresses, 1)


def many_members_named(group, count: int, *, prefix: str) -> list[str]:
    """Like many_members, with addresses of their own so that two groups can coexist."""
    from django.contrib.auth import get_user_model

    from participants.models import Organization, Profile
    from working_groups.models import Membership

    organization = Organization.objects.create(name=f"Ministry {prefix}", kind=Organization.Kind.GOVERNMENT,
                                               country_id="JP")
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"{prefix}{n}@mod.example", email=f"{prefix}{n}@mod.example", password="!")
        for n in range(count)
    )
    Profile.objects.bulk_create(
        Profile(user=user, role=Profile.Role.OFFICIAL, organization=organization, verified_organization=organization,
                full_name=f"Official {n}")
        for n, user in enumerate(users)
    )
    Membership.objects.bulk_create(Membership(working_group=group, person=user) for user in users)
    return [user.email for user in users]
