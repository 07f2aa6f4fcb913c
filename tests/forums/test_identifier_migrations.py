"""Meetings and deliveries that exist before the upgrade get a random identifier part each,
so their calendar UIDs and Message-IDs are unique from the first e-mail after it."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BEFORE = [("forums", "0004_schedule_indexes"), ("notifications", "0003_daily_digest")]
AFTER = [("forums", "0005_meeting_calendar_uid_part"), ("notifications", "0004_delivery_message_id_part")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_existing_meetings_and_deliveries_each_get_a_random_part_of_their_own():
    try:
        old = migrate(BEFORE)
        forum = old.get_model("forums", "Forum").objects.create(name="DICAS", acronym="DICAS")
        start = datetime(2031, 5, 20, 1, 0, tzinfo=UTC)
        Meeting = old.get_model("forums", "Meeting")
        meetings = [
            Meeting.objects.create(forum=forum, kind="plenary", title_en=f"Plenary {number}", time_zone="Asia/Tokyo",
                                   starts_at=start, ends_at=start + timedelta(hours=2))
            for number in range(3)
        ]
        people = [old.get_model("auth", "User").objects.create(username=f"person{number}", email=f"p{number}@x.example")
                  for number in range(3)]
        dispatch = old.get_model("notifications", "Dispatch").objects.create(
            event="meeting_rescheduled", audience="participants", target_id=meetings[0].pk,
            target_type_id=ContentType.objects.get(app_label="forums", model="meeting").pk, context={},
        )
        Delivery = old.get_model("notifications", "Delivery")
        for person in people:
            Delivery.objects.create(dispatch_id=dispatch.pk, recipient_id=person.pk)

        new = migrate(AFTER)

        uid_parts = list(new.get_model("forums", "Meeting").objects.values_list("calendar_uid_part", flat=True))
        message_parts = list(new.get_model("notifications", "Delivery").objects.values_list("message_id_part", flat=True))
        for parts in (uid_parts, message_parts):
            assert len(parts) == 3 and len(set(parts)) == 3, parts
            assert all(re.fullmatch(r"[0-9a-f]{32}", part) for part in parts), parts
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
