"""Two `celery beat` started by mistake queue every periodic task twice at the same moment.
Here each of them (dicas_portal/celery.py's beat schedule: the outbox sweep, the meeting
reminders, the daily digests, the review of affiliations and roles) is queued twice at once to two real worker processes on the
real PostgreSQL and Redis, and everyone still gets each e-mail once: one reminder per
meeting, one digest per person and day, each notice the sweep brings back sent once, one
review notice per review date and a lapsed role lowered once."""

import zoneinfo
from collections import Counter
from datetime import timedelta
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone

from dicas_portal.celery import app as celery_app
from audit.models import AuditEvent
from forums.models import Meeting, Registration
from notifications import services
from notifications.models import Category, Delivery, Dispatch, NotificationPreference
from notifications.services import expand_dispatch, record_dispatch, set_preference
from tests.factories import MeetingFactory, MembershipFactory, RegistrationFactory, UserFactory
from tests.notifications.processes import WorkerProcess, wait_for
from tests.notifications.sink import SmtpSink

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
Status = Delivery.Status
PERIODIC_TASKS = [entry["task"] for entry in celery_app.conf.beat_schedule.values()
                  if entry["task"] != "notifications.record_worker_heartbeat"]


def a_zone_past_its_morning_digest() -> str:
    """A zone where it is now between 08:00 and 22:00: today's 07:00 digest is due there."""
    for name in ("Asia/Tokyo", "Europe/London", "America/New_York", "Pacific/Honolulu", "Australia/Sydney",
                 "Asia/Kolkata"):
        if 8 <= timezone.now().astimezone(zoneinfo.ZoneInfo(name)).hour < 22:
            return name
    raise AssertionError("no zone of the list is in its day")  # cannot happen: they span the globe


@pytest.fixture
def two_workers(test_database_url, clean_broker, tmp_path):
    with SmtpSink() as sink:
        environment = {"DATABASE_URL": test_database_url, "CELERY_BROKER_URL": clean_broker,
                       "EMAIL_URL": sink.url, "NOTIFICATIONS_SWEEP_AFTER_SECONDS": "0",
                       "NOTIFICATIONS_MEETING_CHANGE_HOLD_SECONDS": "0"}
        workers = [WorkerProcess(environment=environment, log=tmp_path / f"beat-worker-{n}", name=f"beat{n}")
                   for n in range(2)]
        try:
            for worker in workers:
                worker.start()
            yield sink
        finally:
            for worker in workers:
                worker.stop()


