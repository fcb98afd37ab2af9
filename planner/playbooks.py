"""Kickoff playbooks: phase lists read from `planner/playbooks/*.toml`, turned into a dated schedule.

A playbook says which meetings an engagement of its kind needs, in which order and how far
apart (in working days), each with a purpose and desired outcome in Japanese and English. The
generator places them on working days of the client's country, in the engagement's zone.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path

from planner.workdays import add_working_days, holiday_name, is_working_day, local_datetime

FOLDER = Path(__file__).resolve().parent / "playbooks"
LANGUAGES = ("ja", "en")
KINDS = ("kickoff", "requirements", "design_review", "status", "review", "acceptance", "call", "other")
CADENCES = {"weekly": 1, "biweekly": 2}
RECURRENCES = ("cadence", "monthly")
TEXT_LIMITS = {"title": 200, "purpose": 4000, "outcome": 4000}


class PlaybookError(ValueError):
    """A playbook file that cannot be used, with the file and the reason."""


@dataclass(frozen=True)
class AgendaTemplate:
    title: dict[str, str]
    minutes: int


@dataclass(frozen=True)
class Phase:
    key: str
    kind: str
    title: dict[str, str]
    purpose: dict[str, str]
    outcome: dict[str, str]
    minutes: int
    offset: int | None = None  # working days from the start
    after: int | None = None  # working days after the previous phase's last meeting
    count: int = 1
    every: int = 5  # working days between the rounds of a repeated phase
    recurrence: str | None = None  # "cadence" (the chosen weekly/biweekly) or "monthly"
    agenda: tuple[AgendaTemplate, ...] = ()


@dataclass(frozen=True)
class Playbook:
    key: str
    name: dict[str, str]
    description: dict[str, str]
    phases: tuple[Phase, ...]
    horizon_weeks: int = 12  # how far recurring meetings run when no end date is given
    order: int = 50  # where the playbook is offered in the list

    def name_in(self, language: str) -> str:
        """The playbook's name in this language (English when it has no such language)."""
        return pick(self.name, language)

    def phase(self, key: str) -> Phase | None:
        return next((p for p in self.phases if p.key == key), None)


@dataclass
class PlannedMeeting:
    """One generated meeting, before anything is saved; times are aware (UTC and local)."""

    phase: str
    kind: str
    round: int
    title: str
    purpose: str
    desired_outcome: str
    day: date
    starts_at: datetime
    ends_at: datetime
    local_start: datetime
    minutes: int
    agenda: list[tuple[str, int]] = field(default_factory=list)
    moved_from: date | None = None  # the day the pattern asked for, when that was not a working day
    moved_because: str | None = None  # the holiday's name, or None for a weekend
    skipped_day: date | None = None  # the previous round's day, left out because its week was closed
    skipped_because: str | None = None
    follows: str | None = None  # title of the meeting it was moved behind to avoid an overlap


def pick(texts: dict[str, str], language: str) -> str:
    """The text in the language, falling back to English."""
    return texts.get(language) or texts["en"]


# --- loading ------------------------------------------------------------------------------------


def _texts(raw: object, where: str, name: str, limit: int) -> dict[str, str]:
    if not isinstance(raw, dict) or any(not isinstance(raw.get(lang), str) for lang in LANGUAGES):
        raise PlaybookError(f"{where}: '{name}' needs text in both ja and en")
    texts = {lang: raw[lang].strip() for lang in LANGUAGES}
    if any(not value or len(value) > limit for value in texts.values()):
        raise PlaybookError(f"{where}: '{name}' must be 1 to {limit} characters in each language")
    return texts


def _int(raw: dict, key: str, where: str, low: int, high: int, default: int | None = None) -> int | None:
    value = raw.get(key, default)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise PlaybookError(f"{where}: '{key}' must be a whole number from {low} to {high}")
    return value


