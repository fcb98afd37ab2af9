"""Free slots for a call or a meeting: working hours on both sides, lunch kept free, busy times avoided."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from planner.triage.model import Slot, TriageSettings
from planner.workdays import country_for_zone, is_working_day, local_datetime, next_working_day

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Window:
    """Whose hours decide: the contact's (in their zone) or the engagement's business hours."""

    zone: str
    hours: tuple[time, time]
    countries: tuple[str | None, ...]
    team_hours: tuple[time, time]

    @property
    def theirs(self) -> bool:
        """The contact's own hours and zone decide."""
        return len(self.countries) > 1 or self.hours != self.team_hours


def window_for(
    settings: TriageSettings, call_hours: tuple[time, time] | None, contact_zone: str | None
) -> Window:
    """The contact's hours in their zone when their profile says so, else the engagement's business hours."""
    abroad = bool(contact_zone) and contact_zone != settings.zone
    if not call_hours and not abroad:
        hours = (settings.workday_start, settings.workday_end)
        return Window(settings.zone, hours, (settings.country,), hours)
    zone = contact_zone if abroad else settings.zone
    theirs = country_for_zone(zone) if abroad else settings.country
    countries = (settings.country, theirs) if theirs != settings.country else (settings.country,)
    hours = call_hours or (settings.workday_start, settings.workday_end)
    return Window(zone, hours, countries, (settings.extended_start, settings.extended_end))


def round_up(moment: datetime, minutes: int, tz: ZoneInfo) -> datetime:
    """The first wall-clock multiple of `minutes` at or after `moment`, in the zone."""
    local = moment.astimezone(tz)
    base = local.replace(second=0, microsecond=0)
    if base < local:
        base += timedelta(minutes=1)
    extra = (-(base.hour * 60 + base.minute)) % minutes
    return (base + timedelta(minutes=extra)).astimezone(UTC)


def merge(busy: Sequence[Interval]) -> list[Interval]:
    """Busy intervals sorted and merged, so that one binary search answers "is this free?"."""
    merged: list[Interval] = []
    for start, end in sorted(busy):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _open_intervals(day: date, window: Window, settings: TriageSettings) -> list[Interval]:
    """The times of one day (in the window's zone) when both sides work, lunch left out."""
    if not all(is_working_day(day, country) for country in window.countries[1:]):
        return []
    opens = local_datetime(day, window.hours[0], window.zone).astimezone(UTC)
    closes = local_datetime(day, window.hours[1], window.zone).astimezone(UTC)
    tz = settings.tz
    found: list[Interval] = []
    for team_day in sorted({opens.astimezone(tz).date(), closes.astimezone(tz).date()}):
        if not is_working_day(team_day, settings.country):
            continue
        start = max(opens, local_datetime(team_day, window.team_hours[0], settings.zone).astimezone(UTC))
        end = min(closes, local_datetime(team_day, window.team_hours[1], settings.zone).astimezone(UTC))
        if start >= end:
            continue
        if settings.lunch:
            lunch_start = local_datetime(team_day, settings.lunch[0], settings.zone).astimezone(UTC)
            lunch_end = local_datetime(team_day, settings.lunch[1], settings.zone).astimezone(UTC)
            if lunch_start < end and lunch_end > start:
                found += [(start, lunch_start), (lunch_end, end)]
                continue
        found.append((start, end))
    return [(a, b) for a, b in found if a < b]


def free_starts(
    minutes: int,
    busy: Sequence[Interval],
    settings: TriageSettings,
    window: Window,
    *,
    not_before: datetime,
    grid: int = 30,
) -> Iterator[datetime]:
    """Every free start on the grid, earliest first, within `settings.search_days`."""
    length = timedelta(minutes=minutes)
    tz = ZoneInfo(window.zone)
    first = round_up(not_before, grid, tz)
    last = first + timedelta(days=settings.search_days + 1)
    merged = merge([(b, e) for b, e in busy if e > first and b < last])
    starts = [b[0] for b in merged]
    day = first.astimezone(tz).date()
    for _ in range(settings.search_days):
        for opens, closes in _open_intervals(day, window, settings):
            slot = round_up(max(opens, first), grid, tz)
            while slot + length <= closes:
                end = slot + length
                # The last busy interval starting before this slot ends: merged, so it is the only candidate.
                i = bisect_left(starts, end) - 1
                if i >= 0 and merged[i][1] > slot:
                    slot = round_up(merged[i][1], grid, tz)
                    continue
                yield slot
                slot += timedelta(minutes=grid)
        day += timedelta(days=1)


def pick_slots(
    minutes: int,
    busy: Sequence[Interval],
    settings: TriageSettings,
    window: Window,
    *,
    not_before: datetime,
    needed_by: datetime | None = None,
    spread: timedelta = timedelta(hours=2),
    grid: int = 30,
    count: int = 3,
) -> tuple[tuple[Slot, ...], int]:
    """Two or three free slots, ordered by preference, and how many of them end by `needed_by`.

    Preference: the earliest, then the next ones at least `spread` apart so that the client has a real
    choice (another part of the day, or another day). Slots before the needed-by time come first
    whenever there is one; the others fill up to two.
    """
    length = timedelta(minutes=minutes)
    before: list[datetime] = []
    after: list[datetime] = []
    for start in free_starts(minutes, busy, settings, window, not_before=not_before, grid=grid):
        if needed_by is None or start + length <= needed_by:
            before.append(start)
            if len(_spread(before, spread, count)) >= count:
                break
        else:
            after.append(start)
            if len(before) >= 2 or len(_spread(after, spread, 2)) >= 2:
                break
    chosen = _spread(before, spread, count)
    if len(chosen) < count:
        chosen += [s for s in before if s not in chosen and _apart(s, chosen, length)][: count - len(chosen)]
    chosen.sort()
    in_time = len(chosen)
    if len(chosen) < 2:
        later = _spread(after, spread, 2 - len(chosen)) or after[: 2 - len(chosen)]
        chosen += later
    return tuple(Slot(s, s + length) for s in chosen[:count]), in_time


def _apart(start: datetime, chosen: list[datetime], length: timedelta) -> bool:
    return all(abs(start - other) >= length for other in chosen)


def _spread(starts: list[datetime], spread: timedelta, count: int) -> list[datetime]:
    picked: list[datetime] = []
    for start in starts:
        if not picked or start - picked[-1] >= spread:
            picked.append(start)
            if len(picked) == count:
                break
    return picked


def working_days_ahead(now: datetime, days: int, settings: TriageSettings) -> datetime:
    """The start of the `days`-th working day after today in the engagement's calendar (0: now)."""
    if days <= 0:
        return now
    day = now.astimezone(settings.tz).date()
    for _ in range(days):
        day = next_working_day(day, settings.country)
    return local_datetime(day, time(0), settings.zone).astimezone(UTC)
