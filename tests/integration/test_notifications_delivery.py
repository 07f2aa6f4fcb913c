"""The outbox end to end: the real PostgreSQL, Redis and `celery worker` processes, and an
SMTP server (aiosmtpd) on a free loopback port. Publishing reaches each person who may see
what was published, once, in their language, whatever dies on the way: the worker (SIGKILL
mid fan-out), the broker (stopped before the publish), or the mail server's patience
(451 for a while; 550 for good).

Each test points its worker at a sink of its own through EMAIL_URL, with short backoff and
lease settings so that it finishes in seconds.
"""

import logging
import time
import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from forums.models import Meeting
from notifications import tasks
from notifications.models import Delivery, Dispatch
from notifications.services import record_dispatch
from participants.models import Organization, Profile
from tests.factories import MeetingFactory, MembershipFactory, UserFactory, WorkingGroupFactory
from tests.notifications.processes import RedisServer, WorkerProcess, tasks_sent_to, wait_for
from tests.notifications.sink import SmtpSink, free_port
from working_groups.models import Membership

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
Status = Delivery.Status

# Seconds, for the worker under test: retries and take-backs within a test's few seconds.
FAST = {
    "NOTIFICATIONS_RETRY_BASE_SECONDS": "0.2",
    "NOTIFICATIONS_SENDING_LEASE_SECONDS": "2",
    "NOTIFICATIONS_SWEEP_AFTER_SECONDS": "0",
}


@pytest.fixture
def sink():
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def worker_for(test_database_url, tmp_path):
    """Makes workers on the test database sending to a sink; stops them at the end."""
    workers: list[WorkerProcess] = []

    def make(sink: SmtpSink, *, broker_url: str, **settings: str) -> WorkerProcess:
        environment = {"DATABASE_URL": test_database_url, "CELERY_BROKER_URL": broker_url,
                       "EMAIL_URL": sink.url, **FAST, **settings}
        worker = WorkerProcess(environment=environment, log=tmp_path / f"worker-{len(workers)}")
        workers.append(worker)
        return worker

    yield make
    for worker in workers:
        worker.stop()


def group_meeting(group) -> Meeting:
    return MeetingFactory(
        kind=Meeting.Kind.WORKING_GROUP, working_group=group, visibility=Meeting.Visibility.GROUP_MEMBERS,
        title_en="Ship repair working group", title_ja="艦船の補修・整備作業部会",
        starts_at=datetime(2030, 6, 11, 10, 0, tzinfo=TOKYO), ends_at=datetime(2030, 6, 11, 12, 0, tzinfo=TOKYO),
    )


def many_members(group, count: int) -> list[str]:
    """`count` officials in `group`, made in a few queries; returns their addresses."""
    organization = Organization.objects.create(name="Ministry of Defense", kind=Organization.Kind.GOVERNMENT,
                                               country_id=_japan())
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"official{n}@mod.example", email=f"official{n}@mod.example", password="!")
        for n in range(count)
    )
    Profile.objects.bulk_create(
        Profile(user=user, role=Profile.Role.OFFICIAL, organization=organization, verified_organization=organization,
                full_name=f"Official {n}",
                preferred_language="ja" if n % 2 else "en")
        for n, user in enumerate(users)
    )
    Membership.objects.bulk_create(Membership(working_group=group, person=user) for user in users)
    return [user.email for user in users]


def _japan() -> str:
    from participants.models import Country

    return Country.objects.get_or_create(code="JP", defaults={"name_en": "Japan", "name_ja": "日本"})[0].code


def publish_minutes(meeting: Meeting) -> Dispatch:
    """As the minutes service does: the notice recorded in the publishing transaction."""
    with transaction.atomic():
        return record_dispatch(event=Dispatch.Event.MINUTES_PUBLISHED, target=meeting,
                               audience=Dispatch.Audience.GROUP_MEMBERS)


def all_sent(dispatch: Dispatch, count: int):
    return lambda: Delivery.objects.filter(dispatch=dispatch, status=Status.SENT).count() == count


def swept_until_all_sent(dispatch: Dispatch, count: int):
    """Beat runs the sweep every 30 seconds; here the test does, until the work left behind
    (a dead worker's claim once its lease has run out, an unexpanded dispatch) is sent."""

    def swept_and_done() -> bool:
        tasks.sweep_outbox.delay()
        return all_sent(dispatch, count)()

    return swept_and_done