def _phase(raw: dict, where: str) -> Phase:
    key = raw.get("key")
    if not isinstance(key, str) or not key.isidentifier():
        raise PlaybookError(f"{where}: every phase needs a 'key' (letters, digits, underscores)")
    where = f"{where}, phase {key}"
    if raw.get("kind") not in KINDS:
        raise PlaybookError(f"{where}: 'kind' must be one of {', '.join(KINDS)}")
    recurrence = raw.get("recurrence")
    if recurrence is not None and recurrence not in RECURRENCES:
        raise PlaybookError(f"{where}: 'recurrence' must be one of {', '.join(RECURRENCES)}")
    placed = [k for k in ("offset", "after") if k in raw]
    if recurrence is None and len(placed) != 1:
        raise PlaybookError(f"{where}: give exactly one of 'offset' or 'after'")
    minutes = _int(raw, "minutes", where, 15, 480)
    if minutes is None:
        raise PlaybookError(f"{where}: 'minutes' (the default length) is required")
    agenda = []
    for index, item in enumerate(raw.get("agenda", []), start=1):
        if not isinstance(item, dict):
            raise PlaybookError(f"{where}: agenda item {index} must be a table")
        agenda.append(
            AgendaTemplate(
                title=_texts(item.get("title"), where, f"agenda {index} title", 300),
                minutes=_int(item, "minutes", f"{where}, agenda {index}", 1, 480),
            )
        )
    if sum(item.minutes for item in agenda) > minutes:
        raise PlaybookError(f"{where}: the agenda needs more minutes than the meeting has")
    title = _texts(raw.get("title"), where, "title", TEXT_LIMITS["title"] - 10)
    return Phase(
        key=key,
        kind=raw["kind"],
        title=title,
        purpose=_texts(raw.get("purpose"), where, "purpose", TEXT_LIMITS["purpose"]),
        outcome=_texts(raw.get("outcome"), where, "outcome", TEXT_LIMITS["outcome"]),
        minutes=minutes,
        offset=_int(raw, "offset", where, 0, 500),
        after=_int(raw, "after", where, 0, 500),
        count=_int(raw, "count", where, 1, 20, 1),
        every=_int(raw, "every", where, 1, 100, 5),
        recurrence=recurrence,
        agenda=tuple(agenda),
    )


def parse_playbook(key: str, raw: dict) -> Playbook:
    """Check a playbook's data and build it; raises PlaybookError naming what is wrong."""
    where = f"playbook {key}"
    phases_raw = raw.get("phases")
    if not isinstance(phases_raw, list) or not phases_raw:
        raise PlaybookError(f"{where}: needs at least one [[phases]] table")
    phases = tuple(_phase(p if isinstance(p, dict) else {}, where) for p in phases_raw)
    keys = [p.key for p in phases]
    if len(set(keys)) != len(keys):
        raise PlaybookError(f"{where}: phase keys must be unique")
    if phases[0].recurrence is not None or phases[0].after is not None:
        raise PlaybookError(f"{where}: the first phase must be placed with 'offset'")
    return Playbook(
        key=key,
        name=_texts(raw.get("name"), where, "name", 120),
        description=_texts(raw.get("description"), where, "description", 1000),
        phases=phases,
        horizon_weeks=_int(raw, "horizon_weeks", where, 1, 104, 12),
        order=_int(raw, "order", where, 0, 1000, 50),
    )


