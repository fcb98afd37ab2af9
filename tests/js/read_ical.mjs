// Reads iCalendar files with ical.js (Thunderbird's parser), as a calendar app would; one Node start for all.
// stdin: [{"ics": "<file text>", "walls": ["2027-03-28T01:59:59", ...], "until": 2028}, ...]
// stdout, one answer a file: [{"events": [{uid, start, end, start_tzid, end_tzid}],
//   "zones": {tzid: {"changes": [[unix seconds, offset before, offset after], ...] up to `until`,
//                    "instants": [unix seconds of each wall time]}}}, ...]
// Every time is read with the file's own VTIMEZONE: nothing is registered with the timezone service.
import ICAL from "ical.js";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);

const wallParts = (text) => {
  const [date, time] = text.split("T");
  const [year, month, day] = date.split("-").map(Number);
  const [hour, minute, second] = time.split(":").map(Number);
  return { year, month, day, hour, minute, second, isDate: false };
};

function readFile(request) {
  const calendar = new ICAL.Component(ICAL.parse(request.ics));
  const zoneOf = (time) => (time.zone ? time.zone.tzid : null);

  const events = calendar.getAllSubcomponents("vevent").map((component) => {
    const event = new ICAL.Event(component);
    return {
      uid: event.uid,
      start: event.startDate.toUnixTime(),
      end: event.endDate.toUnixTime(),
      start_tzid: zoneOf(event.startDate),
      end_tzid: zoneOf(event.endDate),
    };
  });

  const zones = {};
  for (const component of calendar.getAllSubcomponents("vtimezone")) {
    const zone = new ICAL.Timezone(component);
    // The changes as ical.js expands them from the observances (kept in UTC, as it keeps them itself).
    zone._ensureCoverage(request.until || 2000);
    zones[zone.tzid] = {
      changes: zone.changes.map((c) => [
        Date.UTC(c.year, c.month - 1, c.day, c.hour, c.minute, c.second) / 1000,
        c.prevUtcOffset,
        c.utcOffset,
      ]),
      instants: (request.walls || []).map((wall) => new ICAL.Time(wallParts(wall), zone).toUnixTime()),
    };
  }
  return { events, zones };
}

process.stdout.write(JSON.stringify(JSON.parse(Buffer.concat(chunks).toString("utf8")).map(readFile)));
