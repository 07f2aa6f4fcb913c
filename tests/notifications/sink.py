"""A real SMTP server on a free loopback port (aiosmtpd) that keeps what it accepts, and
can be told to refuse for a while, as a mail server under load or a bad mailbox does."""

import asyncio
import email
import email.policy
import logging
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Received:
    sender: str
    recipients: tuple[str, ...]
    data: bytes

    def parsed(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)


class _Handler:
    def __init__(self, sink: "SmtpSink"):
        self.sink = sink

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        # One greeting per connection: counts the connections the portal opened.
        with self.sink._lock:
            self.sink.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        await self.sink.wait_while_held()
        for refused_address, reply in self.sink.refused_recipients.items():
            if address == refused_address:
                return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = self.sink.data_refusal()
        if reply:
            return reply
        self.sink.keep(Received(envelope.mail_from, tuple(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


class SmtpSink:
    """Use as a context manager; `messages` is what it accepted, in order."""

    def __init__(self):
        # aiosmtpd logs every command at INFO: thousands of lines, and time, in a fan-out.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.port = free_port()
        self.messages: list[Received] = []
        self.refused_recipients: dict[str, str] = {}
        self.refusals = 0
        self.connections = 0
        self._refuse_until = 0.0
        self._refusals_left = 0
        self._refusal = ""
        self._lock = threading.Lock()
        self._hold_after: int | None = None
        self.holding = threading.Event()  # a client waits for the answer to its RCPT
        self._released = threading.Event()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> "SmtpSink":
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()

    def keep(self, received: Received) -> None:
        with self._lock:
            self.messages.append(received)

    def refuse_data_for(self, seconds: float, reply: str = "451 4.3.0 Try again later") -> None:
        """Answers every message's end of DATA with `reply` for the next `seconds`."""
        self._refusal = reply
        self._refuse_until = time.monotonic() + seconds

    def refuse_data_times(self, count: int, reply: str = "451 4.3.0 Try again later") -> None:
        """Answers the end of DATA of the next `count` messages with `reply`, whenever they come."""
        self._refusal = reply
        self._refusals_left = count

    def data_refusal(self) -> str | None:
        with self._lock:
            if time.monotonic() < self._refuse_until or self._refusals_left > 0:
                self._refusals_left = max(self._refusals_left - 1, 0)
                self.refusals += 1
                return self._refusal
        return None

    def hold_after(self, count: int) -> None:
        """Once `count` messages were accepted, leaves the next RCPT unanswered until
        `release()`: the client is then known to wait in the middle of a message, before
        its final dot (a moment chosen for a kill whose outcome the test can state)."""
        self._hold_after = count

    def release(self) -> None:
        self._released.set()

    async def wait_while_held(self) -> None:
        if self._hold_after is None or self.count() < self._hold_after or self._released.is_set():
            return
        self.holding.set()
        while not self._released.is_set():
            await asyncio.sleep(0.01)

    def refuse_recipient(self, address: str, reply: str = "550 5.1.1 No such user here") -> None:
        self.refused_recipients[address] = reply

    def count(self) -> int:
        with self._lock:
            return len(self.messages)

    def per_recipient(self) -> Counter:
        with self._lock:
            return Counter(address for message in self.messages for address in message.recipients)

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [message.parsed() for message in self.messages if address in message.recipients]
