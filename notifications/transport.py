"""Hands one message at a time to the mail server over a connection kept open for a batch.

Why not `EmailBackend.send_messages`: it reports success only after the server's final
reply, and the outbox must record "sent" so that a worker killed at any moment neither
loses a message nor sends it twice. An SMTP server takes responsibility for a message when
it receives the "." that ends DATA (RFC 5321 4.1.1.4). So, per message:

1. send MAIL, RCPT and DATA, while the mark (marks.py) updates the delivery's row to
   "sent" in a transaction left open (only if the row is still under this worker's claim);
2. send the message and its dot, inside that transaction;
3. write COMMIT; then read the server's reply (and the commit's).

Killed before the dot went out, the transaction rolls back (PostgreSQL drops an open
transaction with its connection) and the server discards a message without its dot (or,
before the message, a DATA without one): the sweep sends it again. Killed after the
COMMIT went out, PostgreSQL commits it whether or not the worker lives to read the answer,
and the server has the message. What is left is the few microseconds between writing the
dot and writing COMMIT (a second copy). Marking after the server's reply instead would
leave a reply's round trip and a commit's, about a millisecond a message, in which a kill
sends the message twice; committing the mark before writing the dot, the commit's round
trip in which a kill loses it.

When the server then refuses the message (4xx, 5xx), the caller undoes the mark.
"""

import re
import smtplib
import socket

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend

from .marks import Mark

CRLF = b"\r\n"


class Refused(Exception):
    """The server answered with an error code: 4xx is worth retrying, 5xx is final."""

    def __init__(self, code: int, reply: bytes | str):
        self.code = code
        self.reply = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        super().__init__(f"{code} {self.reply}")

    @property
    def temporary(self) -> bool:
        return 400 <= self.code < 500


class ConnectionLost(Exception):
    """The connection failed before the message was handed over: the server does not have it."""


class OutcomeUnknown(Exception):
    """The connection failed after the final dot was sent: the server has most likely
    accepted the message, but did not say so."""


class ClaimLost(Exception):
    """`hand_over` refused: the delivery is no longer this worker's to send."""


def open_connection() -> BaseEmailBackend:
    """One connection for a whole batch (raises OSError or SMTPException when it cannot)."""
    backend = get_connection(timeout=settings.NOTIFICATIONS_SMTP_TIMEOUT)
    backend.open()
    smtp = getattr(backend, "connection", None)
    if isinstance(smtp, smtplib.SMTP) and smtp.sock is not None:
        # The final dot goes out as a small write of its own, right after the message:
        # without this, Nagle's algorithm holds it until the server acknowledges the
        # message (a delayed ACK, 40 ms on Linux), for every message.
        smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return backend


def _dot_stuffed(data: bytes) -> bytes:
    """The message as DATA carries it (RFC 5321 4.5.2), ending with CRLF, without the final dot."""
    if data.count(b"\n") != data.count(CRLF) or b"\r" in data.replace(CRLF, b""):
        data = re.sub(rb"\r\n|\n|\r", CRLF, data)
    if data.startswith(b".") or b"\n." in data:
        data = re.sub(rb"(?m)^\.", b"..", data)
    return data if data.endswith(CRLF) else data + CRLF


def speaks_smtp(backend: BaseEmailBackend) -> bool:
    return isinstance(getattr(backend, "connection", None), smtplib.SMTP)


def send_message(backend: BaseEmailBackend, message: EmailMessage, *, mark: Mark) -> None:
    """Console, file and in-memory backends (development, unit tests): they cannot refuse."""
    mark.begin()
    if not mark.is_ours():
        mark.rollback()
        raise ClaimLost
    try:
        backend.send_messages([message])
    except BaseException:
        mark.rollback()
        raise
    mark.commit()
    mark.settle()


def send_bytes(backend: BaseEmailBackend, *, sender: str, recipients: list[str], data: bytes, mark: Mark) -> None:
    """Sends one message over the batch's SMTP connection, its final dot between the mark's
    update and its commit (see the module). `sender` and `recipients` are bare addresses.

    Raises Refused, ConnectionLost, OutcomeUnknown or ClaimLost (marks.MarkError when the
    database fails before the dot); returns once the server has accepted the message.
    """
    smtp: smtplib.SMTP = backend.connection
    # Sent now, answered while the SMTP commands travel (marks.py).
    mark.begin()
    try:
        smtp.ehlo_or_helo_if_needed()
        # Bare addresses (as NoticeRenderer.envelope_for gives them), so not through
        # smtplib.mail()/rcpt(), which parse every address again.
        _expect(smtp, smtp.docmd("MAIL", f"FROM:<{sender}>"), {250})
        for address in recipients:
            _expect(smtp, smtp.docmd("RCPT", f"TO:<{address}>"), {250, 251})
        _expect(smtp, smtp.docmd("DATA"), {354})
    except (smtplib.SMTPServerDisconnected, OSError) as error:
        drop(backend)
        mark.rollback()
        raise ConnectionLost(str(error) or type(error).__name__) from error
    except BaseException:
        mark.rollback()
        raise
    try:
        ours = mark.is_ours()
    except BaseException:
        drop(backend)  # in DATA, without the dot, the server drops what it received
        mark.rollback()
        raise
    if not ours:
        drop(backend)
        mark.rollback()
        raise ClaimLost
    try:
        # The message and its dot in one write: the mark is in place (uncommitted).
        smtp.send(_dot_stuffed(data) + b"." + CRLF)
    except (smtplib.SMTPServerDisconnected, OSError) as error:
        drop(backend)
        mark.rollback()
        raise ConnectionLost(str(error) or type(error).__name__) from error
    mark.commit()
    try:
        code, reply = smtp.getreply()
    except (smtplib.SMTPServerDisconnected, OSError) as error:
        drop(backend)
        mark.settle()
        raise OutcomeUnknown(str(error) or type(error).__name__) from error
    mark.settle()
    if code != 250:
        raise Refused(code, reply)


def drop(backend: BaseEmailBackend) -> None:
    """Closes the socket without QUIT: in the middle of DATA a QUIT would be read as text
    and wait for a reply that never comes."""
    smtp = getattr(backend, "connection", None)
    if isinstance(smtp, smtplib.SMTP):
        smtp.close()
        backend.connection = None


def close(backend: BaseEmailBackend) -> None:
    """Ends the batch's connection politely when it is still usable."""
    try:
        backend.close()
    except (smtplib.SMTPException, OSError):
        drop(backend)


def _expect(smtp: smtplib.SMTP, answer: tuple[int, bytes], codes: set[int]) -> None:
    code, reply = answer
    if code in codes:
        return
    if code == -1:
        raise smtplib.SMTPServerDisconnected(reply.decode(errors="replace"))
    # Leave the server ready for the next message of the batch.
    try:
        smtp.rset()
    except (smtplib.SMTPException, OSError):
        pass
    raise Refused(code, reply)
