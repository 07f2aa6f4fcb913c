"""What every log line says about where it comes from: the request (its id, the person's
id, the view) or the worker's notice (the dispatch and the delivery), kept in context
variables so that code deep below a view or a task logs with them without being handed
them. The audit record reads the request id here too (audit/services.py).

Production (DJANGO_DEBUG=false) or LOG_FORMAT=json writes one JSON object per line
(`JsonFormatter`); the embedded portal keeps readable text. A line never carries an
e-mail address: people are named by their id only.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("log_request_id", default=None)
person_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("log_person_id", default=None)
view_name: contextvars.ContextVar[str | None] = contextvars.ContextVar("log_view", default=None)
dispatch_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("log_dispatch_id", default=None)
delivery_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("log_delivery_id", default=None)

CONTEXT_FIELDS = {
    "request_id": request_id,
    "person_id": person_id,
    "view": view_name,
    "dispatch_id": dispatch_id,
    "delivery_id": delivery_id,
}

# An incoming X-Request-ID is kept only when it looks like an identifier: it goes into
# every log line and the audit record, so no spaces, quotes or line breaks, and short.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,63}")
# An e-mail address that slipped into a message (an exception's text, a library's line)
# is replaced before the line is written.
# (A domain ends in letters: the credentials of redis://:pw@127.0.0.1 are not an address.)
EMAIL_ADDRESS = re.compile(r"[\w][\w.!#$%&'*+/=?^`{|}~-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
REDACTED = "[e-mail address]"


def new_request_id() -> str:
    return secrets.token_hex(16)


def sane_request_id(value: str | None) -> str | None:
    if value and SANE_REQUEST_ID.fullmatch(value):
        return value
    return None


@contextmanager
def bound(variable: contextvars.ContextVar, value) -> Iterator[None]:
    """`value` in `variable` for the length of the block (a task's dispatch, a delivery)."""
    token = variable.set(value)
    try:
        yield
    finally:
        variable.reset(token)


class ContextFilter(logging.Filter):
    """Puts the context's fields on every record (as attributes), unless the call gave them."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, variable in CONTEXT_FIELDS.items():
            if getattr(record, name, None) is None:
                setattr(record, name, variable.get())
        return True


# Attributes every LogRecord has; anything else on a record came from `extra=`. Django's
# request logging adds the request object itself: its path may hold a token, and the
# request id already says which request it was.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message", "asctime", "request", "server_time"}


def redact(text: str) -> str:
    return EMAIL_ADDRESS.sub(REDACTED, text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the
    context's fields that are set, whatever `extra=` gave, and the exception's trace."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for name, value in vars(record).items():
            if name in _STANDARD_ATTRIBUTES or name.startswith("_") or value is None:
                continue
            if isinstance(value, int | float | bool):
                entry[name] = value
            elif isinstance(value, dict | list | tuple):
                entry[name] = json.loads(redact(json.dumps(value, ensure_ascii=False, default=str)))
            else:
                entry[name] = redact(str(value))
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Readable lines for the embedded portal, with the request id when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = " ".join(f"{name}={getattr(record, name)}" for name in CONTEXT_FIELDS
                           if getattr(record, name, None) is not None)
        return redact(f"{line} [{context}]" if context else line)
