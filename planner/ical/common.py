"""What every iCalendar module shares: statuses, labels, text cleaning and the shapes of what they read."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

from icalendar import vText

PRODID = "-//Planner//Planner meeting schedule 1.0//EN"

# Planner statuses as calendars know them ("held" is a confirmed meeting that took place).
STATUS_TO_ICAL = {
    "tentative": "TENTATIVE",
    "confirmed": "CONFIRMED",
    "held": "CONFIRMED",
    "cancelled": "CANCELLED",
}
STATUS_FROM_ICAL = {"TENTATIVE": "tentative", "CONFIRMED": "confirmed", "CANCELLED": "cancelled"}
MEETING_KINDS = frozenset(
    {"kickoff", "requirements", "design_review", "status", "review", "acceptance", "call", "other"}
)
AUDIENCES = ("client", "team")

# Section labels of the DESCRIPTION, in the language of whoever reads the feed.
LABELS: dict[str, dict[str, str]] = {
    "en": {
        "purpose": "Purpose",
        "outcome": "Desired outcome",
        "agenda": "Agenda",
        "minutes": "{n} min",
        "join": "Join online",
        "page": "Schedule page",
        "notes": "Internal notes (team only)",
        "cancelled": "[Cancelled] ",
        "team_feed": "{name} (team)",
        "feed_description": "Meetings of {name}, each with its purpose, desired outcome and agenda.",
    },
    "ja": {
        "purpose": "目的",
        "outcome": "期待する成果",
        "agenda": "アジェンダ",
        "minutes": "{n}分",
        "join": "オンライン参加",
        "page": "スケジュールページ",
        "notes": "社内メモ（チーム内のみ）",
        "cancelled": "【中止】",
        "team_feed": "{name}（チーム用）",
        "feed_description": "{name}の会議予定です。各会議の目的・期待する成果・アジェンダを記載しています。",
    },
}
# Values shared by many events; built once because building properties costs as much as writing them.
_CONSTANTS = {
    value: vText(value)
    for value in (*STATUS_TO_ICAL.values(), "TRANSPARENT", "OPAQUE", "PRIVATE", *MEETING_KINDS)
}
_CANCELLED_PREFIXES = tuple(labels["cancelled"] for labels in LABELS.values())

# Characters that some calendar parsers treat as line breaks or that RFC 5545 forbids in TEXT.
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_FORBIDDEN = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
_EMAIL = re.compile(r"^[^\s@<>()\[\],;:\"\\]+@[^\s@<>()\[\],;:\"\\]+\.[^\s@<>()\[\],;:\"\\]+$")
_UNCLEAN = re.compile(_LINE_BREAKS.pattern + "|" + _FORBIDDEN.pattern)
_TEXT_ESCAPE = re.compile(r"\\([\\,;:nN])")
_URL = re.compile(r"^https?://[^\s\"<>\\^`{|}]+$", re.IGNORECASE)


class ICalError(ValueError):
    """A calendar file or event that cannot be read; the message says why, `code` and `params` let a UI
    say it in the reader's language."""

    def __init__(self, message: str, *, code: str = "unreadable", **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


class PersonLike(Protocol):
    """Someone with a name and maybe an email address (a user or a client contact)."""

    @property
    def name(self) -> str: ...

    @property
    def email(self) -> str | None: ...


class AttendeeLike(Protocol):
    """A meeting attendee: a client contact or a team member."""

    @property
    def contact(self) -> PersonLike | None: ...

    @property
    def user(self) -> PersonLike | None: ...


class AgendaItemLike(Protocol):
    """One agenda item of a meeting."""

    @property
    def title(self) -> str: ...

    @property
    def minutes(self) -> int: ...

    @property
    def position(self) -> int: ...


class MeetingLike(Protocol):
    """What the iCalendar functions read from a meeting (the Meeting model satisfies it)."""

    @property
    def uid(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def purpose(self) -> str: ...

    @property
    def desired_outcome(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def starts_at(self) -> datetime: ...

    @property
    def ends_at(self) -> datetime: ...

    @property
    def location(self) -> str | None: ...

    @property
    def conference_url(self) -> str | None: ...

    @property
    def status(self) -> str: ...

    @property
    def internal(self) -> bool: ...

    @property
    def internal_notes(self) -> str | None: ...

    @property
    def sequence(self) -> int: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def updated_at(self) -> datetime: ...

    @property
    def cancelled_at(self) -> datetime | None: ...

    @property
    def agenda(self) -> Sequence[AgendaItemLike]: ...

    @property
    def attendees(self) -> Sequence[AttendeeLike]: ...


def clean_text(value: object, *, single_line: bool = False) -> str:
    """Text safe for any calendar parser: no control characters, one kind of newline, valid UTF-8."""
    if value is None:
        return ""
    text = str(value)
    if _UNCLEAN.search(text) is not None:
        text = _FORBIDDEN.sub("", _LINE_BREAKS.sub("\n", text))
    if single_line:
        text = " ".join(text.split())
    return text


def safe_email(value: str | None) -> str | None:
    """The address when it is a plain email address usable in a mailto: URI, else None."""
    if not value:
        return None
    value = value.strip()
    return value if len(value) <= 254 and _EMAIL.match(value) else None


def safe_url(value: str | None) -> str | None:
    """The URL when it is a plain http(s) URL that cannot break a content line, else None."""
    if not value:
        return None
    value = value.strip()
    return value if len(value) <= 2000 and _URL.match(value) else None


def _utc(value: datetime) -> datetime:
    """An aware UTC datetime; naive values are taken as UTC (the database stores UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@lru_cache(maxsize=64)
def zone_info(name: str) -> ZoneInfo:
    """The ZoneInfo of an IANA name (cached; raises ZoneInfoNotFoundError or ValueError)."""
    return ZoneInfo(name)


def _labels(language: str) -> dict[str, str]:
    return LABELS.get((language or "en")[:2].lower(), LABELS["en"])


def feed_title(name: str, *, audience: str, language: str = "en") -> str:
    """The calendar's display name; a team feed says so, to tell it from the client's."""
    return _labels(language)["team_feed"].format(name=name) if audience == "team" else name


def feed_description(name: str, *, language: str = "en") -> str:
    """The calendar's description (X-WR-CALDESC): what subscribers find in it."""
    return _labels(language)["feed_description"].format(name=name)
