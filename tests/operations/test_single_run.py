"""While one run of a periodic task holds its lock (on another machine, say), a second run
does nothing; once the first is done, the next run does the work."""

from datetime import timedelta

import psycopg2
import pytest
from django.db import connection
from django.utils import timezone

from dicas_portal.single_run import lock_id
from notifications import tasks
from notifications.models import Dispatch
from tests.factories import MeetingFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def other_machine():
    db = connection.settings_dict
    link = psycopg2.connect(dbname=db["NAME"], host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432,
                            user=db["USER"], password=db.get("PASSWORD") or None)
    link.autocommit = True
    yield link
    link.close()


def test_a_second_run_of_a_periodic_task_does_nothing_while_the_first_holds_the_lock(other_machine):
    MeetingFactory(starts_at=timezone.now() + timedelta(hours=3), ends_at=timezone.now() + timedelta(hours=5))
    with other_machine.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [lock_id("notifications.record_meeting_reminders")])

    assert tasks.record_meeting_reminders() == 0
    assert not Dispatch.objects.filter(event=Dispatch.Event.MEETING_REMINDER).exists()
    # Another task's lock is another lock.
    tasks.sweep_outbox()

    with other_machine.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [lock_id("notifications.record_meeting_reminders")])
    assert tasks.record_meeting_reminders() == 1
    assert tasks.record_meeting_reminders() == 0  # done already: the reminder's key
    assert Dispatch.objects.filter(event=Dispatch.Event.MEETING_REMINDER).count() == 1


def test_a_run_that_fails_releases_its_lock(other_machine, monkeypatch):
    from notifications import services

    def broken():
        raise RuntimeError("the database said no")

    monkeypatch.setattr(services, "record_meeting_reminders", broken)
    with pytest.raises(RuntimeError):
        tasks.record_meeting_reminders()
    with other_machine.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [lock_id("notifications.record_meeting_reminders")])
        assert cursor.fetchone() == (True,)
