"""The "sent" mark of one delivery, written around the moment the mail server takes the
message (transport.py says why that moment): the row is updated in a transaction that is
still open when the final dot goes out, and committed right after it.

On PostgreSQL the marks of a batch travel over a connection of their own in psycopg2's
asynchronous mode, so that waiting for the database overlaps waiting for the mail server
instead of adding to it: the UPDATE goes out with the previous message's COMMIT (or before
MAIL FROM) and is read back before the message is sent; the COMMIT is written right after
the dot and its answer read after the server's reply. Written is what matters: once COMMIT
has left for the database, PostgreSQL commits it even if the worker is killed before
reading the answer. A fan-out thus pays one database round trip a message, in the shadow
of the SMTP exchange rather than on top of it.

Elsewhere (SQLite in development, tests inside a transaction) a plain atomic block does
the same, one step after the other.
"""

import select
from datetime import datetime

import psycopg2
import psycopg2.extensions
from django.db import connection, transaction
from django.utils import timezone

from .models import Delivery

Status = Delivery.Status
# Seconds to wait for the database before the mark is given up (and the message with it).
DATABASE_TIMEOUT = 30.0


class MarkError(Exception):
    """The database did not answer: the message must not be handed over."""


class Mark:
    """begin() → is_ours() → commit() → settle(), or rollback() at any point before commit()."""

    committed = False

    def begin(self) -> None:
        """Starts marking; may return before the database has answered."""

    def is_ours(self) -> bool:
        """Whether the row was still under this claim (and is now marked, uncommitted)."""
        raise NotImplementedError

    def commit(self) -> None:
        """Sends the COMMIT; the database applies it even if this process dies next."""
        raise NotImplementedError

    def settle(self) -> None:
        """Waits until the commit is done."""

    def rollback(self) -> None:
        raise NotImplementedError


def _update_values(delivery: Delivery) -> dict:
    return {"status": Status.SENT, "sent_at": timezone.now(), "attempts": delivery.attempts + 1, "last_error": ""}


class AtomicMark(Mark):
    """Through Django's connection, in an atomic block (a savepoint inside a transaction)."""

    def __init__(self, delivery: Delivery, claimed_at: datetime):
        self.delivery, self.claimed_at = delivery, claimed_at
        self._atomic = None

    def is_ours(self) -> bool:
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        try:
            return Delivery.objects.filter(
                pk=self.delivery.pk, status=Status.SENDING, claimed_at=self.claimed_at
            ).update(**_update_values(self.delivery)) == 1
        except BaseException as error:
            self._atomic.__exit__(type(error), error, error.__traceback__)
            self._atomic = None
            raise

    def commit(self) -> None:
        atomic, self._atomic = self._atomic, None
        atomic.__exit__(None, None, None)
        self.committed = True

    def rollback(self) -> None:
        atomic, self._atomic = self._atomic, None
        if atomic is not None:
            undo = _RolledBack()
            atomic.__exit__(_RolledBack, undo, None)


class _RolledBack(Exception):
    """Handed to an atomic block's exit so that it rolls back."""


# synchronous_commit off for these transactions only: the COMMIT returns once it is in
# PostgreSQL's WAL buffers, not on disk. A killed worker changes nothing (the server holds
# the commit); a crash of PostgreSQL itself within a fraction of a second would forget the
# last marks, and those messages would be sent again: a second copy, never a lost one.
_BEGIN_AND_MARK = (
    f'BEGIN; SET LOCAL synchronous_commit TO OFF; UPDATE "{Delivery._meta.db_table}" '
    'SET "status" = %(status)s, "sent_at" = %(sent_at)s, "attempts" = %(attempts)s, "last_error" = %(last_error)s '
    'WHERE "id" = %(id)s AND "status" = %(claimed_status)s AND "claimed_at" = %(claimed_at)s'
)


def _mark_parameters(delivery: Delivery, claimed_at: datetime) -> dict:
    return {**_update_values(delivery), "id": delivery.pk, "claimed_status": Status.SENDING, "claimed_at": claimed_at}


