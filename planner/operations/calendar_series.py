"""Writing meetings back into repeating events made in a calendar, and keeping an event's organizer.

A meeting imported from one occurrence of a series is written back as an overridden instance
(a VEVENT with RECURRENCE-ID) inside the series' own resource, and a meeting removed from it as an
EXDATE on the series: the series stays one series on the server, and nothing is duplicated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

from icalendar import Calendar, Event, vCalAddress

from planner.caldav_backend import EventRefused, Fetched, UidTaken, href_path
from planner.ical import resolve_zone
from planner.models.calendars import SyncState
from planner.sync import OCCURRENCE_MARK, BadEvent, Remote, State, parse_event

PEOPLE = ("ORGANIZER", "ATTENDEE")


@dataclass(frozen=True)
class SeriesWrite:
    """One occurrence to write into its series: the meeting's event, or its removal (``exclude``)."""

    meeting_id: int
    recurrence_id: str
    ics: str
    fields: dict[str, str]
    exclude: bool = False


def _original(stamp: str) -> date | datetime:
    if len(stamp) == 8:
        return datetime.strptime(stamp, "%Y%m%d").date()  # noqa: DTZ007 - a date, no zone
    if stamp.endswith("Z"):
        return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return datetime.strptime(stamp, "%Y%m%dT%H%M%S")  # noqa: DTZ007 - a floating time stays floating


def _like_master(original: date | datetime, master: Event, zone: str) -> date | datetime:
    """The RECURRENCE-ID value in the form of the series' DTSTART (date, zone, UTC or floating)."""
    start = master["DTSTART"].dt
    if not isinstance(start, datetime):
        return original if not isinstance(original, datetime) else original.date()
    if not isinstance(original, datetime):
        return datetime.combine(original, start.timetz())
    if original.tzinfo is None:
        return original
    if start.tzinfo is None:
        # A floating series: its wall times are read in the engagement's zone.
        return original.astimezone(resolve_zone(zone, zone)).replace(tzinfo=None)
    tzid = master["DTSTART"].params.get("TZID")
    return original.astimezone(resolve_zone(tzid, zone) if tzid else start.tzinfo)


def _same(a: date | datetime, b: date | datetime) -> bool:
    if isinstance(a, datetime) and isinstance(b, datetime):
        if (a.tzinfo is None) != (b.tzinfo is None):
            return False
        return a == b
    return a == b


def _with_client_scheduling(address: vCalAddress) -> vCalAddress:
    copied = vCalAddress(str(address))
    copied.params.update(address.params)
    # The planner sends no invitations: the server must not schedule on its behalf.
    copied.params["SCHEDULE-AGENT"] = "CLIENT"
    return copied


def apply_series_writes(ics: str, writes: list[SeriesWrite], zone: str) -> str:
    """The series resource with each write applied as an overridden instance or an EXDATE."""
    calendar = Calendar.from_ical(ics)
    events = [c for c in calendar.subcomponents if c.name == "VEVENT"]
    master = next(e for e in events if "RECURRENCE-ID" not in e)
    uid = str(master["UID"])
    zones = {str(c.get("TZID")) for c in calendar.subcomponents if c.name == "VTIMEZONE"}
    for write in writes:
        rid = _like_master(_original(write.recurrence_id), master, zone)
        for event in [e for e in calendar.subcomponents if e.name == "VEVENT" and "RECURRENCE-ID" in e]:
            if _same(event["RECURRENCE-ID"].dt, rid):
                calendar.subcomponents.remove(event)
        if write.exclude:
            master.add("EXDATE", rid)
            continue
        ours = Calendar.from_ical(write.ics)
        for timezone in ours.walk("VTIMEZONE"):
            if str(timezone.get("TZID")) not in zones:
                calendar.subcomponents.insert(0, timezone)
                zones.add(str(timezone.get("TZID")))
        override = next(iter(ours.walk("VEVENT")))
        override.pop("UID")
        override.add("UID", uid)
        override.add("RECURRENCE-ID", rid)
        for name in PEOPLE:
            if name in master and name not in override:
                values = master[name] if isinstance(master[name], list) else [master[name]]
                copied = [_with_client_scheduling(v) for v in values]
                override[name] = copied if len(copied) > 1 else copied[0]
        calendar.add_component(override)
    return calendar.to_ical().decode("utf-8")


def people_of(vevent: Event) -> str | None:
    """The ORGANIZER and ATTENDEEs of an event made elsewhere, kept to be written back with it."""
    kept: dict[str, list[list]] = {}
    for name in PEOPLE:
        if name not in vevent:
            continue
        values = vevent[name] if isinstance(vevent[name], list) else [vevent[name]]
        kept[name] = [[str(v), dict(v.params)] for v in values]
    return json.dumps(kept, sort_keys=True) if kept else None


def kept_people(kept: str | None) -> dict[str, list[vCalAddress]]:
    """What ``people_of`` kept, ready to be written (``SCHEDULE-AGENT=CLIENT`` on each)."""
    if not kept:
        return {}
    try:
        data = json.loads(kept)
    except ValueError:
        return {}
    people: dict[str, list[vCalAddress]] = {}
    for name in PEOPLE:
        values = []
        for value, params in data.get(name, []):
            address = vCalAddress(value)
            address.params.update({str(k): str(v) for k, v in params.items()})
            values.append(_with_client_scheduling(address))
        if values:
            people[name] = values
    return people


def stamp_key(href: str) -> str:
    """The original start of the occurrence an href stands for."""
    return href.split(OCCURRENCE_MARK, 1)[1]


def parse_instant(value: str) -> datetime:
    """An instant of the normalised fields (``...Z``) as an aware UTC datetime."""
    if len(value) == 10:
        return datetime.fromisoformat(value + "T00:00:00+00:00")
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def uid_refusal(exc: UidTaken) -> EventRefused:
    """A UID held elsewhere in the account, as a refusal of this one meeting."""
    detail = href_path(exc.href) if exc.href else ""
    return EventRefused(str(exc), precondition="unique-scheduling-object-resource", detail=detail, status=403)


def state_view(state: SyncState) -> State:
    """The plain view of a stored state that the planning works on."""
    return State(
        meeting_id=state.meeting_id,
        href=state.href,
        etag=state.etag,
        pushed_hash=state.pushed_hash,
        base=state.base_fields,
        removed_on_server=state.removed_on_server,
    )


def remote_of(href: str, fetched: Fetched, zone: str) -> Remote:
    """A served resource read as one event (``fields`` is ``None`` when it cannot be read)."""
    try:
        fields = parse_event(fetched.ics, zone)
    except BadEvent:
        fields = None
    return Remote(href=href, etag=fetched.etag, fields=fields, ics=fetched.ics)
