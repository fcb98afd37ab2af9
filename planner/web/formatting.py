"""Dates and times in the engagement's zone, written the way each language writes them."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from flask_babel import get_locale

PATTERNS = {
    "ja": {"date": "y年M月d日(E)", "short_date": "M/d(E)", "time": "H:mm", "weekday": "E", "day": "M/d"},
    "en": {
        "date": "EEE d MMM y",
        "short_date": "EEE d MMM",
        "time": "HH:mm",
        "weekday": "EEE",
        "day": "d MMM",
    },
}


def current_language() -> str:
    """The UI language of this request: `ja` or `en`."""
    locale = get_locale()
    return "ja" if locale and locale.language == "ja" else "en"


_lang = current_language
# Parsed once: Babel would parse the locale name again at every date and time on a page.
_LOCALES = {"ja": Locale.parse("ja"), "en": Locale.parse("en")}


def _zone(zone) -> ZoneInfo:
    if isinstance(zone, ZoneInfo):
        return zone
    if hasattr(zone, "tz"):
        return zone.tz
    return ZoneInfo(zone or "UTC")


def fmt_date(value: date | datetime | None, zone=None, style: str = "date") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(_zone(zone)).date()
    language = _lang()
    return format_date(value, PATTERNS[language][style], locale=_LOCALES[language])


def fmt_time(value: datetime | None, zone=None) -> str:
    if value is None:
        return ""
    language = _lang()
    return format_time(value.astimezone(_zone(zone)), PATTERNS[language]["time"], locale=_LOCALES[language])


def fmt_datetime(value: datetime | None, zone=None) -> str:
    if value is None:
        return ""
    local = value.astimezone(_zone(zone))
    pattern = PATTERNS[_lang()]
    return format_datetime(local, f"{pattern['date']} {pattern['time']}", locale=_LOCALES[_lang()])


def fmt_minutes(minutes: int | None) -> str:
    if minutes is None:
        return ""
    hours, rest = divmod(int(minutes), 60)
    if _lang() == "ja":
        return f"{hours}時間{rest}分" if hours and rest else (f"{hours}時間" if hours else f"{rest}分")
    return f"{hours} h {rest} min" if hours and rest else (f"{hours} h" if hours else f"{rest} min")


def local_input(value: datetime | None, zone=None) -> str:
    """The value of a datetime-local input for this instant in the zone."""
    if value is None:
        return ""
    return value.astimezone(_zone(zone)).strftime("%Y-%m-%dT%H:%M")


def register_filters(app) -> None:
    app.jinja_env.filters.update(
        date=fmt_date,
        time=fmt_time,
        datetime=fmt_datetime,
        minutes=fmt_minutes,
        local_input=local_input,
    )
