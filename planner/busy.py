"""Busy times from a personal calendar's answer (free-busy or events), for free slots: plain data."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import recurring_ical_events
from icalendar import Calendar

Interval = tuple[datetime, datetime]


def _aware(value: date | datetime, zone: str) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=ZoneInfo(zone))
    # An all-day event takes the whole day where the member works.
    return datetime.combine(value, time(0), tzinfo=ZoneInfo(zone))


def busy_intervals(
    kind: str, texts: list[str], start: datetime, end: datetime, *, zone: str = "UTC"
) -> list[Interval]:
    """Busy intervals in [start, end), UTC, from ("freebusy", [VFREEBUSY]) or ("events", [VCALENDAR, ...]).

    Free periods, cancelled events and transparent ones are not busy; recurring events are expanded here
    too, in case a server sent them unexpanded. Text that cannot be read raises ValueError.
    """
    found: list[Interval] = []
    for text in texts:
        calendar = Calendar.from_ical(text)
        if kind == "freebusy":
            for component in calendar.walk("VFREEBUSY"):
                properties = component.get("FREEBUSY") or []
                for prop in properties if isinstance(properties, list) else [properties]:
                    if str(prop.params.get("FBTYPE", "BUSY")).upper() == "FREE":
                        continue
                    for period in getattr(prop, "dts", None) or [prop]:
                        begin, finish = period.dt
                        if isinstance(finish, timedelta):
                            finish = begin + finish
                        found.append((_aware(begin, zone), _aware(finish, zone)))
            continue
        for event in recurring_ical_events.of(calendar).between(start, end):
            if str(event.get("STATUS", "")).upper() == "CANCELLED":
                continue
            if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
                continue
            begin = _aware(event.decoded("DTSTART"), zone)
            if "DTEND" in event:
                finish = _aware(event.decoded("DTEND"), zone)
            elif "DURATION" in event:
                finish = begin + event.decoded("DURATION")
            else:
                finish = begin + (
                    timedelta(days=1) if not isinstance(event.decoded("DTSTART"), datetime) else timedelta()
                )
            found.append((begin, finish))
    return sorted(
        (max(b, start).astimezone(UTC), min(e, end).astimezone(UTC))
        for b, e in found
        if e > start and b < end and e > b
    )
