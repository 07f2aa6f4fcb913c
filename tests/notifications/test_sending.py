"""Sending over SMTP to a real server (aiosmtpd, in this process): batches over one
connection, each delivery marked as the server takes it, temporary refusals retried with
backoff, permanent ones failed with the server's reason."""

from datetime import timedelta

import pytest
from django.conf import settings
import time_machine
from django.utils import timezone

from notifications import services, transport
from notifications.marks import Mark
from notifications.models import Delivery, Dispatch
from notifications.services import expand_dispatch, record_dispatch, send_batch
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

Status = Delivery.Status


@pytest.fixture
def members(cast):
    """Group A: the cast's member and five more."""
    people = [cast.member]
    for _ in range(5):
        person = UserFactory(role="official")
        MembershipFactory(working_group=cast.group_a, person=person)
        people.append(person)
    return people


@pytest.fixture
def dispatch(group_meeting, members) -> Dispatch:
    dispatch = record_dispatch(event=Dispatch.Event.MINUTES_PUBLISHED, target=group_meeting,
                               audience=Dispatch.Audience.GROUP_MEMBERS)
    expand_dispatch(dispatch_id=dispatch.pk)
    return dispatch


def statuses(dispatch) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in dispatch.deliveries.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


def test_a_batch_goes_over_one_connection_and_each_delivery_is_marked_sent(smtp_sink, dispatch, members):
    result = send_batch(dispatch_id=dispatch.pk)

    assert (result.claimed, result.sent, result.next_run_in) == (6, 6, None)
    assert smtp_sink.connections == 1
    assert sorted(smtp_sink.per_recipient().values()) == [1] * 6
    assert statuses(dispatch) == {Status.SENT: 6}
    sent = dispatch.deliveries.first()
    assert sent.sent_at is not None and sent.attempts == 1 and sent.last_error == ""
    # What the server received is the whole multipart message, headers included.
    [received] = smtp_sink.to(sent.recipient.email)
    assert received["Message-ID"] == f"<{sent.message_id_part}@{settings.PORTAL_MAIL_DOMAIN}>"
    assert received.get_body(("plain",)) is not None and received.get_body(("html",)) is not None


def test_batches_are_as_large_as_the_setting_says(smtp_sink, dispatch, settings):
    settings.NOTIFICATIONS_BATCH_SIZE = 4

    first = send_batch(dispatch_id=dispatch.pk)
    assert (first.sent, first.next_run_in) == (4, 0)
    second = send_batch(dispatch_id=dispatch.pk)
    assert (second.sent, second.next_run_in) == (2, None)
    assert smtp_sink.connections == 2
    assert smtp_sink.count() == 6


def test_a_temporary_refusal_is_retried_after_a_backoff_and_sent_once(smtp_sink, dispatch, settings):
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 60
    smtp_sink.refuse_data_for(3600, "451 4.7.1 Greylisted, try again later")

    result = send_batch(dispatch_id=dispatch.pk)

    assert (result.sent, result.retrying) == (0, 6)
    assert smtp_sink.count() == 0
    waiting = dispatch.deliveries.first()
    assert waiting.status == Status.PENDING and waiting.attempts == 1 and waiting.sent_at is None
    assert "451 4.7.1 Greylisted" in waiting.last_error
    assert 55 <= (waiting.next_attempt_at - timezone.now()).total_seconds() <= 60
    assert 55 <= result.next_run_in <= 60
    # Not due yet: nothing is claimed.
    assert send_batch(dispatch_id=dispatch.pk).claimed == 0

    smtp_sink.refuse_data_for(0)
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert send_batch(dispatch_id=dispatch.pk).sent == 6
    assert sorted(smtp_sink.per_recipient().values()) == [1] * 6
    assert dispatch.deliveries.filter(status=Status.SENT, attempts=2).count() == 6


