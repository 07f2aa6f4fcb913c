"""The daily digest: one e-mail at 07:00 in the person's time zone gathering the notices
of the categories they take "once a day", or nothing on a day without any.

When a dispatch is expanded, a recipient on the digest gets a `held` Delivery rather
than a pending one (services.expand_dispatch): the worker never claims it and the sweep
never re-queues it. Every quarter of an hour beat runs `record_digests`, which, for each
person whose 07:00 has come and who holds notices from before it, records one digest
Dispatch (audience PERSON, key `digest:<person>:<local date>`, so at most one a day
however often or concurrently it runs) in the same transaction that marks those
deliveries `digested` by it. The digest then goes through the outbox like any notice:
expansion, batches, retries, the sweep, Message-ID and a one-click unsubscribe.
"""

import logging
import re
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import Min
from django.template.loader import render_to_string
from django.utils import timezone

from participants.timezones import is_valid_time_zone, zone_place_name
from working_groups.models import ActionItem

from .audiences import group_ids_by_person, meeting_of, may_be_told
from .emails import NoticeRenderer, target_queryset
from .models import Delivery, Dispatch, NotificationPreference, category_of
from .services import record_dispatch

logger = logging.getLogger(__name__)

Status = Delivery.Status
# The "07:00 in the person's time zone". Beat asks every quarter of an hour, the
# finest offset a zone has (Asia/Kathmandu +05:45), so everyone gets it on the dot.
DIGEST_TIME = time(7, 0)

# Why a held notice was left out, in `last_error` for the secretariat (like the sending's reasons).
GONE = "The notice's object no longer exists."
NO_ADDRESS = "The account is inactive or has no address any more."
SWITCHED_OFF = "The person switched this kind of notice off before the digest."
NOT_ALLOWED = "The person may no longer see what the notice is about."


def zone_of(name: str | None) -> zoneinfo.ZoneInfo:
    """A profile's time zone, or the portal's default as the e-mails use it (emails.recipient_of)."""
    return zoneinfo.ZoneInfo(name if name and is_valid_time_zone(name) else settings.PORTAL_DEFAULT_VIEWER_TIME_ZONE)


def zone_place_of(person) -> str:
    """Where the person's 07:00 is, as the settings page names it ("Tokyo", "Washington")."""
    profile = getattr(person, "profile", None)
    return zone_place_name(zone_of(profile.time_zone if profile else None).key)


def digest_key(person_id: int, day: date) -> str:
    return f"digest:{person_id}:{day.isoformat()}"


@dataclass(frozen=True)
class Due:
    """A person whose digest of `day` is due: it tells what was held before `cutoff`."""

    day: date
    cutoff: datetime


# -- recording -----------------------------------------------------------------------


def record_digests(*, now: datetime | None = None) -> list[Dispatch]:
    """Records today's digest of everyone whose 07:00 has come, who holds notices from
    before it, and who has not had it yet; returns the digests recorded.

    A notice held after 07:00 waits for tomorrow's digest, so a digest stays a morning
    e-mail even when beat runs late; one held since an earlier day (beat was down then)
    comes in the first digest after it. Each held notice is checked again as it goes in:
    one about what the person may no longer see, or of a category they switched off
    since, is left out (`withheld`). Queries: a handful for everyone, then one
    transaction per person (its dispatch, and the marks on its notices).
    """
    now = now or timezone.now()
    due = _due(now)
    if not due:
        return []
    held: dict[int, list[Delivery]] = defaultdict(list)
    for delivery in (Delivery.objects.filter(status=Status.HELD, recipient_id__in=list(due))
                     .select_related("dispatch").order_by("dispatch__created_at", "pk")):
        if delivery.created_at < due[delivery.recipient_id].cutoff:
            held[delivery.recipient_id].append(delivery)
    people = {person.pk: person for person in
              get_user_model().objects.filter(pk__in=list(held)).select_related("profile__organization")}
    group_ids = group_ids_by_person(held)
    switched_off = set(
        NotificationPreference.objects.filter(person_id__in=list(held), mode=NotificationPreference.Mode.OFF)
        .values_list("person_id", "category")
    )
    targets = load_targets([delivery.dispatch for deliveries in held.values() for delivery in deliveries])

    recorded = []
    for person_id, deliveries in held.items():
        person = people.get(person_id)
        told, left_out = [], defaultdict(list)
        for delivery in deliveries:
            dispatch = delivery.dispatch
            target = targets.get((dispatch.target_type_id, dispatch.target_id))
            if person is None or not person.is_active or not person.email:
                left_out[NO_ADDRESS].append(delivery.pk)
            elif target is None:
                left_out[GONE].append(delivery.pk)
            elif (person_id, category_of(dispatch)) in switched_off:
                left_out[SWITCHED_OFF].append(delivery.pk)
            elif not may_be_told(person, target, group_ids=group_ids[person_id]):
                left_out[NOT_ALLOWED].append(delivery.pk)
            else:
                told.append(delivery.pk)
        digest = _record_one(person, due[person_id], told, left_out)
        if digest is not None:
            recorded.append(digest)
    if recorded:
        logger.info("Daily digests recorded: %s.", len(recorded))
    return recorded