def test_every_periodic_task_queued_twice_at_once_sends_each_email_once(cast, two_workers):
    sink = two_workers
    assert set(PERIODIC_TASKS) == {"notifications.sweep_outbox", "notifications.record_meeting_reminders",
                                   "notifications.record_digests", "participants.review_affiliations_and_roles"}
    # A co-chair's role is due for review in ten days (the secretariat is told), another's
    # review date has passed (the role falls back to an official's).
    due_for_review = UserFactory(role="cochair")
    due_for_review.profile.role_review_on = timezone.now().date() + timedelta(days=10)
    due_for_review.profile.save()
    lapsed = UserFactory(role="cochair")
    lapsed.profile.role_review_on = timezone.now().date() - timedelta(days=3)
    lapsed.profile.save()
    # A group meeting tomorrow morning: its members and confirmed attendees are reminded.
    meeting = MeetingFactory(kind=Meeting.Kind.WORKING_GROUP, working_group=cast.group_a,
                             visibility=Meeting.Visibility.GROUP_MEMBERS, title_en="Ship repair working group",
                             starts_at=timezone.now() + timedelta(hours=12),
                             ends_at=timezone.now() + timedelta(hours=14))
    for _ in range(3):
        official = UserFactory(role="official")
        MembershipFactory(working_group=cast.group_a, person=official)
        RegistrationFactory(meeting=meeting, person=official, status=Registration.Status.CONFIRMED)
    # The member reads agenda notices in a morning digest, and one has waited since yesterday.
    cast.member.profile.time_zone = a_zone_past_its_morning_digest()
    cast.member.profile.save()
    set_preference(person=cast.member, category=Category.AGENDA, mode=NotificationPreference.Mode.DIGEST)
    with mock.patch.object(services, "enqueue_expansion"), mock.patch.object(services, "enqueue_sending"):
        with transaction.atomic():
            agenda = record_dispatch(event=Dispatch.Event.AGENDA_PUBLISHED, target=meeting,
                                     audience=Dispatch.Audience.MEETING_ATTENDEES)
        expand_dispatch(dispatch_id=agenda.pk)
        # And minutes whose notice the broker never got: only the sweep brings it back.
        with transaction.atomic():
            left_behind = record_dispatch(event=Dispatch.Event.MINUTES_PUBLISHED, target=meeting,
                                          audience=Dispatch.Audience.MEETING_ATTENDEES)
    Delivery.objects.filter(dispatch=agenda).update(created_at=timezone.now() - timedelta(days=1))
    Dispatch.objects.filter(pk__in=[agenda.pk, left_behind.pk]).update(
        created_at=timezone.now() - timedelta(minutes=5))
    assert Delivery.objects.get(dispatch=agenda, recipient=cast.member).status == Status.HELD
    attendees = Delivery.objects.filter(dispatch=agenda).count()
    assert attendees == 4  # the member and three officials of the group, registered

    # What two beats do at each tick: every periodic task queued twice, at the same moment.
    for name in PERIODIC_TASKS:
        celery_app.send_task(name)
        celery_app.send_task(name)

    def settled() -> bool:
        return (Dispatch.objects.filter(event=Dispatch.Event.MEETING_REMINDER).exists()
                and Dispatch.objects.filter(event=Dispatch.Event.DIGEST).exists()
                and Dispatch.objects.filter(event=Dispatch.Event.REVIEW_DUE).exists()
                and not Dispatch.objects.filter(expanded_at__isnull=True).exists()
                and not Delivery.objects.filter(status__in=[Status.PENDING, Status.SENDING]).exists()
                and sink.count() == Delivery.objects.filter(status=Status.SENT).count())

    assert wait_for(settled, timeout=90), (
        list(Delivery.objects.values_list("dispatch__event", "status")), sink.count())
    # Then two beats again, a moment later: nothing new is due, nothing is sent again.
    for name in PERIODIC_TASKS:
        celery_app.send_task(name)
        celery_app.send_task(name)
    wait_for(lambda: False, timeout=3)

    assert Dispatch.objects.filter(event=Dispatch.Event.MEETING_REMINDER).count() == 1
    assert Dispatch.objects.filter(event=Dispatch.Event.DIGEST).count() == 1
    assert Dispatch.objects.filter(event=Dispatch.Event.REVIEW_DUE).count() == 1
    lapsed.profile.refresh_from_db()
    assert lapsed.profile.role == "official"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ROLE_LAPSED, target_id=lapsed.pk).count() == 1
    sent_per_event = Counter(Delivery.objects.filter(status=Status.SENT).values_list("dispatch__event", flat=True))
    assert sent_per_event == {
        Dispatch.Event.MEETING_REMINDER: attendees,
        Dispatch.Event.MINUTES_PUBLISHED: attendees,
        Dispatch.Event.AGENDA_PUBLISHED: attendees - 1,  # the member has it in the digest
        Dispatch.Event.DIGEST: 1,
        Dispatch.Event.REVIEW_DUE: 1,  # to the secretariat
    }
    # Each person got each e-mail once: no subject twice in anyone's mailbox.
    mailboxes = Counter((address, message.parsed()["Subject"]) for message in sink.messages
                        for address in message.recipients)
    assert mailboxes and set(mailboxes.values()) == {1}, mailboxes
    assert sink.count() == sum(sent_per_event.values())
