"""Reads an iCalendar file as three calendar clients do, each through the VTIMEZONEs the
file itself carries (never the client's own zone database), so a test can check that the
portal's files mean the same moments to all of them.

Each function takes the text of one .ics (a feed, a meeting's file, an e-mail's
text/calendar part) and returns its VEVENTs in file order, one dict each::

    {"uid": str, "sequence": int, "method": str | None, "status": str | None,
     "dtstart": datetime, "dtend": datetime | None}

`dtstart`/`dtend` are aware datetimes in UTC; `method` is the calendar's METHOD (REQUEST,
CANCEL) or None for a download. The three agree on a good file; comparing them with the
database is the test's job (`assert_clients_agree` does both).

- `icalendar_events`: the `icalendar` package (what the portal writes with).
- `vobject_events`: `vobject` (dateutil's reading of VTIMEZONE, as Radicale and others use).
- `icaljs_events`: ical.js in Node (Thunderbird, Nextcloud and many web calendars), through
  tests/js/icaljs_events.mjs; needs `npm ci` in tests/js (`make test` does it).
  `icaljs_missing_reason()` says why it cannot run, or None.
"""

import json
import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path

import vobject
from icalendar import Calendar
from icalendar.timezone import tzp

CalendarEvent = dict
Reader = Callable[[str], list[CalendarEvent]]

JS_FOLDER = Path(__file__).resolve().parent / "js"
ICALJS_SCRIPT = JS_FOLDER / "icaljs_events.mjs"


class MissingTimezone(AssertionError):
    """A time names a TZID the file has no VTIMEZONE for: no client can read it reliably."""


def _in_utc(value: date | datetime | None) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise AssertionError(f"an all-day value {value!r} where the portal writes times")
    if value.tzinfo is None:
        raise AssertionError(f"a floating time {value!r} names no moment")
    return value.astimezone(UTC)


# -- icalendar ----------------------------------------------------------------------------


def icalendar_events(ics_text: str) -> list[CalendarEvent]:
    calendar = Calendar.from_ical(ics_text)
    # lookup_tzid=False: built from the file's VTIMEZONE, not found by name in zoneinfo.
    zones = {str(component["TZID"]): component.to_tz(tzp, lookup_tzid=False) for component in calendar.walk("VTIMEZONE")}
    method = calendar.get("METHOD")

    def moment(event, name: str) -> datetime | None:
        if name not in event:
            return None
        prop = event[name]
        tzid = prop.params.get("TZID")
        if tzid is None:
            return _in_utc(prop.dt)
        if tzid not in zones:
            raise MissingTimezone(f"{name}: no VTIMEZONE for TZID {tzid}")
        wall_clock = prop.dt.replace(tzinfo=None)
        return _in_utc(tzp.localize(wall_clock, zones[tzid]))

    return [
        {
            "uid": str(event["UID"]),
            "sequence": int(event.get("SEQUENCE", 0)),
            "method": str(method) if method is not None else None,
            "status": str(event["STATUS"]) if "STATUS" in event else None,
            "dtstart": moment(event, "DTSTART"),
            "dtend": moment(event, "DTEND"),
        }
        for event in calendar.walk("VEVENT")
    ]


# -- vobject ------------------------------------------------------------------------------


def vobject_events(ics_text: str) -> list[CalendarEvent]:
    # transform=False: vobject keeps one process-wide map of TZID to zone, filled by the
    # first file read and otherwise from pytz; each file's own VTIMEZONEs are used instead.
    calendar = vobject.readOne(ics_text, transform=False)
    zones: dict[str, tzinfo] = {}
    for component in calendar.contents.get("vtimezone", []):
        # The reading vobject makes of a VTIMEZONE, applied to the untransformed component.
        zones[component.tzid.value] = vobject.icalendar.TimezoneComponent.gettzinfo(component)
    method = calendar.contents["method"][0].value if "method" in calendar.contents else None

    def moment(event, name: str) -> datetime | None:
        lines = event.contents.get(name)
        if not lines:
            return None
        [line] = lines
        tzid = line.params.get("TZID", [None])[0]
        if tzid is not None and tzid not in zones:
            raise MissingTimezone(f"{name}: no VTIMEZONE for TZID {tzid}")
        return _in_utc(vobject.icalendar.stringToDateTime(line.value, zones.get(tzid)))

    events = []
    for event in calendar.contents.get("vevent", []):
        contents = event.contents
        events.append({
            "uid": contents["uid"][0].value,
            "sequence": int(contents["sequence"][0].value) if "sequence" in contents else 0,
            "method": method,
            "status": contents["status"][0].value if "status" in contents else None,
            "dtstart": moment(event, "dtstart"),
            "dtend": moment(event, "dtend"),
        })
    return events


# -- ical.js ------------------------------------------------------------------------------


def icaljs_missing_reason() -> str | None:
    if shutil.which("node") is None:
        return "needs Node.js for ical.js (apt-get install nodejs npm)"
    if not (JS_FOLDER / "node_modules" / "ical.js").is_dir():
        return "needs ical.js: run `npm ci` in tests/js (make test does)"
    return None


def icaljs_events(ics_text: str) -> list[CalendarEvent]:
    reason = icaljs_missing_reason()
    if reason is not None:
        raise RuntimeError(reason)
    result = subprocess.run(
        ["node", str(ICALJS_SCRIPT)], input=ics_text.encode(), capture_output=True, cwd=JS_FOLDER, timeout=60,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"ical.js could not read the calendar: {result.stderr.decode(errors='replace')}")
    events = json.loads(result.stdout)
    for event in events:
        for name in ("dtstart", "dtend"):
            if event[name] is not None:
                event[name] = datetime.fromisoformat(event[name].replace("Z", "+00:00")).astimezone(UTC)
        event["sequence"] = int(event["sequence"])
    return events


CLIENTS: dict[str, Reader] = {"icalendar": icalendar_events, "vobject": vobject_events, "ical.js": icaljs_events}


def assert_clients_agree(ics_text: str, expected: dict[str, tuple[datetime, datetime]]) -> dict[str, list[CalendarEvent]]:
    """Reads `ics_text` with every client and checks that each finds exactly the events of
    `expected` (UID → (start, end), aware datetimes) at those moments; returns what each read.

    The failure names the client, the event and both moments, e.g. an ical.js reading an
    hour late.
    """
    readings = {name: reader(ics_text) for name, reader in CLIENTS.items()}
    wanted = {uid: (start.astimezone(UTC), end.astimezone(UTC)) for uid, (start, end) in expected.items()}
    problems = []
    for name, events in readings.items():
        found = {event["uid"]: (event["dtstart"], event["dtend"]) for event in events}
        if set(found) != set(wanted):
            problems.append(f"{name} read the events {sorted(found)}, expected {sorted(wanted)}")
            continue
        for uid, moments in wanted.items():
            if found[uid] != moments:
                problems.append(f"{name} read {uid} as {found[uid][0]:%Y-%m-%d %H:%M}Z–{found[uid][1]:%H:%M}Z, "
                                f"the portal holds {moments[0]:%Y-%m-%d %H:%M}Z–{moments[1]:%H:%M}Z")
    assert not problems, "\n".join(problems)
    return readings
