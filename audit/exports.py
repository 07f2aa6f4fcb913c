"""The audit record as CSV, for the secretariat's spreadsheet.

What people typed (a login tried at the sign-in form, a name) ends up in cells: each cell
goes through the attendee export's formula neutraliser (forums/exports.py), so a value
starting with = + - @ is shown as text and never run as a formula.
"""

import csv
import json
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _

from forums.exports import UTF8_BOM, neutralise

from .models import AuditEvent

LABELS = dict(AuditEvent.Action.choices)


class _Echo:
    """csv.writer writes into this and gets the line back, for a streaming response."""

    def write(self, value: str) -> str:
        return value


def header() -> list[str]:
    return [_("When (UTC)"), _("Who"), _("Action"), _("Description"), _("Object type"), _("Object id"),
            _("Object"), _("IP address"), _("Detail"), _("Request id")]


def row(event: AuditEvent) -> list[str]:
    return [
        event.at.isoformat(),
        event.actor.email if event.actor else "",
        event.action,
        str(LABELS.get(event.action, event.action)),
        event.target_type.model if event.target_type else "",
        "" if event.target_id is None else str(event.target_id),
        event.target_repr,
        event.ip or "",
        json.dumps(event.detail, ensure_ascii=False, sort_keys=True) if event.detail else "",
        # Last, so that the columns before it keep their places: the portal's log lines with this id.
        event.request_id,
    ]


def csv_lines(events: Iterable[AuditEvent]) -> Iterator[str]:
    """UTF-8 with a byte-order mark, so that Excel reads Japanese names correctly."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield UTF8_BOM
    yield writer.writerow([neutralise(cell) for cell in header()])
    for event in events:
        yield writer.writerow([neutralise(cell) for cell in row(event)])
