"""Writing to the audit record. One function; callers pass who, what and on which object."""

import contextvars

from django.contrib.contenttypes.models import ContentType
from django.db import models

from dicas_portal import client_address, log_context

from .models import AuditEvent

# The address of the request being answered (set by AuditContextMiddleware), so that a
# service deep below a view records it without being handed the request.
request_address: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_request_address", default=None)

# What an event's target may be called at most, and how long a detail string may be:
# the record stores what a person typed at a sign-in form, and that can be anything.
TARGET_REPR_LENGTH = 300
DETAIL_TEXT_LENGTH = 300


def client_ip(request) -> str | None:
    """The address the request came from: the portal's one answer
    (dicas_portal/client_address.py), X-Forwarded-For only from a trusted proxy. None when
    it is not an address (a misconfigured server), stored as unknown."""
    return client_address.client_ip(request)


def _clean_detail(detail: dict | None) -> dict:
    """JSON-safe, bounded, without NUL characters (PostgreSQL's jsonb refuses them)."""
    cleaned: dict = {}
    for key, value in (detail or {}).items():
        if isinstance(value, str):
            value = value.replace("\x00", "")[:DETAIL_TEXT_LENGTH]
        elif not isinstance(value, (int, float, bool, type(None), list, dict)):
            value = str(value)[:DETAIL_TEXT_LENGTH]
        cleaned[str(key)] = value
    return cleaned


def record_event(
    *,
    actor,
    action: str,
    target: models.Model | None = None,
    ip: str | None = None,
    detail: dict | None = None,
) -> AuditEvent:
    """Adds one AuditEvent row (and nothing else). Anonymous actors are stored as empty.

    Without `ip`, the address of the request being answered is recorded (none outside a
    request), and so is the request's id (dicas_portal/log_context.py). Call it inside the service's transaction: the record and the change it
    describes are committed together.
    """
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=target.pk if target is not None else None,
        target_repr=str(target).replace("\x00", "")[:TARGET_REPR_LENGTH] if target is not None else "",
        ip=ip if ip is not None else request_address.get(),
        request_id=log_context.request_id.get() or "",
        detail=_clean_detail(detail),
    )
