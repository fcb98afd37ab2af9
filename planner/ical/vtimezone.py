"""VTIMEZONE components generated from zoneinfo, written so that every calendar reader sees every change.

Each change of offset becomes an observance whose DTSTART is the wall time just before the change
(RFC 5545 section 3.6.5). Changes that follow a yearly rule ("last Sunday of March") are written as an
RRULE, as Outlook and Thunderbird write their own zones; any other change gets an RDATE line of its own,
because several readers (ical.js, vobject) keep only the first value of an RDATE line.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import (
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vDatetime,
    vDDDLists,
    vRecur,
    vText,
    vUTCOffset,
)

_DAY = 86_400
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

# (offset, abbreviation, daylight saving): what an observance states.
_State = tuple[timedelta, str, bool]
# (month, weekday, wall time, n-th weekday of the month or -1 for the last one): a yearly rule.
_Rule = tuple[int, int, time, int]


@dataclass(frozen=True)
class Change:
    """One change of a zone: the UTC instant, the offsets before and after it, the name after it, and
    whether it starts daylight time."""

    at: datetime
    before: timedelta
    after: timedelta
    name: str
    daylight: bool

    @property
    def wall(self) -> datetime:
        """The wall time just before the change (naive): the DTSTART of its observance."""
        return (self.at + self.before).replace(tzinfo=None)


def _state(zone: tzinfo, timestamp: int) -> _State:
    local = datetime.fromtimestamp(timestamp, zone)
    return local.utcoffset() or timedelta(0), local.tzname() or "", bool(local.dst())


def zone_changes(zone: tzinfo, start: datetime, end: datetime) -> list[Change]:
    """Every change of a zone between two UTC instants, looked for day by day and pinned to the second."""
    moment, stop = int(start.timestamp()), int(end.timestamp())
    state = _state(zone, moment)
    changes = []
    while moment < stop:
        step = min(moment + _DAY, stop)
        if _state(zone, step) == state:
            moment = step
            continue
        low, high = moment, step
        while high - low > 1:
            middle = (low + high) // 2
            if _state(zone, middle) == state:
                low = middle
            else:
                high = middle
        after = _state(zone, high)
        # Daylight time is the higher offset, as readers assume; zoneinfo flags some winters (Dublin) or
        # Ramadan months (Casablanca) as the daylight saving part instead.
        daylight = after[0] > state[0] if after[0] != state[0] else after[2]
        changes.append(Change(datetime.fromtimestamp(high, UTC), state[0], after[0], after[1], daylight))
        state, moment = after, high
    return changes


def _rules(change: Change) -> set[_Rule]:
    wall = change.wall
    key = (wall.month, wall.weekday(), wall.time())
    rules = {(*key, (wall.day - 1) // 7 + 1)}
    if wall.day + 7 > monthrange(wall.year, wall.month)[1]:
        rules.add((*key, -1))
    return rules


def _runs(changes: list[Change]) -> list[tuple[list[Change], set[_Rule]]]:
    """Changes of one kind cut into runs that follow one yearly rule in consecutive years."""
    runs: list[tuple[list[Change], set[_Rule]]] = []
    for change in changes:
        rules = _rules(change)
        if runs:
            members, shared = runs[-1]
            common = shared & rules
            if common and change.wall.year == members[-1].wall.year + 1:
                members.append(change)
                runs[-1] = (members, common)
                continue
        runs.append(([change], rules))
    return runs


def _observance(daylight: bool, wall: datetime, before: timedelta, after: timedelta, name: str):
    component = TimezoneDaylight() if daylight else TimezoneStandard()
    component["DTSTART"] = vDatetime(wall)
    component["TZOFFSETFROM"] = vUTCOffset(before)
    component["TZOFFSETTO"] = vUTCOffset(after)
    if name:
        component["TZNAME"] = vText(name)
    return component


def _recur(rules: set[_Rule], until: datetime | None) -> vRecur:
    # "Last Sunday" over "4th Sunday" when both fit: it is how the rules are written, and stays true later.
    month, weekday, _, nth = min(rules, key=lambda rule: rule[3] != -1)
    recur = vRecur(FREQ="YEARLY", BYMONTH=month, BYDAY=f"{nth}{_WEEKDAYS[weekday]}")
    if until is not None:
        recur["UNTIL"] = until
    return recur


@lru_cache(maxsize=128)
def vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """A VTIMEZONE for `tzid` true from before 1 January of `first_year` to the end of `last_year`.

    Cached: finding the changes costs about a millisecond a year. Raises ValueError for an unknown zone.
    """
    try:
        zone = ZoneInfo(tzid)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {tzid!r}") from exc
    # A margin of a day on both sides: local 1 January is up to 14 hours away from UTC's.
    begins = datetime(first_year, 1, 1, tzinfo=UTC) - timedelta(days=1)
    ends = datetime(last_year + 1, 1, 1, tzinfo=UTC) + timedelta(days=1)
    # A year either side: the change before the span starts the first observance; the year after tells
    # whether a yearly rule goes on (then it is written without an end, as calendar apps do).
    scan_from = datetime(first_year - 1, 1, 1, tzinfo=UTC) - timedelta(days=1)
    changes = zone_changes(zone, scan_from, datetime(last_year + 2, 1, 1, tzinfo=UTC) + timedelta(days=1))
    earlier = [change for change in changes if change.at < begins]
    later_from = next((n for n, change in enumerate(changes) if change.at >= ends), len(changes))
    kept = changes[len(earlier) - 1 if earlier else 0 :]

    component = Timezone()
    component["TZID"] = vText(tzid)
    observances = []
    if not earlier:
        # No change in the year before: the offset of that time holds from its start.
        offset, name, daylight = _state(zone, int(scan_from.timestamp()))
        wall = datetime(first_year - 1, 1, 1, tzinfo=UTC).replace(tzinfo=None)  # a floating wall time
        observances.append(_observance(daylight, wall, offset, offset, name))
    groups: dict[tuple[bool, timedelta, timedelta, str], list[Change]] = {}
    for change in kept:
        groups.setdefault((change.daylight, change.before, change.after, change.name), []).append(change)
    after_span = set(changes[later_from:])
    for (daylight, before, after, name), members in groups.items():
        singles = []
        for run, rules in _runs(members):
            inside = [change for change in run if change not in after_span]
            if not inside:
                continue
            if len(run) < 2:
                singles.extend(inside)
                continue
            goes_on = len(inside) < len(run)
            observance = _observance(daylight, run[0].wall, before, after, name)
            # UNTIL a day after the last change: readers disagree on comparing it with a wall time.
            observance["RRULE"] = _recur(rules, None if goes_on else run[-1].at + timedelta(days=1))
            observances.append(observance)
        if singles:
            observance = _observance(daylight, singles[0].wall, before, after, name)
            if len(singles) > 1:
                # One value a line: ical.js and vobject read only the first value of an RDATE line. The
                # first change is listed too: ical.js ignores the DTSTART of an observance that has RDATEs.
                observance["RDATE"] = [vDDDLists([change.wall]) for change in singles]
            observances.append(observance)
    for observance in sorted(observances, key=lambda item: item["DTSTART"].dt):
        component.add_component(observance)
    return component
