"""Building and publishing a meeting's agenda. One function per action, keyword-only, one
transaction each.

The AgendaItem rows are the working draft the secretariat edits; `publish_agenda` freezes
them into a numbered AgendaVersion, and readers only ever see the latest such version.
Editing after a publication therefore starts the next draft without touching what readers
see, and publishing it again records what changed.
"""

from bisect import bisect_left
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import record_event
from notifications.models import Dispatch
from notifications.services import record_dispatch
from participants.models import Organization

from ..models import AgendaItem, AgendaVersion, Meeting
from ..permissions import can_build_agenda

# What a form may set on an item; position is changed only by moving it.
ITEM_FIELDS = frozenset(
    {"title_en", "title_ja", "presenter", "presenter_organization", "duration_minutes", "notes", "reviews_action_items"}
)
# Differences in these fields are reported as "edited"; duration is reported as "retimed".
EDIT_FIELDS = ("title_en", "title_ja", "presenter", "organization_id", "notes", "reviews_action_items")

Snapshot = list[dict[str, Any]]


def _require_builder(by, meeting: Meeting) -> None:
    if not can_build_agenda(by, meeting):
        raise PermissionDenied(_("Only the secretariat builds and publishes agendas."))


def _lock(meeting: Meeting) -> None:
    # Every change to one meeting's agenda runs one after the other: positions stay unique
    # and version numbers are not taken twice (a no-op on SQLite, which serialises writes).
    list(Meeting.objects.select_for_update().filter(pk=meeting.pk).values_list("pk", flat=True))


def snapshot_items(meeting: Meeting) -> Snapshot:
    """The current items as plain data, in order: what a published version keeps."""
    items = meeting.agenda_items.select_related("presenter_organization").order_by("position", "pk")
    return [
        {
            "id": item.pk,
            "title_en": item.title_en,
            "title_ja": item.title_ja,
            "presenter": item.presenter,
            "organization_id": item.presenter_organization_id,
            # The organisation's names as they were, so an old version reads as it was published.
            "organization_en": item.presenter_organization.name if item.presenter_organization_id else "",
            "organization_ja": item.presenter_organization.name_ja if item.presenter_organization_id else "",
            "duration_minutes": item.duration_minutes,
            "notes": item.notes,
            "reviews_action_items": item.reviews_action_items,
        }
        for item in items
    ]


def _kept_in_order(sequence: list[int]) -> set[int]:
    """Indexes of one longest increasing subsequence of `sequence`.

    The items whose old positions still increase in the new order kept their place
    relative to each other; only the others were moved. Ties go to the earlier items, so
    swapping two neighbours reports the one that went up.
    """
    tails: list[int] = []  # tails[k]: the smallest value ending an increasing run of length k+1
    tail_index: list[int] = []
    previous: list[int | None] = [None] * len(sequence)
    for index, value in enumerate(sequence):
        length = bisect_left(tails, value)
        if length == len(tails):
            tails.append(value)
            tail_index.append(index)
        else:
            tails[length] = value
            tail_index[length] = index
        previous[index] = tail_index[length - 1] if length else None
    kept: set[int] = set()
    cursor = tail_index[-1] if tail_index else None
    while cursor is not None:
        kept.add(cursor)
        cursor = previous[cursor]
    return kept


def _named(entry: dict[str, Any]) -> dict[str, Any]:
    # Both languages: each recipient of the notice reads it in their own.
    return {"id": entry["id"], "title_en": entry["title_en"], "title_ja": entry["title_ja"]}


def agenda_changes(before: Snapshot, after: Snapshot) -> dict[str, list[dict[str, Any]]]:
    """What differs between two snapshots: added, removed, moved, retimed, edited items.

    Positions are 1-based as the page numbers them. An item counts as moved only when its
    order relative to the other kept items changed, not when an addition or a removal
    above it shifts its number.
    """
    old = {entry["id"]: (number, entry) for number, entry in enumerate(before, start=1)}
    new = {entry["id"]: (number, entry) for number, entry in enumerate(after, start=1)}
    added = [{**_named(entry), "position": number} for entry_id, (number, entry) in new.items() if entry_id not in old]
    removed = [{**_named(entry), "position": number} for entry_id, (number, entry) in old.items() if entry_id not in new]

    common = [entry["id"] for entry in after if entry["id"] in old]
    kept = _kept_in_order([old[entry_id][0] for entry_id in common])
    moved = [
        {**_named(new[entry_id][1]), "from": old[entry_id][0], "to": new[entry_id][0]}
        for index, entry_id in enumerate(common)
        if index not in kept
    ]
    retimed = [
        {**_named(new[entry_id][1]), "from": old[entry_id][1]["duration_minutes"], "to": new[entry_id][1]["duration_minutes"]}
        for entry_id in common
        if old[entry_id][1]["duration_minutes"] != new[entry_id][1]["duration_minutes"]
    ]
    edited = [
        {**_named(new[entry_id][1]), "fields": [field for field in EDIT_FIELDS if old[entry_id][1].get(field) != new[entry_id][1].get(field)]}
        for entry_id in common
        if any(old[entry_id][1].get(field) != new[entry_id][1].get(field) for field in EDIT_FIELDS)
    ]
    changes = {"added": added, "removed": removed, "moved": moved, "retimed": retimed, "edited": edited}
    return {kind: entries for kind, entries in changes.items() if entries}


def latest_agenda_version(meeting: Meeting) -> AgendaVersion | None:
    return meeting.agenda_versions.order_by("-number").first()