class PipelinedMarks:
    """The batch's own asynchronous PostgreSQL connection; `mark()` one delivery at a time.

    The COMMIT of one mark carries the UPDATE of the next (one round trip a message): that
    next row then stays locked in an open transaction until its own message goes out, so
    `release()` must come before anything else writes the batch's rows.
    """

    def __init__(self):
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        try:
            self._connection = psycopg2.connect(**params, async_=1)
            self._wait()
        except psycopg2.Error as error:
            raise MarkError(str(error)) from error
        self._cursor = self._connection.cursor()
        self.busy = False
        self.open_pk: int | None = None  # the delivery marked in the open transaction
        self.answers: dict[int, bool] = {}  # is_ours() of UPDATEs sent with a COMMIT
        self.awaiting: int | None = None  # the delivery whose UPDATE the running query holds

    def mark(self, delivery: Delivery, claimed_at: datetime, *, successor: Delivery | None = None) -> "PipelinedMark":
        return PipelinedMark(self, delivery, claimed_at, successor)

    def execute(self, sql: str, params: dict | None = None) -> None:
        try:
            self._cursor.execute(sql, params)
            self.busy = True
            # Until the query has left this process a kill could lose it: write it out now.
            while self._connection.poll() == psycopg2.extensions.POLL_WRITE:
                self._select(write=True)
        except psycopg2.Error as error:
            self._forget()
            raise MarkError(str(error)) from error

    def finish(self) -> int:
        """Waits for the query sent last; returns the number of rows its last statement changed."""
        try:
            self._wait()
        except psycopg2.Error as error:
            self._forget()
            raise MarkError(str(error)) from error
        finally:
            self.busy = False
        rows = self._cursor.rowcount
        if self.awaiting is not None:
            self.answers[self.awaiting] = rows == 1
            self.awaiting = None
        return rows

    def release(self) -> None:
        """Rolls back the open mark, if any: its row is free for the other connection."""
        if self.busy:
            self.finish()
        if self.open_pk is not None:
            self.open_pk = None
            self.answers.clear()
            self.execute("ROLLBACK")
            self.finish()

    def close(self) -> None:
        # A transaction still open (an interrupted batch) is rolled back by the server.
        self._connection.close()

    def _forget(self) -> None:
        """After an error the open transaction is aborted or gone: nothing to reuse."""
        self.busy, self.awaiting, self.open_pk = False, None, None
        self.answers.clear()

    def _wait(self) -> None:
        while True:
            state = self._connection.poll()
            if state == psycopg2.extensions.POLL_OK:
                return
            self._select(write=state == psycopg2.extensions.POLL_WRITE)

    def _select(self, *, write: bool) -> None:
        descriptor = [self._connection.fileno()]
        ready = select.select([], descriptor, [], DATABASE_TIMEOUT) if write else select.select(
            descriptor, [], [], DATABASE_TIMEOUT)
        if not any(ready):
            raise MarkError(f"the database did not answer within {DATABASE_TIMEOUT:.0f} s")


class PipelinedMark(Mark):
    def __init__(self, marks: PipelinedMarks, delivery: Delivery, claimed_at: datetime,
                 successor: Delivery | None):
        self.marks, self.delivery, self.claimed_at, self.successor = marks, delivery, claimed_at, successor

    def begin(self) -> None:
        marks = self.marks
        if marks.open_pk == self.delivery.pk:
            return  # sent with the previous message's COMMIT
        marks.release()
        marks.execute(_BEGIN_AND_MARK, _mark_parameters(self.delivery, self.claimed_at))
        marks.open_pk, marks.awaiting = self.delivery.pk, self.delivery.pk

    def is_ours(self) -> bool:
        marks = self.marks
        if marks.busy:
            marks.finish()
        return marks.answers.pop(self.delivery.pk, False)

    def commit(self) -> None:
        marks = self.marks
        if self.successor is None:
            marks.execute("COMMIT")
            marks.open_pk = None
        else:
            marks.execute("COMMIT; " + _BEGIN_AND_MARK, _mark_parameters(self.successor, self.claimed_at))
            marks.open_pk, marks.awaiting = self.successor.pk, self.successor.pk
        self.committed = True

    def settle(self) -> None:
        if self.marks.busy:
            self.marks.finish()

    def rollback(self) -> None:
        if self.marks.open_pk == self.delivery.pk:
            self.marks.release()


class Marks:
    """Makes the marks of one batch: pipelined on PostgreSQL outside a transaction."""

    def __init__(self):
        pipelined = connection.vendor == "postgresql" and not connection.in_atomic_block
        self._pipelined = PipelinedMarks() if pipelined else None

    def mark(self, delivery: Delivery, claimed_at: datetime, *, successor: Delivery | None = None) -> Mark:
        if self._pipelined is not None:
            return self._pipelined.mark(delivery, claimed_at, successor=successor)
        return AtomicMark(delivery, claimed_at)

    def release(self) -> None:
        """Before the batch's remaining rows are written elsewhere (given back, failed)."""
        if self._pipelined is None:
            return
        try:
            self._pipelined.release()
        except MarkError:
            # The server rolls back what this connection held once it is gone.
            self._pipelined.close()
            self._pipelined = PipelinedMarks()

    def close(self) -> None:
        if self._pipelined is not None:
            self._pipelined.close()
