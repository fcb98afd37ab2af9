"""Dates and times written the way each language writes them in a business letter."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

JA_WEEKDAYS = "月火水木金土日"
# Spelled out rather than taken from strftime, whose names follow the process locale.
EN_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def is_japanese(language: str | None) -> bool:
    """True when text for this language code should be Japanese."""
    return (language or "").lower().startswith("ja")


def format_date(day: date, language: str | None) -> str:
    """A date with its weekday: 5月12日(火) in Japanese, Tue 12 May in English."""
    if is_japanese(language):
        return f"{day.month}月{day.day}日({JA_WEEKDAYS[day.weekday()]})"
    return f"{EN_WEEKDAYS[day.weekday()]} {day.day} {EN_MONTHS[day.month - 1]}"


def format_datetime(moment: datetime, zone: str, language: str | None, *, with_zone: bool = True) -> str:
    """An aware datetime shown in the engagement's zone: 5月12日(火) 10:00 / Tue 12 May, 10:00 JST."""
    local = moment.astimezone(ZoneInfo(zone))
    if is_japanese(language):
        return f"{format_date(local.date(), language)} {local:%H:%M}"
    text = f"{format_date(local.date(), language)}, {local:%H:%M}"
    if with_zone:
        text += f" {local.tzname()}"
    return text


def format_time(moment: datetime, zone: str) -> str:
    """The wall-clock time of an aware datetime in a zone, 24-hour."""
    return f"{moment.astimezone(ZoneInfo(zone)):%H:%M}"