def add_agenda_item(
    *,
    meeting: Meeting,
    by,
    title_en: str,
    duration_minutes: int,
    title_ja: str = "",
    presenter: str = "",
    presenter_organization: Organization | None = None,
    notes: str = "",
    reviews_action_items: bool = False,
) -> AgendaItem:
    """Adds an item at the end of the draft agenda.

    Side effects: one AgendaItem row. Readers see it only once the agenda is published.
    Raises PermissionDenied (not the secretariat) or ValidationError (invalid fields).
    """
    _require_builder(by, meeting)
    with transaction.atomic():
        _lock(meeting)
        last = meeting.agenda_items.aggregate(last=Max("position"))["last"] or 0
        item = AgendaItem(
            meeting=meeting,
            position=last + 1,
            title_en=title_en,
            title_ja=title_ja,
            presenter=presenter,
            presenter_organization=presenter_organization,
            duration_minutes=duration_minutes,
            notes=notes,
            reviews_action_items=reviews_action_items,
        )
        item.full_clean()
        item.save()
    return item


def update_agenda_item(*, item: AgendaItem, by, **changes: Any) -> AgendaItem:
    """Changes an item of the draft agenda (not its position: see move_agenda_item).

    Side effects: the AgendaItem row. Raises PermissionDenied, TypeError for a field that
    cannot be changed this way, ValidationError when the result is invalid.
    """
    _require_builder(by, item.meeting)
    unknown = set(changes) - ITEM_FIELDS
    if unknown:
        raise TypeError(f"update_agenda_item() cannot change {', '.join(sorted(unknown))}")
    with transaction.atomic():
        _lock(item.meeting)
        for name, value in changes.items():
            setattr(item, name, value)
        item.full_clean()
        item.save()
    return item


def move_agenda_item(*, item: AgendaItem, by, direction: str) -> bool:
    """Swaps the item with its neighbour above ("up") or below ("down").

    Side effects: the positions of two AgendaItem rows. Returns False, changing nothing,
    when the item is already first (up) or last (down).
    """
    _require_builder(by, item.meeting)
    if direction not in ("up", "down"):
        raise ValueError(f"direction must be 'up' or 'down', not {direction!r}")
    with transaction.atomic():
        _lock(item.meeting)
        item.refresh_from_db(fields=["position"])
        siblings = AgendaItem.objects.filter(meeting_id=item.meeting_id).exclude(pk=item.pk)
        if direction == "up":
            neighbour = siblings.filter(position__lt=item.position).order_by("-position").first()
        else:
            neighbour = siblings.filter(position__gt=item.position).order_by("position").first()
        if neighbour is None:
            return False
        # Positions are unique per meeting and checked row by row, so park the item on a
        # free position while the neighbour takes its place.
        parking = (AgendaItem.objects.filter(meeting_id=item.meeting_id).aggregate(last=Max("position"))["last"] or 0) + 1
        mine, theirs = item.position, neighbour.position
        AgendaItem.objects.filter(pk=item.pk).update(position=parking)
        AgendaItem.objects.filter(pk=neighbour.pk).update(position=mine)
        AgendaItem.objects.filter(pk=item.pk).update(position=theirs)
        item.position = theirs
    return True


def remove_agenda_item(*, item: AgendaItem, by) -> None:
    """Deletes an item from the draft agenda (published versions keep their copy).

    Side effects: one AgendaItem row deleted. The others keep their positions: only their
    order matters, and numbers are given when the agenda is shown.
    """
    _require_builder(by, item.meeting)
    with transaction.atomic():
        _lock(item.meeting)
        AgendaItem.objects.filter(pk=item.pk).delete()


def _freeze(*, meeting: Meeting, by) -> AgendaVersion:
    """The next AgendaVersion of the current items; the caller holds the meeting lock."""
    items = snapshot_items(meeting)
    previous = latest_agenda_version(meeting)
    if not items:
        raise ValidationError(_("Add at least one item before publishing the agenda."))
    changes = agenda_changes(previous.items, items) if previous else {}
    if previous and not changes:
        raise ValidationError(
            _("Nothing has changed since version %(number)s was published.") % {"number": previous.number}
        )
    return AgendaVersion.objects.create(
        meeting=meeting,
        number=(previous.number + 1) if previous else 1,
        items=items,
        changes=changes,
        published_by=by if by is not None and by.is_authenticated else None,
        published_at=timezone.now(),
    )


def publish_agenda(*, meeting: Meeting, by) -> AgendaVersion:
    """Freezes the current items as the next numbered version; readers see it from now on.

    Side effects: one AgendaVersion row (with what changed since the previous version);
    one Dispatch to the meeting's viewers: AGENDA_PUBLISHED for the first version,
    AGENDA_CHANGED with the change summary in its context for the later ones.
    Raises PermissionDenied (not the secretariat) and ValidationError (no items, or
    nothing changed since the last version).
    """
    _require_builder(by, meeting)
    with transaction.atomic():
        _lock(meeting)
        version = _freeze(meeting=meeting, by=by)
        record_dispatch(
            event=Dispatch.Event.AGENDA_CHANGED if version.number > 1 else Dispatch.Event.AGENDA_PUBLISHED,
            target=meeting,
            audience=Dispatch.Audience.MEETING_VIEWERS,
            context={"version": version.number, "agenda_version_id": version.pk, "changes": version.changes},
        )
        record_event(actor=by, action=AuditEvent.Action.AGENDA_PUBLISHED, target=meeting,
                     detail={"version": version.number})
    return version


def seed_published_agenda(*, meeting: Meeting) -> AgendaVersion | None:
    """For loading data (the demo): publishes the items when they differ from the latest
    version, without a permission check and without a notice. Returns the new version, or
    None when there was nothing (new) to publish."""
    with transaction.atomic():
        _lock(meeting)
        previous = latest_agenda_version(meeting)
        items = snapshot_items(meeting)
        if not items or (previous and not agenda_changes(previous.items, items)):
            return None
        return _freeze(meeting=meeting, by=None)
