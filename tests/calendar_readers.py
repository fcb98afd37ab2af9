"""Three calendar readers of the planner's iCalendar: ical.js (Thunderbird's parser, run by Node), icalendar
and vobject. Each reads every time with the file's own VTIMEZONE, as an app that does not know the zone
would, and answers in the same shape so that tests can hold them side by side.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
import vobject.icalendar

from planner.ical.vtimezone import zone_changes

JS_DIR = Path(__file__).parent / "js"
NODE = shutil.which("node")
ICALJS_MISSING = (
    "Node.js is not installed: the ical.js reader needs it (Debian packages nodejs and npm)"
    if NODE is None
    else "ical.js is not installed in tests/js (npm was not available to `make test`; run `make js`)"
    if not (JS_DIR / "node_modules" / "ical.js" / "package.json").exists()
    else None
)
READERS = ("ical.js", "icalendar", "vobject")


@dataclass(frozen=True)
class Times:
    """An event as a reader understood it: its UTC start and end."""

    start: datetime
    end: datetime


# (UTC instant, offset before, offset after): one change of a zone's offset.
Change = tuple[datetime, timedelta, timedelta]


@dataclass
class Reading:
    """What one reader made of a file: events by UID, and per VTIMEZONE its changes of offset in the years
    asked about and the instant of each wall time asked about."""

    events: dict[str, Times]
    changes: dict[str, list[Change]]
    instants: dict[str, list[datetime]]


def read(reader: str, data: bytes, walls=(), years: tuple[int, int] = (2026, 2026)) -> Reading:
    """Read `data` with one of READERS; `walls` (naive) are read in each zone, changes listed in `years`."""
    return read_all(reader, [(data, walls, years)])[0]


def read_all(reader: str, files: list[tuple[bytes, list[datetime], tuple[int, int]]]) -> list[Reading]:
    """Read several files as `read` does, each on its own (ical.js in one Node process)."""
    if reader == "ical.js":
        if ICALJS_MISSING:
            pytest.skip(ICALJS_MISSING)
        return _icaljs(files)
    return [_read_here(reader, data, walls, years) for data, walls, years in files]


def _read_here(reader: str, data: bytes, walls, years) -> Reading:
    if reader == "icalendar":
        calendar = icalendar.Calendar.from_ical(data)
        zones = {
            str(vtz["TZID"]): (vtz.to_ical(), vtz.to_tz(lookup_tzid=False))
            for vtz in calendar.walk("VTIMEZONE")
        }
        events = {
            str(event["UID"]): Times(
                _icalendar_instant(event["DTSTART"], zones), _icalendar_instant(event["DTEND"], zones)
            )
            for event in calendar.walk("VEVENT")
        }
        return _reading(reader, events, zones, walls, years)
    if reader == "vobject":
        # vobject keeps the first VTIMEZONE it ever saw per TZID for the whole process: start afresh so that
        # this file's own definition is the one read, and leave the registry as it was for other tests.
        registry = vars(vobject.icalendar)["__tzidMap"]
        kept = dict(registry)
        registry.clear()
        registry["UTC"] = vobject.icalendar.utc
        try:
            calendar = vobject.readOne(data.decode("utf-8"))
            zones = {
                vtz.tzid.value: (vtz.serialize(), vtz.gettzinfo())
                for vtz in getattr(calendar, "vtimezone_list", [])
            }
            events = {
                event.uid.value: Times(_aware(event.dtstart.value), _aware(event.dtend.value))
                for event in getattr(calendar, "vevent_list", [])
            }
        finally:
            registry.clear()
            registry.update(kept)
        return _reading(reader, events, zones, walls, years)
    raise ValueError(reader)


def _aware(value: datetime) -> datetime:
    assert value.tzinfo is not None, f"read as a floating time: {value}"
    return value.astimezone(UTC)


def _icalendar_instant(prop, zones) -> datetime:
    tzid = prop.params.get("TZID")
    if tzid:
        # icalendar would take a known TZID from zoneinfo; the served definition is what is tested here.
        return prop.dt.replace(tzinfo=zones[tzid][1]).astimezone(UTC)
    return _aware(prop.dt)


def span(years: tuple[int, int]) -> tuple[datetime, datetime]:
    """The instants from local 1 January of the first year to local 31 December of the last, in any zone."""
    return (
        datetime(years[0], 1, 1, tzinfo=UTC) - timedelta(hours=14),
        datetime(years[1] + 1, 1, 1, tzinfo=UTC) + timedelta(hours=14),
    )


# Changes found per (reader, VTIMEZONE text, years): the same definition recurs in many files of a test.
_FOUND: dict[tuple, list[Change]] = {}


def _changes(reader: str, text, tz, years) -> list[Change]:
    key = (reader, text, years)
    if key not in _FOUND:
        # Found in the reader's own zone the way the planner finds them in zoneinfo: by asking it the time.
        _FOUND[key] = [
            (c.at, c.before, c.after) for c in zone_changes(tz, *span(years)) if c.before != c.after
        ]
    return _FOUND[key]


def _reading(reader, events, zones, walls, years) -> Reading:
    return Reading(
        events=events,
        changes={tzid: _changes(reader, text, tz, years) for tzid, (text, tz) in zones.items()},
        instants={
            tzid: [w.replace(tzinfo=tz).astimezone(UTC) for w in walls] for tzid, (_, tz) in zones.items()
        },
    )


def _icaljs(files) -> list[Reading]:
    requests = [
        {
            "ics": data.decode("utf-8"),
            "walls": [w.strftime("%Y-%m-%dT%H:%M:%S") for w in walls],
            "until": years[1] + 1,
        }
        for data, walls, years in files
    ]
    done = subprocess.run(
        [NODE, str(JS_DIR / "read_ical.mjs")],
        input=json.dumps(requests),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [
        _icaljs_reading(answer, years)
        for answer, (_, _, years) in zip(json.loads(done.stdout), files, strict=True)
    ]


def _icaljs_reading(answer: dict, years: tuple[int, int]) -> Reading:
    def instant(seconds: int) -> datetime:
        return datetime.fromtimestamp(seconds, UTC)

    def seconds(value: int) -> timedelta:
        return timedelta(seconds=value)

    begins, ends = span(years)
    return Reading(
        events={e["uid"]: Times(instant(e["start"]), instant(e["end"])) for e in answer["events"]},
        changes={
            tzid: [
                (instant(at), seconds(before), seconds(after))
                for at, before, after in zone["changes"]
                if before != after and begins <= instant(at) < ends
            ]
            for tzid, zone in answer["zones"].items()
        },
        instants={tzid: [instant(s) for s in zone["instants"]] for tzid, zone in answer["zones"].items()},
    )


def sample_instants(tzid: str, first_year: int, last_year: int) -> list[datetime]:
    """Instants to check a zone at: every 6 hours of the years, and every 15 minutes near each change."""
    start, end = span((first_year, last_year))
    found = set()
    moment = start
    while moment < end:
        found.add(moment)
        moment += timedelta(hours=6)
    for change in zone_changes(ZoneInfo(tzid), start, end):
        for quarter in range(-12, 13):
            found.add(change.at + timedelta(minutes=15 * quarter))
        found.update({change.at - timedelta(seconds=1), change.at})
    return sorted(found)


def unambiguous(tzid: str, instants: list[datetime]) -> list[datetime]:
    """The instants whose wall time names only them (the repeated hour of an autumn change names two)."""
    zone = ZoneInfo(tzid)
    kept = []
    for moment in instants:
        local = moment.astimezone(zone)
        if local.replace(fold=1 - local.fold).utcoffset() == local.utcoffset():
            kept.append(moment)
    return kept
