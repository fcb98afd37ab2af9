"""A week of an engagement's schedule: Monday to Sunday in the engagement's zone, as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo


def monday_of(day: date) -> date:
    """The Monday of the ISO week holding `day`."""
    return day - timedelta(days=day.weekday())


def parse_week_start(raw: str | None, today: date) -> date | None:
    """The Monday of the week holding `raw` (`YYYY-MM-DD`); this week when absent; None when malformed."""
    if raw is None or not raw.strip():
        return monday_of(today)
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        return None
    # Keep far-off years out: they say nothing useful and zone rules beyond them are guesses.
    if not 1970 <= day.year <= 2200:
        return None
    return monday_of(day)


def week_bounds(monday: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The week's bounds in UTC: local midnights, so a week with a DST change lasts 167 or 169 hours."""
    utc = ZoneInfo("UTC")
    start = datetime.combine(monday, time(0), tzinfo=zone).astimezone(utc)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=zone).astimezone(utc)
    return start, end


@dataclass
class Day:
    """One day column: its local date, holiday name if any, and its meetings in start order."""

    date: date
    holiday: str | None = None
    meetings: list[Any] = field(default_factory=list)

    @property
    def is_weekend(self) -> bool:
        return self.date.weekday() >= 5


def week_days(monday: date, zone: ZoneInfo, meetings, holiday=None) -> list[Day]:
    """Seven days from Monday, each meeting on its local start date; `holiday(day)` names holidays."""
    days = [Day(monday + timedelta(days=i)) for i in range(7)]
    for day in days:
        day.holiday = holiday(day.date) if holiday else None
    for meeting in sorted(meetings, key=lambda m: m.starts_at):
        index = (meeting.starts_at.astimezone(zone).date() - monday).days
        if 0 <= index < 7:
            days[index].meetings.append(meeting)
    return days