def test_minutes_reach_each_member_who_may_see_them_once_in_their_language(cast, sink, worker_for, clean_broker):
    japanese = UserFactory(role="official")
    Profile.objects.filter(user=japanese).update(preferred_language="ja", time_zone="America/New_York")
    inactive = UserFactory(role="official", is_active=False)
    bare_account = UserFactory()  # a member without a profile may not see a members-only meeting
    for person in (japanese, inactive, bare_account):
        MembershipFactory(working_group=cast.group_a, person=person)
    MembershipFactory(working_group=cast.group_b, person=cast.outsider)
    meeting = group_meeting(cast.group_a)
    worker_for(sink, broker_url=clean_broker, PORTAL_MAIL_DOMAIN="mail.dicas-portal.example").start()

    dispatch = publish_minutes(meeting)

    assert wait_for(lambda: sink.count() >= 2, timeout=30)
    assert wait_for(all_sent(dispatch, 2), timeout=10)
    time.sleep(0.5)  # anything more would come now
    assert sink.per_recipient() == {cast.member.email: 1, japanese.email: 1}
    [english_mail], [japanese_mail] = sink.to(cast.member.email), sink.to(japanese.email)
    assert english_mail["Subject"] == "Minutes published: Ship repair working group"
    assert english_mail["Content-Language"] == "en"
    assert japanese_mail["Subject"].endswith("艦船の補修・整備作業部会")
    assert japanese_mail["Content-Language"] == "ja"
    japanese_text = japanese_mail.get_body(("plain",)).get_content()
    assert "2030年6月11日 10:00 JST" in japanese_text and "2030年6月10日 21:00 EDT" in japanese_text
    assert "<html lang=\"ja\">" in japanese_mail.get_body(("html",)).get_content()
    delivery = Delivery.objects.get(dispatch=dispatch, recipient=japanese)
    # Its own stored random part, at the installation's mail domain (the worker's setting).
    assert japanese_mail["Message-ID"] == f"<{delivery.message_id_part}@mail.dicas-portal.example>"
    assert english_mail["Message-ID"] != japanese_mail["Message-ID"]
    assert japanese_mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_worker_killed_mid_fan_out_and_restarted_leaves_every_recipient_one_message(cast, sink, worker_for,
                                                                                    clean_broker):
    group = WorkingGroupFactory()
    addresses = many_members(group, 500)
    meeting = group_meeting(group)
    # Small batches: the kill lands with batches done, one half sent, and some not started.
    worker = worker_for(sink, broker_url=clean_broker, NOTIFICATIONS_BATCH_SIZE="40").start()

    dispatch = publish_minutes(meeting)

    def in_the_middle() -> bool:
        # 150 of the 500 sent, and a batch claimed and being sent: the kill leaves a claim behind.
        return sink.count() >= 150 and Delivery.objects.filter(dispatch=dispatch, status=Status.SENDING).exists()

    assert wait_for(in_the_middle, timeout=60, interval=0.01), worker.logs()
    worker.kill()
    assert sink.count() < 500, "the fan-out ended before the kill: the test proves nothing"

    worker.start()
    # The lease of the dead worker's claim is 2 s here.
    assert wait_for(swept_until_all_sent(dispatch, 500), timeout=60, interval=0.5), worker.logs()
    time.sleep(0.5)
    received = sink.per_recipient()
    assert set(addresses) - set(received) == set(), "lost"
    # SMTP cannot be exactly-once across a SIGKILL: a kill in the microseconds between the
    # final "." and the COMMIT of the "sent" mark repeats that one message. It then carries
    # the same Message-ID, so mail systems that suppress duplicates drop it. What must hold:
    # one distinct notice per recipient, and at most the single in-flight message repeated.
    twice = {address for address, count in received.items() if count > 1}
    assert len(twice) <= 1 and all(count <= 2 for count in received.values()), f"sent twice: {twice}"
    for address in twice:
        assert len({message["Message-ID"] for message in sink.to(address)}) == 1, "a repeat with a new Message-ID"
    assert sink.count() - len(twice) == 500


def test_a_worker_killed_in_the_middle_of_a_message_and_restarted_sends_each_recipient_exactly_one(
        cast, sink, worker_for, clean_broker):
    """The kill lands while the worker waits for the server in the middle of its 201st
    message, with 200 sent, that one claimed with its batch and the rest not started:
    after the restart and the sweep, every recipient has exactly one message. (A kill at a
    moment left to chance is the test above; transport.py says which microseconds differ.)"""
    group = WorkingGroupFactory()
    addresses = many_members(group, 500)
    meeting = group_meeting(group)
    sink.hold_after(200)
    worker = worker_for(sink, broker_url=clean_broker, NOTIFICATIONS_BATCH_SIZE="40").start()

    dispatch = publish_minutes(meeting)

    assert wait_for(sink.holding.is_set, timeout=60), worker.logs()
    assert Delivery.objects.filter(dispatch=dispatch, status=Status.SENDING).exists()
    worker.kill()
    sink.release()
    assert sink.count() == 200

    worker.start()
    assert wait_for(swept_until_all_sent(dispatch, 500), timeout=60, interval=0.5), worker.logs()
    time.sleep(0.5)
    assert sink.per_recipient() == {address: 1 for address in addresses}
    assert sink.count() == 500


