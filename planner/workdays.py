"""Working days: weekends and a country's public holidays, for schedules, call slots and warnings."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

import holidays

# Default country for the public holidays of an engagement, from its time zone.
ZONE_COUNTRY = {
    "Asia/Tokyo": "JP",
    "Europe/Berlin": "DE",
    "Europe/London": "GB",
    "Europe/Paris": "FR",
    "Europe/Amsterdam": "NL",
    "Europe/Madrid": "ES",
    "Europe/Rome": "IT",
    "Europe/Zurich": "CH",
    "Europe/Vienna": "AT",
    "America/New_York": "US",
    "America/Chicago": "US",
    "America/Denver": "US",
    "America/Los_Angeles": "US",
    "America/Toronto": "CA",
    "Asia/Seoul": "KR",
    "Asia/Singapore": "SG",
    "Asia/Shanghai": "CN",
    "Asia/Hong_Kong": "HK",
    "Asia/Taipei": "TW",
    "Australia/Sydney": "AU",
    "Pacific/Auckland": "NZ",
}

# Closures a country's businesses keep although the law does not: Japanese companies, and so
# their clients, close from 29 December to 3 January (年末年始休業); nobody schedules a meeting then.
CUSTOMARY_CLOSURES: dict[str, tuple[tuple[int, int, int, dict[str, str]], ...]] = {
    "JP": (
        (12, 29, 31, {"ja": "年末年始休業", "en_US": "Year-end holidays"}),
        (1, 1, 3, {"ja": "年末年始休業", "en_US": "New Year holidays"}),
    ),
}


@lru_cache(maxsize=1)
def all_zones() -> frozenset[str]:
    """IANA time zone names this machine knows, without the system's aliases that are no place."""
    # "localtime" is whatever the server is set to, "Factory" a placeholder zone of tzdata.
    return frozenset(available_timezones()) - {"localtime", "Factory", "posixrules"}


def is_valid_zone(name: str | None) -> bool:
    """True for an IANA zone name zoneinfo can load."""
    return bool(name) and name in all_zones()


def country_for_zone(zone: str) -> str | None:
    """The country whose holidays apply by default to an engagement in this zone."""
    return ZONE_COUNTRY.get(zone)


def is_valid_country(code: str | None) -> bool:
    """True for an ISO 3166 alpha-2 code the holidays package supports."""
    return bool(code) and code.upper() in holidays.list_supported_countries()


@lru_cache(maxsize=256)
def _holidays(country: str | None, year: int, language: str | None) -> dict[date, str]:
    if not country:
        return {}
    try:
        found = holidays.country_holidays(country.upper(), years=year, language=language)
    except (NotImplementedError, KeyError):
        return {}
    days = dict(found.items())
    for month, first, last, names in CUSTOMARY_CLOSURES.get(country.upper(), ()):
        for day in range(first, last + 1):
            days.setdefault(date(year, month, day), names.get(language or "", names["en_US"]))
    return days


def holiday_name(day: date, country: str | None, language: str | None = None) -> str | None:
    """The public holiday's name on this day in this country, or None."""
    lang = {"ja": "ja", "en": "en_US"}.get(language or "")
    try:
        return _holidays(country, day.year, lang).get(day)
    except NotImplementedError:
        return _holidays(country, day.year, None).get(day)


def is_working_day(day: date, country: str | None) -> bool:
    """Monday to Friday and not a public holiday of the country."""
    return day.weekday() < 5 and day not in _holidays(country, day.year, None)


def next_working_day(day: date, country: str | None, *, include_today: bool = False) -> date:
    """The first working day after `day` (or on it, with include_today)."""
    current = day if include_today else day + timedelta(days=1)
    while not is_working_day(current, country):
        current += timedelta(days=1)
    return current


def add_working_days(day: date, count: int, country: str | None) -> date:
    """The date `count` working days after `day` (count 0: the day itself if working, else the next)."""
    current = next_working_day(day, country, include_today=True)
    for _ in range(count):
        current = next_working_day(current, country)
    return current


def working_days_between(start: date, end: date, country: str | None) -> int:
    """Working days in (start, end]: how many working days lie between now and a due date."""
    if end <= start:
        return 0
    return sum(
        1 for n in range(1, (end - start).days + 1) if is_working_day(start + timedelta(days=n), country)
    )


def local_datetime(day: date, at: time, zone: str) -> datetime:
    """An aware datetime for a wall-clock time on a day in a zone (DST resolved by zoneinfo)."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(zone))
