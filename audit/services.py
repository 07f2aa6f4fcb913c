"""Writing to the audit record. One function; callers pass who, what and on which object."""

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import AuditEvent


def client_ip(request) -> str | None:
    """The address the request came from, as this process saw it.

    REMOTE_ADDR only: X-Forwarded-For can be forged by the client, and the proxy in front
    of the portal is not known here. Behind a proxy this is the proxy's address until the
    deployment sets REMOTE_ADDR from a trusted header.
    """
    return request.META.get("REMOTE_ADDR") or None


def record_event(
    *, actor, action: str, target: models.Model | None = None, ip: str | None = None, detail: dict | None = None
) -> AuditEvent:
    """Adds one AuditEvent row (and nothing else). Anonymous actors are stored as empty."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=target.pk if target is not None else None,
        target_repr=str(target)[:300] if target is not None else "",
        ip=ip,
        detail=detail or {},
    )
