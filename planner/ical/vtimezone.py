"""VTIMEZONE components generated from zoneinfo."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from icalendar import Timezone


@lru_cache(maxsize=128)
def vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """A VTIMEZONE generated from zoneinfo for the given years (cached: generating one is slow)."""
    return Timezone.from_tzid(tzid, first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1))
