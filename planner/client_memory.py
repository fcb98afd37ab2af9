"""Keeping in touch: when we last heard from or spoke with a contact, and who has gone quiet (no Flask)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta


def last_touch(moments: Iterable[datetime | None], *, now: datetime) -> datetime | None:
    """The latest contact moment that is not in the future (a meeting next week is not a touch yet)."""
    past = [m for m in moments if m is not None and m <= now]
    return max(past, default=None)


def is_quiet(last: datetime | None, known_since: datetime, *, now: datetime, quiet_days: int) -> bool:
    """True when nothing happened with the contact for `quiet_days` (counted from when we added them)."""
    if quiet_days <= 0:
        return False
    reference = last if last is not None and last > known_since else known_since
    return now - reference >= timedelta(days=quiet_days)


def days_since(last: datetime | None, *, now: datetime) -> int | None:
    """Whole days since the last touch, or None when there was none."""
    return None if last is None else max((now - last).days, 0)
