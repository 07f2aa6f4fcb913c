"""Two beats recording the digests at the same moment: one digest per person and day,
whichever commits first. Needs PostgreSQL: SQLite serialises everything and would prove
nothing."""

import threading
from unittest import mock

import pytest
import time_machine
from django.db import connection

from notifications import digests, services
from notifications.models import Category, Delivery, Dispatch, NotificationPreference
from notifications.services import expand_dispatch, record_dispatch, set_preference

from .test_digest import AFTERNOON, SEVEN_IN_TOKYO

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_beats_at_once_record_one_digest(cast, group_meeting):
    set_preference(person=cast.member, category=Category.AGENDA, mode=NotificationPreference.Mode.DIGEST)
    with time_machine.travel(AFTERNOON, tick=False), mock.patch.object(services, "enqueue_expansion"):
        dispatch = record_dispatch(event=Dispatch.Event.AGENDA_PUBLISHED, target=group_meeting,
                                   audience=Dispatch.Audience.GROUP_MEMBERS)
        expand_dispatch(dispatch_id=dispatch.pk)
    both_have_read = threading.Barrier(2, timeout=10)
    read_due = digests._due

    def due_then_wait(now):
        # Both beats know who is due before either records anything.
        due = read_due(now)
        both_have_read.wait()
        return due

    recorded: list[list[Dispatch]] = []

    def beat() -> None:
        try:
            recorded.append(digests.record_digests(now=SEVEN_IN_TOKYO))
        finally:
            connection.close()

    with mock.patch.object(digests, "_due", due_then_wait), mock.patch.object(services, "enqueue_expansion"):
        threads = [threading.Thread(target=beat) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert sorted(len(result) for result in recorded) == [0, 1]
    [digest] = Dispatch.objects.filter(event=Dispatch.Event.DIGEST)
    assert Delivery.objects.get(dispatch=dispatch).digest == digest
