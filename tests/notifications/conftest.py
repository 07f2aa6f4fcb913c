"""Fixtures of the notification tests: a working-group meeting of the cast's group A, and
a real SMTP server (aiosmtpd) for the tests of the sending itself."""

import zoneinfo
from datetime import datetime

import pytest
from django.db import transaction

from forums.models import Meeting
from notifications.models import Dispatch
from notifications.services import record_dispatch
from tests.factories import MeetingFactory

from .sink import SmtpSink

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


@pytest.fixture
def group_meeting(cast) -> Meeting:
    """Group A's meeting, which only its members (and the co-chairs and secretariat) may see."""
    return MeetingFactory(
        kind=Meeting.Kind.WORKING_GROUP,
        working_group=cast.group_a,
        visibility=Meeting.Visibility.GROUP_MEMBERS,
        title_en="Ship repair working group, second meeting",
        title_ja="艦船の補修・整備作業部会 第2回会合",
        starts_at=datetime(2030, 6, 11, 10, 0, tzinfo=TOKYO),
        ends_at=datetime(2030, 6, 11, 12, 0, tzinfo=TOKYO),
        time_zone="Asia/Tokyo",
        venue_en="Ministry of Defense, Ichigaya",
        venue_ja="防衛省市ヶ谷庁舎",
    )


@pytest.fixture
def publish(django_capture_on_commit_callbacks):
    """Records a dispatch as a service does, inside a transaction, and runs what the commit
    queues (in-process here: tasks run eagerly outside the worker tests)."""

    def publish(**kwargs) -> Dispatch:
        with django_capture_on_commit_callbacks(execute=True):
            with transaction.atomic():
                dispatch = record_dispatch(**kwargs)
        return dispatch

    return publish


@pytest.fixture
def smtp_sink(settings):
    """A real SMTP server on a free loopback port; the portal sends to it over SMTP."""
    with SmtpSink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = sink.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.NOTIFICATIONS_SMTP_TIMEOUT = 5
        yield sink
