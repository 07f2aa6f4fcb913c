// Reads one iCalendar file on stdin and prints its events as ical.js reads them, as JSON:
// [{uid, sequence, method, status, dtstart, dtend}], times as UTC ISO 8601 strings.
// Every VTIMEZONE of the file is registered with ical.js, and a time whose TZID has none
// is an error: the point is to check the portal's own VTIMEZONEs, and ical.js has no zone
// data of its own to fall back on (it would read the time as floating, silently wrong).
import ICAL from "ical.js";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const text = Buffer.concat(chunks).toString("utf8");

const calendar = new ICAL.Component(ICAL.parse(text));
ICAL.TimezoneService.reset();
for (const definition of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(new ICAL.Timezone(definition));
}

function utc(event, name) {
  const property = event.getFirstProperty(name);
  if (!property) return null;
  const time = property.getFirstValue();
  const tzid = property.getParameter("tzid");
  if (tzid) {
    if (!ICAL.TimezoneService.has(tzid)) throw new Error(`${name}: no VTIMEZONE for TZID ${tzid}`);
    // Read it through the registered definition, whatever ical.js picked while parsing.
    time.zone = ICAL.TimezoneService.get(tzid);
  } else if (time.zone !== ICAL.Timezone.utcTimezone && !time.isDate) {
    throw new Error(`${name}: a floating time (${time}) names no moment`);
  }
  return time.toJSDate().toISOString();
}

const method = calendar.getFirstPropertyValue("method");
const events = calendar.getAllSubcomponents("vevent").map((event) => ({
  uid: event.getFirstPropertyValue("uid"),
  sequence: event.getFirstPropertyValue("sequence") ?? 0,
  method: method ?? null,
  status: event.getFirstPropertyValue("status") ?? null,
  dtstart: utc(event, "dtstart"),
  dtend: utc(event, "dtend"),
}));
process.stdout.write(JSON.stringify(events));