@pytest.mark.skipif(not RedisServer.available(), reason="needs redis-server to start a broker of its own")
def test_a_publish_while_redis_is_down_succeeds_and_the_sweep_delivers_once_it_is_back(cast, sink, worker_for,
                                                                                         caplog):
    group = WorkingGroupFactory()
    addresses = many_members(group, 20)
    meeting = group_meeting(group)
    broker = RedisServer(free_port()).start()
    worker = worker_for(sink, broker_url=broker.url).start()
    try:
        with tasks_sent_to(broker.url):
            broker.stop()
            with caplog.at_level(logging.WARNING, logger="notifications.services"):
                dispatch = publish_minutes(meeting)  # no exception: the change is saved
            assert f"Could not queue dispatch {dispatch.pk}" in caplog.text
            assert Dispatch.objects.get(pk=dispatch.pk).expanded_at is None
            time.sleep(1)
            assert sink.count() == 0

            broker.start()
            assert wait_for(swept_until_all_sent(dispatch, 20), timeout=60, interval=0.5), worker.logs()
            # Later sweeps find nothing left to do.
            tasks.sweep_outbox.delay()
            tasks.sweep_outbox.delay()
            time.sleep(1)
    finally:
        broker.stop()
    assert sink.count() == 20
    assert sink.per_recipient() == {address: 1 for address in addresses}


def test_a_server_refusing_with_451_for_a_while_gets_each_message_once_after_backoff(cast, sink, worker_for,
                                                                                     clean_broker):
    group = WorkingGroupFactory()
    addresses = many_members(group, 10)
    meeting = group_meeting(group)
    worker_for(sink, broker_url=clean_broker).start()
    # Every message refused twice: two rounds of backoff (0.2 s, then 0.4 s) before it goes.
    sink.refuse_data_times(20, "451 4.3.2 System not accepting network messages")

    dispatch = publish_minutes(meeting)

    assert wait_for(all_sent(dispatch, 10), timeout=30)
    time.sleep(0.5)
    assert sink.refusals == 20
    assert sink.per_recipient() == {address: 1 for address in addresses}
    deliveries = Delivery.objects.filter(dispatch=dispatch)
    # Each refusal cost one attempt, and each message went once in the end.
    assert sum(delivery.attempts for delivery in deliveries) == 20 + 10
    assert all(delivery.last_error == "" for delivery in deliveries)


def test_a_mailbox_refused_with_550_is_marked_failed_with_the_reason(cast, sink, worker_for, clean_broker):
    group = WorkingGroupFactory()
    addresses = many_members(group, 5)
    meeting = group_meeting(group)
    sink.refuse_recipient(addresses[3], "550 5.1.1 <%s>: Recipient address rejected" % addresses[3])
    worker_for(sink, broker_url=clean_broker).start()

    dispatch = publish_minutes(meeting)

    assert wait_for(all_sent(dispatch, 4), timeout=30)
    assert wait_for(lambda: Delivery.objects.filter(dispatch=dispatch, status=Status.FAILED).exists(), timeout=10)
    failed = Delivery.objects.get(dispatch=dispatch, status=Status.FAILED)
    assert failed.recipient.email == addresses[3] and failed.attempts == 1
    assert failed.last_error == f"550 5.1.1 <{addresses[3]}>: Recipient address rejected"
    assert sink.per_recipient() == {address: 1 for address in addresses if address != addresses[3]}


def test_a_killed_workers_claimed_batch_is_taken_back_within_two_sweeps_without_waiting_for_the_lease(
        cast, sink, worker_for, clean_broker):
    """The production lease (10 minutes) stays: only the dead worker's stopped heartbeat can
    bring its batch back this soon. The replacement worker starts under the same node name,
    as systemd restarts it, and must not vouch for the dead one's claim."""
    from notifications.models import WorkerHeartbeat

    group = WorkingGroupFactory()
    addresses = many_members(group, 300)
    meeting = group_meeting(group)
    sink.hold_after(100)
    worker = worker_for(sink, broker_url=clean_broker, NOTIFICATIONS_BATCH_SIZE="40",
                        NOTIFICATIONS_SENDING_LEASE_SECONDS="600",
                        NOTIFICATIONS_WORKER_HEARTBEAT_SECONDS="0.2", NOTIFICATIONS_WORKER_DEAD_AFTER_SECONDS="2")
    worker.same_name = True

    dispatch = publish_minutes(meeting)
    worker.start()

    assert wait_for(sink.holding.is_set, timeout=60), worker.logs()
    claimed = Delivery.objects.filter(dispatch=dispatch, status=Status.SENDING)
    holders = set(claimed.values_list("claimed_by", flat=True))
    assert len(holders) == 1 and "" not in holders, holders
    [dead] = holders
    worker.kill()
    sink.release()
    assert sink.count() == 100

    worker.start()

    def dead_worker_silent() -> bool:
        heartbeat = WorkerHeartbeat.objects.get(hostname=dead)
        return (timezone.now() - heartbeat.seen_at).total_seconds() > 2.5 and not claimed.filter(
            claimed_at__gt=timezone.now() - timedelta(seconds=2.5)).exists()

    assert wait_for(dead_worker_silent, timeout=30)
    for sweep in range(2):
        tasks.sweep_outbox.delay()
        if wait_for(all_sent(dispatch, 300), timeout=30):
            break
    assert all_sent(dispatch, 300)(), f"not sent within two sweeps:\n{worker.logs()}"
    time.sleep(0.5)
    assert sink.per_recipient() == {address: 1 for address in addresses}
    assert sink.count() == 300