def test_the_backoff_doubles_up_to_its_cap():
    assert [services.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert services.backoff(30).total_seconds() == 6 * 3600


def test_a_permanent_refusal_fails_the_delivery_with_the_servers_reason(smtp_sink, dispatch, members):
    smtp_sink.refuse_recipient(members[2].email, "550 5.1.1 No such user here")

    result = send_batch(dispatch_id=dispatch.pk)

    assert (result.sent, result.failed) == (5, 1)
    failed = dispatch.deliveries.get(recipient=members[2])
    assert failed.status == Status.FAILED and failed.sent_at is None
    assert failed.last_error == "550 5.1.1 No such user here"
    # The refusal did not spoil the connection for the others.
    assert smtp_sink.connections == 1 and smtp_sink.count() == 5


def test_a_permanent_refusal_at_the_end_of_the_message_undoes_the_mark(smtp_sink, dispatch):
    smtp_sink.refuse_data_for(3600, "554 5.6.0 Message rejected")

    send_batch(dispatch_id=dispatch.pk)

    assert statuses(dispatch) == {Status.FAILED: 6}
    assert not dispatch.deliveries.filter(sent_at__isnull=False).exists()
    assert dispatch.deliveries.first().last_error == "554 5.6.0 Message rejected"


def test_an_unreachable_server_puts_the_batch_back_with_a_backoff(settings, dispatch):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens on the discard port

    result = send_batch(dispatch_id=dispatch.pk)

    assert result.retrying == 6
    waiting = dispatch.deliveries.first()
    assert waiting.status == Status.PENDING and waiting.attempts == 1
    assert waiting.last_error.startswith("Could not connect to the mail server: ConnectionRefusedError")


def test_after_the_last_attempt_the_delivery_fails_saying_why(smtp_sink, dispatch, settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2
    smtp_sink.refuse_data_for(3600, "452 4.3.1 Insufficient system storage")
    send_batch(dispatch_id=dispatch.pk)
    dispatch.deliveries.update(next_attempt_at=timezone.now())

    send_batch(dispatch_id=dispatch.pk)

    failed = dispatch.deliveries.first()
    assert failed.status == Status.FAILED and failed.attempts == 2
    assert failed.last_error == "Gave up after 2 attempts. Last: 452 4.3.1 Insufficient system storage"


def test_a_claim_the_sweep_took_back_is_not_sent_by_its_old_owner(smtp_sink, dispatch):
    claimed_at, ids = services.claim_batch(dispatch_id=dispatch.pk, size=10)
    # The sweep decided this worker was dead and someone else claimed the rows since.
    Delivery.objects.filter(pk__in=ids).update(claimed_at=claimed_at + timedelta(minutes=20))

    services._send_claimed(dispatch.pk, claimed_at, ids, services.BatchResult())

    assert smtp_sink.count() == 0
    assert statuses(dispatch) == {Status.SENDING: 6}


class DecidedMark(Mark):
    """A mark whose row is, or is no longer, this worker's to send."""

    def __init__(self, ours: bool):
        self.ours = ours

    def is_ours(self) -> bool:
        return self.ours

    def commit(self) -> None:
        self.committed = True

    def rollback(self) -> None:
        pass


def test_without_the_mark_the_server_drops_the_message(smtp_sink, dispatch):
    """The server only takes a message at its final dot, which follows the mark."""
    from notifications.emails import NoticeRenderer

    sender, recipients, data = NoticeRenderer(dispatch).envelope_for(dispatch.deliveries.first())
    backend = transport.open_connection()

    with pytest.raises(transport.ClaimLost):
        transport.send_bytes(backend, sender=sender, recipients=recipients, data=data, mark=DecidedMark(False))

    backend = transport.open_connection()
    transport.send_bytes(backend, sender=sender, recipients=recipients, data=data, mark=DecidedMark(True))
    transport.close(backend)
    assert smtp_sink.count() == 1


def test_two_claims_never_share_a_delivery(dispatch):
    _, first = services.claim_batch(dispatch_id=dispatch.pk, size=4)
    _, second = services.claim_batch(dispatch_id=dispatch.pk, size=4)
    _, third = services.claim_batch(dispatch_id=dispatch.pk, size=4)

    assert (len(first), len(second), third) == (4, 2, [])
    assert not set(first) & set(second)


def test_lines_starting_with_a_dot_are_doubled_and_line_ends_made_crlf():
    assert transport._dot_stuffed(b"a\r\n.b\r\n..c") == b"a\r\n..b\r\n...c\r\n"
    assert transport._dot_stuffed(b".a\nb\rc") == b"..a\r\nb\r\nc\r\n"
    assert transport._dot_stuffed(b"plain\r\n") == b"plain\r\n"
