"""The secretariat's outbox page, the retry button, notification settings and the one-click
unsubscribe (RFC 8058)."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notifications.emails import unsubscribe_token
from notifications.models import Category, Delivery, Dispatch, NotificationPreference
from notifications.services import expand_dispatch, record_dispatch
from tests.factories import MeetingFactory

pytestmark = pytest.mark.django_db

Event, Audience, Status = Dispatch.Event, Dispatch.Audience, Delivery.Status
LIST = reverse("notifications:dispatch_list")


@pytest.fixture
def failed_dispatch(cast, group_meeting) -> Dispatch:
    dispatch = record_dispatch(event=Event.MINUTES_PUBLISHED, target=group_meeting, audience=Audience.GROUP_MEMBERS)
    expand_dispatch(dispatch_id=dispatch.pk)
    Delivery.objects.filter(dispatch=dispatch).update(status=Status.FAILED, attempts=10,
                                                      last_error="550 5.1.1 No such user here")
    return dispatch


def test_the_secretariat_sees_each_notice_with_its_counts(client, cast, failed_dispatch):
    other = record_dispatch(event=Event.AGENDA_PUBLISHED, target=MeetingFactory(), audience=Audience.MEETING_VIEWERS)
    expand_dispatch(dispatch_id=other.pk)
    Delivery.objects.filter(dispatch=other, recipient=cast.member).update(status=Status.SENT, sent_at=timezone.now())
    client.force_login(cast.secretariat)

    page = client.get(LIST)

    assert page.status_code == 200
    rows = {dispatch.pk: dispatch for dispatch in page.context["page"].object_list}
    assert (rows[failed_dispatch.pk].sent_count, rows[failed_dispatch.pk].waiting_count,
            rows[failed_dispatch.pk].failed_count) == (0, 0, 1)
    assert (rows[other.pk].sent_count, rows[other.pk].waiting_count, rows[other.pk].failed_count) == (1, 4, 0)
    html = page.content.decode()
    assert "Minutes published" in html
    assert f"{cast.member.email}: 550 5.1.1 No such user here" in html
    assert reverse("notifications:retry_dispatch", args=[failed_dispatch.pk]) in html
    assert reverse("notifications:retry_dispatch", args=[other.pk]) not in html


def test_the_outbox_counts_the_notices_kept_for_the_daily_digest(client, cast, group_meeting):
    NotificationPreference.objects.create(person=cast.member, category=Category.MINUTES,
                                          mode=NotificationPreference.Mode.DIGEST)
    dispatch = record_dispatch(event=Event.MINUTES_PUBLISHED, target=group_meeting, audience=Audience.GROUP_MEMBERS)
    expand_dispatch(dispatch_id=dispatch.pk)
    client.force_login(cast.secretariat)

    row = {row.pk: row for row in client.get(LIST).context["page"].object_list}[dispatch.pk]

    assert row.digest_count == 1
    assert row.waiting_count + row.sent_count == dispatch.deliveries.count() - 1


def test_a_notice_that_failed_for_many_lists_the_first_reasons(client, cast, group_meeting):
    from tests.factories import MembershipFactory, UserFactory

    for _ in range(11):
        MembershipFactory(working_group=cast.group_a, person=UserFactory(role="official"))
    dispatch = record_dispatch(event=Event.MINUTES_PUBLISHED, target=group_meeting, audience=Audience.GROUP_MEMBERS)
    expand_dispatch(dispatch_id=dispatch.pk)
    Delivery.objects.filter(dispatch=dispatch).update(status=Status.FAILED, last_error="554 5.7.1 Rejected")
    client.force_login(cast.secretariat)

    html = client.get(LIST).content.decode()

    assert html.count("554 5.7.1 Rejected") == 10
    assert "The first 10 of 12." in html


@pytest.mark.parametrize("role", ["industry", "outsider", "member", "cochair"])
def test_others_may_not_see_the_outbox(client, cast, role):
    client.force_login(cast.roles()[role])
    assert client.get(LIST).status_code == 403


def test_visitors_are_sent_to_sign_in(client):
    response = client.get(LIST)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_the_outbox_page_refuses_a_post(client, cast):
    client.force_login(cast.secretariat)
    assert client.post(LIST).status_code == 405


def test_the_outbox_page_costs_the_same_queries_for_5_and_50_notices(client, cast, django_assert_max_num_queries):
    client.force_login(cast.secretariat)
    meeting = MeetingFactory()

    def record(count: int) -> None:
        for _ in range(count):
            dispatch = record_dispatch(event=Event.AGENDA_PUBLISHED, target=meeting, audience=Audience.PERSON,
                                       person=cast.member)
            expand_dispatch(dispatch_id=dispatch.pk)

    record(5)
    with django_assert_max_num_queries(12) as few:
        client.get(LIST)
    record(45)
    with django_assert_max_num_queries(len(few)):
        assert len(client.get(LIST).context["page"].object_list) == 50


def test_retry_sends_the_failed_deliveries_again(client, cast, failed_dispatch, django_capture_on_commit_callbacks):
    client.force_login(cast.secretariat)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("notifications:retry_dispatch", args=[failed_dispatch.pk]))

    assert response.status_code == 302 and response["Location"] == LIST
    delivery = Delivery.objects.get(dispatch=failed_dispatch)
    assert delivery.status == Status.SENT and delivery.attempts == 1
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("role", ["anonymous", "member", "cochair"])
def test_only_the_secretariat_may_retry(client, cast, failed_dispatch, role):
    if cast.roles()[role]:
        client.force_login(cast.roles()[role])
    response = client.post(reverse("notifications:retry_dispatch", args=[failed_dispatch.pk]))
    assert response.status_code in (302, 403) and (role == "anonymous") == (response.status_code == 302)
    assert Delivery.objects.get(dispatch=failed_dispatch).status == Status.FAILED


def test_retry_refuses_a_get(client, cast, failed_dispatch):
    client.force_login(cast.secretariat)
    assert client.get(reverse("notifications:retry_dispatch", args=[failed_dispatch.pk])).status_code == 405


def unsubscribe_url(person, category=Category.MINUTES) -> str:
    return reverse("notifications:unsubscribe", args=[unsubscribe_token(person_id=person.pk, category=category)])


def test_opening_the_unsubscribe_link_only_asks(cast):
    page = Client().get(unsubscribe_url(cast.member))

    assert page.status_code == 200
    assert "Minutes" in page.content.decode()
    assert not NotificationPreference.objects.exists()


def test_the_one_click_post_unsubscribes_without_a_session_or_csrf_token(cast):
    mail_program = Client(enforce_csrf_checks=True)

    response = mail_program.post(unsubscribe_url(cast.member), data={"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    preference = NotificationPreference.objects.get(person=cast.member)
    assert (preference.category, preference.mode) == (Category.MINUTES, NotificationPreference.Mode.OFF)


def test_an_altered_unsubscribe_link_is_refused(cast):
    token = unsubscribe_token(person_id=cast.member.pk, category=Category.MINUTES)
    altered = reverse("notifications:unsubscribe", args=[token[:-2] + "xx"])

    assert Client().post(altered).status_code == 400
    assert Client().get(altered).status_code == 400
    assert not NotificationPreference.objects.exists()


def test_settings_page_saves_the_choices(client, cast):
    url = reverse("notifications:preferences")
    client.force_login(cast.member)
    assert client.get(url).status_code == 200

    choices = {category: NotificationPreference.Mode.IMMEDIATE for category in Category.values}
    choices[Category.AGENDA] = NotificationPreference.Mode.OFF
    response = client.post(url, choices)

    assert response.status_code == 302
    assert list(NotificationPreference.objects.values_list("person", "category", "mode")) == [
        (cast.member.pk, Category.AGENDA, NotificationPreference.Mode.OFF)
    ]
    assert client.post(url, {Category.AGENDA: "sometimes"}).status_code == 400


def test_settings_page_needs_a_sign_in(client):
    assert client.get(reverse("notifications:preferences")).status_code == 302


@pytest.fixture
def with_a_broker():
    """The portal as in production: tasks go to a worker, whose heartbeat the page reads."""
    from dicas_portal.celery import app as celery_app

    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


def test_the_outbox_says_when_no_worker_ever_reported(client, cast, with_a_broker):
    client.force_login(cast.secretariat)
    html = client.get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No notification worker has reported yet: notices are recorded but not sent" in html


def test_the_outbox_says_when_the_worker_stopped_reporting(client, cast, with_a_broker, settings):
    from datetime import timedelta

    from notifications.models import WorkerHeartbeat

    settings.HEALTH_WORKER_MAX_AGE_SECONDS = 120
    WorkerHeartbeat.objects.create(hostname="celery@portal-1/1-000000",
                                   seen_at=timezone.now() - timedelta(seconds=300))
    client.force_login(cast.secretariat)
    html = client.get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No notification worker is running: the last one reported at" in html

    WorkerHeartbeat.objects.update(seen_at=timezone.now() - timedelta(seconds=3))
    html = client.get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No notification worker" not in html
    assert "The notification worker last reported 3 seconds ago." in html


def test_the_outbox_worker_warning_is_in_japanese(client, cast, with_a_broker):
    from participants.models import Profile

    Profile.objects.filter(user=cast.secretariat).update(preferred_language="ja")
    client.force_login(cast.secretariat)
    html = client.get(LIST, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "通知ワーカーからの報告がまだありません" in html
