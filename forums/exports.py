"""The attendee list as CSV: plain UTF-8, and the same with a byte-order mark for Excel.

Names typed by the public end up in cells the secretariat opens in a spreadsheet. A cell
starting with = + - @ (or a tab or carriage return, which some programs skip before
reading a formula) would be run as a formula ("CSV injection"), so such a cell is written
with a leading apostrophe, which spreadsheets show as text.
"""

import csv
import io
import zoneinfo
from collections.abc import Iterable

from django.utils import formats
from django.utils.translation import gettext as _

from .models import Meeting, Registration

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Excel opens a CSV as UTF-8 only when the file starts with this mark; otherwise it reads
# Japanese names in the computer's legacy code page and shows them garbled.
UTF8_BOM = "\ufeff"


def neutralise(value: object) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def attendee_rows(meeting: Meeting, registrations: Iterable[Registration]) -> list[list[str]]:
    zone = zoneinfo.ZoneInfo(meeting.time_zone)
    header = [
        _("Name"),
        _("Name in Japanese script"),
        _("E-mail"),
        _("Organisation"),
        _("Organisation (Japanese)"),
        _("Country"),
        _("Job title"),
        _("Note (dietary, accessibility)"),
        _("Check-in code"),
        _("Checked in (%(zone)s)") % {"zone": meeting.time_zone},
    ]
    rows = [header]
    for registration in registrations:
        profile = getattr(registration.person, "profile", None)
        organization = registration.organization
        checked_in = (
            formats.date_format(registration.checked_in_at.astimezone(zone), "Y-m-d H:i")
            if registration.checked_in_at
            else ""
        )
        rows.append(
            [
                profile.full_name if profile else "",
                profile.full_name_ja if profile else "",
                registration.person.email,
                organization.name if organization else "",
                organization.name_ja if organization else "",
                organization.country.name_en if organization else "",
                profile.job_title if profile else "",
                registration.note,
                registration.checkin_code,
                checked_in,
            ]
        )
    return [[neutralise(cell) for cell in row] for row in rows]


def attendees_csv(meeting: Meeting, registrations: Iterable[Registration], *, for_excel: bool = False) -> bytes:
    buffer = io.StringIO()
    if for_excel:
        buffer.write(UTF8_BOM)
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerows(attendee_rows(meeting, registrations))
    return buffer.getvalue().encode("utf-8")