def _due(now: datetime) -> dict[int, Due]:
    """The people with held notices whose digest is due now, in two queries."""
    waiting = (
        Delivery.objects.filter(status=Status.HELD)
        .values("recipient_id", "recipient__profile__time_zone")
        .annotate(first_held=Min("created_at"))
        .order_by()
    )
    due: dict[int, Due] = {}
    for row in waiting:
        zone = zone_of(row["recipient__profile__time_zone"])
        today = now.astimezone(zone).date()
        cutoff = datetime.combine(today, DIGEST_TIME, tzinfo=zone)
        if now >= cutoff and row["first_held"] < cutoff:
            due[row["recipient_id"]] = Due(day=today, cutoff=cutoff)
    if due:
        keys = {digest_key(person_id, entry.day): person_id for person_id, entry in due.items()}
        for key in Dispatch.objects.filter(key__in=list(keys)).values_list("key", flat=True):
            del due[keys[key]]  # had today's already: what was held since waits for tomorrow
    return due


def _record_one(person, due: Due, told: list[int], left_out: dict[str, list[int]]) -> Dispatch | None:
    """One person's digest and the marks on what it tells and leaves out, all or nothing."""
    try:
        with transaction.atomic():
            digest = None
            if told:
                digest = record_dispatch(
                    event=Dispatch.Event.DIGEST, target=person, audience=Dispatch.Audience.PERSON,
                    person=person, context={"day": due.day.isoformat()}, key=digest_key(person.pk, due.day),
                )
                # Only still-held rows: a run that got here first has marked them already.
                if Delivery.objects.filter(pk__in=told, status=Status.HELD).update(
                        status=Status.DIGESTED, digest=digest) == 0:
                    raise _NothingLeft
            for reason, ids in left_out.items():
                Delivery.objects.filter(pk__in=ids, status=Status.HELD).update(
                    status=Status.WITHHELD, last_error=reason)
    except (IntegrityError, _NothingLeft):
        return None  # another run recorded today's digest a moment ago
    return digest


class _NothingLeft(Exception):
    pass


def load_targets(dispatches: list[Dispatch]) -> dict[tuple[int, int], models.Model]:
    """The objects of many notices, with what their e-mails show: one query per kind."""
    wanted: dict[int, set[int]] = defaultdict(set)
    for dispatch in dispatches:
        wanted[dispatch.target_type_id].add(dispatch.target_id)
    targets = {}
    for type_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None:
            continue
        queryset = target_queryset(model)
        if model is ActionItem:
            queryset = queryset.select_related("working_group", "meeting__working_group")
        for target in queryset.filter(pk__in=ids):
            targets[(type_id, target.pk)] = target
    return targets


# -- rendering -----------------------------------------------------------------------


@dataclass
class DigestItem:
    """One notice as the digest lists it, in the reader's language and zone."""

    headline: str  # what happened, as the notice's own subject line says it
    happened_at: datetime
    url: str
    meeting: Any = None
    meeting_url: str | None = None
    details: list[str] = field(default_factory=list)


def digest_context(digest: Dispatch, language: str) -> dict[str, Any]:
    """What the digest's templates add to the usual context: its day and its items.

    Called by NoticeRenderer.context_for with the reader's language and zone active; each
    item is worded by its own notice's renderer and subject template, so it reads exactly
    as the single e-mail would have.
    """
    deliveries = list(
        Delivery.objects.filter(digest=digest).select_related("dispatch").order_by("dispatch__created_at", "pk")
    )
    targets = load_targets([delivery.dispatch for delivery in deliveries])
    items = []
    for delivery in deliveries:
        dispatch = delivery.dispatch
        target = targets.get((dispatch.target_type_id, dispatch.target_id))
        if target is None:
            continue  # deleted since the digest was recorded
        context = NoticeRenderer(dispatch, target=target).context_for(language)
        details = list(context.get("agenda_changes") or [])
        if isinstance(target, ActionItem):
            details.append(target.text)
        items.append(DigestItem(
            headline=re.sub(r"\s+", " ", render_to_string(f"email/{dispatch.event}/subject.txt", context)).strip(),
            happened_at=dispatch.created_at,
            url=_link(context, target),
            meeting=meeting_of(target),
            meeting_url=context.get("meeting_url"),
            details=details,
        ))
    day = (digest.context or {}).get("day")
    return {
        "is_digest": True,
        "digest_day": date.fromisoformat(day) if day else timezone.localdate(digest.created_at),
        "items": items,
    }


def _link(context: dict[str, Any], target: models.Model) -> str:
    if context.get("paper_url"):
        return context["paper_url"]
    if isinstance(target, ActionItem) and context.get("action_items_url"):
        return context["action_items_url"]
    return context.get("meeting_url") or context["portal_url"]