def load_playbook_file(path: Path) -> Playbook:
    """Read one playbook file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise PlaybookError(f"playbook {path.stem}: not valid TOML ({error})") from None
    return parse_playbook(path.stem, raw)


@lru_cache(maxsize=1)
def _load_all() -> tuple[Playbook, ...]:
    found = (load_playbook_file(path) for path in FOLDER.glob("*.toml"))
    return tuple(sorted(found, key=lambda p: (p.order, p.key)))


def load_playbooks() -> list[Playbook]:
    """Every playbook shipped with the package, in their `order`, then by file name."""
    return list(_load_all())


def playbook_by_key(key: str) -> Playbook | None:
    return next((p for p in _load_all() if p.key == key), None)


# --- generating ---------------------------------------------------------------------------------


def _on_working_day(day: date, country: str | None, language: str) -> tuple[date, date | None, str | None]:
    """The day itself if it is a working day, else the next one, with what was skipped and why."""
    if is_working_day(day, country):
        return day, None, None
    return add_working_days(day, 0, country), day, holiday_name(day, country, language)


def _cadence_days(start: date, horizon: date, weekday: int, weeks: int) -> list[date]:
    first = start + timedelta(days=(weekday - start.weekday()) % 7 or 7)
    days = []
    while first <= horizon:
        days.append(first)
        first += timedelta(weeks=weeks)
    return days


def _monthly_days(start: date, horizon: date, weekday: int) -> list[date]:
    """The first `weekday` of every month after `start`."""
    days = []
    year, month = start.year, start.month
    while True:
        first = date(year, month, 1)
        first += timedelta(days=(weekday - first.weekday()) % 7)
        if first > horizon:
            return days
        if first > start:
            days.append(first)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _format(texts: dict[str, str], language: str, number: int) -> str:
    return pick(texts, language).replace("{n}", str(number))


def generate(
    playbook: Playbook,
    *,
    start: date,
    zone: str,
    country: str | None,
    language: str,
    cadence: str = "weekly",
    weekday: int = 1,
    meeting_time: time = time(10, 0),
    end: date | None = None,
) -> list[PlannedMeeting]:
    """The playbook's meetings on working days from `start`, in `zone`, nothing after `end`.

    Phases placed by offset or after the previous phase land on working days by construction;
    recurring meetings fall on the chosen weekday and move to the next working day when that
    is a holiday. Two meetings on the same day never overlap: the later one follows the earlier.
    """
    if cadence not in CADENCES:
        raise ValueError(f"unknown cadence {cadence!r}")
    if not 0 <= weekday <= 6:
        raise ValueError("weekday is 0 (Monday) to 6 (Sunday)")
    if end is not None and end < start:
        raise ValueError("the end is before the start")
    language = language if language in LANGUAGES else "en"

    # Pass 1: the dated milestones; recurring phases remember where they begin.
    placed: list[tuple[int, Phase, int, date, date | None, str | None, tuple | None]] = []
    recurring: list[tuple[int, Phase, date]] = []
    anchor = start
    for order, phase in enumerate(playbook.phases):
        if phase.recurrence:
            recurring.append((order, phase, anchor))
            continue
        if phase.offset is not None:
            first, moved_from, reason = _on_working_day(start, country, language)
            first = add_working_days(first, phase.offset, country)
            if phase.offset:
                moved_from = reason = None
        else:
            first, moved_from, reason = add_working_days(anchor, phase.after or 0, country), None, None
        day = first
        for number in range(1, phase.count + 1):
            if number > 1:
                day = add_working_days(day, phase.every, country)
            placed.append((order, phase, number, day, moved_from if number == 1 else None, reason, None))
        anchor = day

    last_milestone = max((row[3] for row in placed), default=start)
    horizon = end or max(last_milestone, start + timedelta(weeks=playbook.horizon_weeks))
    for order, phase, begin in recurring:
        if phase.recurrence == "monthly":
            pattern = _monthly_days(begin, horizon, weekday)
        else:
            pattern = _cadence_days(begin, horizon, weekday, CADENCES[cadence])
        number, skipped = 0, None
        for wanted in pattern:
            day, moved_from, reason = _on_working_day(wanted, country, language)
            if day.isocalendar()[:2] != wanted.isocalendar()[:2]:
                # A closed week (年末年始, Golden Week) has no status meeting rather than two next week.
                skipped = (wanted, reason)
                continue
            number += 1
            placed.append((order, phase, number, day, moved_from, reason, skipped))
            skipped = None

    meetings: list[PlannedMeeting] = []
    for _order, phase, number, day, moved_from, reason, skipped in sorted(
        placed, key=lambda r: (r[3], r[0], r[2])
    ):
        if end is not None and day > end:
            continue
        local = local_datetime(day, meeting_time, zone)
        meetings.append(
            PlannedMeeting(
                phase=phase.key,
                kind=phase.kind,
                round=number,
                title=_format(phase.title, language, number),
                purpose=pick(phase.purpose, language),
                desired_outcome=pick(phase.outcome, language),
                day=day,
                starts_at=local.astimezone(UTC),
                ends_at=(local + timedelta(minutes=phase.minutes)).astimezone(UTC),
                local_start=local,
                minutes=phase.minutes,
                agenda=[(pick(item.title, language), item.minutes) for item in phase.agenda],
                moved_from=moved_from,
                moved_because=reason,
                skipped_day=skipped[0] if skipped else None,
                skipped_because=skipped[1] if skipped else None,
            )
        )
    return _without_overlaps(meetings, zone)


def _without_overlaps(meetings: list[PlannedMeeting], zone: str) -> list[PlannedMeeting]:
    """Move a meeting behind the one before it on the same day when they would overlap."""
    previous: PlannedMeeting | None = None
    for meeting in meetings:
        if previous is not None and previous.day == meeting.day and meeting.starts_at < previous.ends_at:
            # Wall-clock arithmetic in the zone, so that a DST change that day cannot skew it.
            local = previous.ends_at.astimezone(previous.local_start.tzinfo)
            meeting.local_start = local_datetime(meeting.day, local.time(), zone)
            meeting.starts_at = meeting.local_start.astimezone(UTC)
            meeting.ends_at = (meeting.local_start + timedelta(minutes=meeting.minutes)).astimezone(UTC)
            meeting.follows = previous.title
        previous = meeting
    return meetings


def missing_phases(playbook: Playbook, meetings: list[PlannedMeeting]) -> list[Phase]:
    """Phases with no meeting in the plan (they fell after the end date)."""
    present = {m.phase for m in meetings}
    return [p for p in playbook.phases if p.key not in present]
