"""A member's personal calendars, read for busy times only: linked, listed, removed and read with a cache."""

from __future__ import annotations

import time as clock
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from planner.busy import busy_intervals
from planner.caldav_backend import CalDAVError, busy_report
from planner.extensions import db
from planner.models import BusyCalendar, User
from planner.operations.calendars import decrypt_password, encrypt_password, guard

# How long a calendar's busy times are trusted, in seconds: triage runs often, calendars change slowly.
CACHE_SECONDS = 120
_cache: dict[tuple, tuple[float, list]] = {}


def _timeout() -> float:
    return float(current_app.config.get("CALDAV_BUSY_TIMEOUT", 5))


def _read(calendar: BusyCalendar, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    kind, texts = busy_report(
        calendar.server_url,
        calendar.username,
        decrypt_password(calendar.secret),
        calendar.calendar_url,
        start,
        end,
        timeout=_timeout(),
        guard=guard(),
    )
    try:
        return busy_intervals(kind, texts, start, end)
    except (ValueError, KeyError) as error:
        raise CalDAVError("The calendar server sent busy times that cannot be read.") from error


def add_busy_calendar(
    user: User, *, url: str, username: str, password: str, calendar_url: str, now: datetime
) -> BusyCalendar:
    """Link a calendar of the member's own after reading it once (raises CalDAVError in words)."""
    calendar = BusyCalendar(
        user_id=user.id,
        server_url=url.strip(),
        username=username.strip(),
        secret=encrypt_password(password),
        calendar_url=(calendar_url or url).strip(),
        created_at=now,
    )
    _read(calendar, now, now + timedelta(days=1))
    db.session.add(calendar)
    return calendar


def remove_busy_calendar(user: User, calendar_id: int) -> bool:
    """Unlink one of the member's calendars; False when they have no such calendar."""
    calendar = db.session.get(BusyCalendar, calendar_id)
    if calendar is None or calendar.user_id != user.id:
        return False
    db.session.delete(calendar)
    return True


def busy_calendars(user_id: int) -> list[BusyCalendar]:
    """The member's linked calendars."""
    query = select(BusyCalendar).where(BusyCalendar.user_id == user_id).order_by(BusyCalendar.id)
    return list(db.session.scalars(query))


def calendar_name(calendar: BusyCalendar) -> str:
    """How a calendar is named in an explanation: its server's host, never its credentials."""
    try:
        return urlsplit(calendar.server_url).hostname or "a calendar server"
    except ValueError:
        return "a calendar server"


def calendar_busy(user_id: int, start: datetime, end: datetime) -> tuple[list, list[str]]:
    """Busy times from the member's calendars, and the servers that could not be read (named, not ignored)."""
    busy: list[tuple[datetime, datetime]] = []
    failed: list[str] = []
    hour = start.replace(minute=0, second=0, microsecond=0)
    for calendar in busy_calendars(user_id):
        key = (calendar.id, calendar.calendar_url, hour, end.date())
        kept = _cache.get(key)
        if kept and clock.monotonic() - kept[0] < CACHE_SECONDS:
            busy += kept[1]
            continue
        try:
            found = _read(calendar, hour, end)
        except CalDAVError:
            failed.append(calendar_name(calendar))
            continue
        _cache[key] = (clock.monotonic(), found)
        busy += found
    return [(b, e) for b, e in busy if e > start], failed
