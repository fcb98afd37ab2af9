"""Two-way sync planning: what to push, pull, flag or record as a conflict, field by field.

Plain data in, plain data out; no Flask, no database, no network. ``planner.operations.calendars``
feeds it the local meetings, the stored per-link state and what the server reported, and carries
out the plan through ``planner.caldav_backend``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

import icalendar

from planner.ical import ICalError, expand_series, parse_calendar, resolve_zone, vevent_fields

# Field groups compared between the planner, the last synced state and the server. A group is
# taken or kept whole: moving the start without the end is not a meeting anyone asked for.
GROUPS: dict[str, tuple[str, ...]] = {
    "time": ("start", "end", "tzid"),
    "location": ("location",),
    "title": ("title",),
    "description": ("description",),
    "status": ("status",),
}
FIELDS: tuple[str, ...] = tuple(name for names in GROUPS.values() for name in names)
# What a calendar user may change on the server and the planner takes when it did not change it
# too. Everything else (title, description with purpose/outcome/agenda, status) is the planner's:
# a server edit is kept as a conflict record and the planner's version is written back.
SERVER_EDITABLE = frozenset({"time", "location"})
# An occurrence of a repeating event made in the calendar: the series is the calendar's, so its
# title and description are followed too (the description into the internal notes).
SERIES_EDITABLE = frozenset({"time", "location", "title", "description"})
# A repeating event stands for one meeting per occurrence: "<href>#occurrence=<original start>".
OCCURRENCE_MARK = "#occurrence="
FULL_LISTING_EVERY = timedelta(hours=6)
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)


class BadEvent(ValueError):
    """The iCalendar data has no usable VEVENT (no UID, no start, unreadable)."""


# -- normalising -----------------------------------------------------------------------------------


def _tzid(vevent: icalendar.Component, default_zone: str) -> str:
    prop = vevent.get("DTSTART")
    tzid = prop.params.get("TZID") if prop is not None else None
    if not tzid:
        return ""
    zone = resolve_zone(tzid, default_zone)
    return getattr(zone, "key", None) or str(tzid)


def _iso(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else ""


def event_fields(vevent: icalendar.Component, default_zone: str) -> dict[str, str]:
    """Return the normalised, comparable fields of a VEVENT (plus its ``uid``).

    Built on ``planner.ical.vevent_fields``, which resolves TZIDs by IANA name and never trusts a
    served VTIMEZONE; DTSTAMP, LAST-MODIFIED, PRODID, METHOD and property order play no part.
    """
    try:
        parsed = vevent_fields(vevent, default_zone)
    except ICalError as exc:
        raise BadEvent(str(exc)) from exc
    if not parsed.get("uid"):
        raise BadEvent("event without UID")
    status = (str(vevent.get("STATUS") or "")).upper()
    fields = {
        "uid": parsed["uid"],
        "start": _iso(parsed["starts_at"]),
        "end": _iso(parsed["ends_at"]),
        "tzid": _tzid(vevent, default_zone),
        "location": parsed["location"] or "",
        "title": parsed["title"] or "",
        "description": parsed["description"] or "",
        "status": status,
    }
    if parsed["all_day"]:
        fields["all_day"] = "1"
    if "X-PLANNER-PURPOSE" in vevent or "X-PLANNER-KIND" in vevent:
        # Written by the planner (its export imported into the calendar, an earlier sync).
        fields["planner"] = "1"
    return fields


def first_vevent(ics: str | bytes) -> icalendar.Component:
    """Return the master VEVENT of a calendar resource; raise ``BadEvent`` when there is none."""
    data = ics.encode("utf-8") if isinstance(ics, str) else ics
    try:
        events = parse_calendar(data)
    except ICalError as exc:
        raise BadEvent(str(exc)) from exc
    masters = [event for event in events if event.get("RECURRENCE-ID") is None]
    if not masters:
        raise BadEvent("no VEVENT in the resource")
    return masters[0]


def parse_event(ics: str | bytes, default_zone: str) -> dict[str, str]:
    """Parse a served resource into normalised fields; raise ``BadEvent`` when unusable."""
    return event_fields(first_vevent(ics), default_zone)


def fields_hash(fields: Mapping[str, str]) -> str:
    """Return a stable hash of normalised fields (so re-serialised events compare equal)."""
    payload = json.dumps({name: fields.get(name, "") for name in ("uid", *FIELDS)}, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def changed_groups(a: Mapping[str, str], b: Mapping[str, str]) -> set[str]:
    """Return the field groups whose values differ between ``a`` and ``b``."""
    return {group for group, names in GROUPS.items() if any(a.get(n, "") != b.get(n, "") for n in names)}


def occurrences(
    ics: str | bytes, href: str, etag: str | None, default_zone: str, window: tuple[date | None, date | None]
) -> dict[str, Remote] | None:
    """One ``Remote`` per occurrence of a repeating event (``None`` when the resource is no series).

    Each occurrence is keyed ``<href>#occurrence=<original start>`` (UTC, or a date), carries the series' UID
    and the series' etag, and is read like a single event: an overridden instance with its own
    values, an EXDATE leaving no occurrence. Occurrences are taken as the file import takes them.
    """
    data = ics.encode("utf-8") if isinstance(ics, str) else ics
    try:
        events = parse_calendar(data)
    except ICalError:
        return None
    if not any("RRULE" in e or "RDATE" in e or "RECURRENCE-ID" in e for e in events):
        return None
    uids = {str(e.get("UID", "")) for e in events}
    if len(uids) != 1:
        return None
    uid = uids.pop()
    try:
        expanded, _ = expand_series(events, window=window)
    except ICalError:
        return None
    found: dict[str, Remote] = {}
    for event in expanded:
        stamp = str(event.get("UID", ""))[len(uid) + 1 :]
        key = f"{href}{OCCURRENCE_MARK}{stamp}"
        try:
            fields = {**event_fields(event, default_zone), "uid": uid}
        except BadEvent:
            continue
        found[key] = Remote(href=key, etag=etag, fields=fields, ics=data.decode("utf-8"))
    return found


def pair_moved(vanished: list[tuple[str, str]], new: list[tuple[str, str]]) -> dict[str, str]:
    """Pair occurrences that left a series with those that joined it, in order of start.

    Moving a whole series (10:00 to 11:00, Tuesdays to Wednesdays) changes every original start:
    the meetings follow their occurrences instead of being flagged deleted while copies are
    imported. Each list holds ``(sort key, href)``; returns old href -> new href.
    """
    return {old: moved for (_, old), (_, moved) in zip(sorted(vanished), sorted(new), strict=False)}


# -- planning --------------------------------------------------------------------------------------


class Action(StrEnum):
    """What to do for one meeting or resource."""

    NOTHING = "nothing"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    ADOPT = "adopt"  # the server already holds what we want: record its etag, send nothing
    MARK_REMOVED = "mark_removed"
    FORGET = "forget"  # our deletion went through: drop the state
    IMPORT = "import"
    SKIP = "skip"


@dataclass(frozen=True)
class Local:
    """A meeting as the planner would push it now."""

    meeting_id: int
    fields: Mapping[str, str]
    cancelled: bool = False
    known_hash: str | None = None  # set when the caller knows nothing changed since the last push

    @property
    def hash(self) -> str:
        return self.known_hash or fields_hash(self.fields)


@dataclass(frozen=True)
class State:
    """What was last agreed with the server for one meeting on one link."""

    meeting_id: int
    href: str
    etag: str | None
    pushed_hash: str | None
    base: Mapping[str, str] | None
    removed_on_server: bool = False


@dataclass(frozen=True)
class Remote:
    """A resource as the server serves it now; ``fields`` is ``None`` when it cannot be read."""

    href: str
    etag: str | None
    fields: Mapping[str, str] | None
    ics: str = ""


@dataclass(frozen=True)
class ItemPlan:
    """The decision for one item: an action, what to take from the server, what conflicts."""

    action: Action
    meeting_id: int | None = None
    href: str | None = None
    take: Mapping[str, str] = field(default_factory=dict)
    conflicts: tuple[str, ...] = ()
    push: Mapping[str, str] | None = None  # the fields the server should hold afterwards
    reason: str = ""


def is_occurrence(href: str | None) -> bool:
    """Whether an href stands for one occurrence of a repeating event."""
    return bool(href) and OCCURRENCE_MARK in href


def plan_item(
    local: Local | None,
    state: State | None,
    remote: Remote | None,
    *,
    deleted_on_server: bool = False,
    on_cancel: str = "status",
) -> ItemPlan:
    """Decide what to do for one meeting/resource pair, applying the field-by-field policy."""
    if local is None:
        return _plan_unknown_remote(remote)
    editable = (
        SERIES_EDITABLE if is_occurrence(state.href if state else remote.href if remote else "") else None
    )
    mid = local.meeting_id
    if state is None or (state.etag is None and not state.removed_on_server):
        href = state.href if state else None
        if remote is not None and remote.fields is not None:
            # Our create went through but its reply was lost (or the state was not saved).
            return _plan_changed_remote(local, state, remote, on_cancel, editable)
        if local.cancelled:
            return ItemPlan(Action.NOTHING, mid, href, reason="cancelled before it was ever pushed")
        return ItemPlan(Action.CREATE, mid, href, push=local.fields)
    if state.removed_on_server:
        return ItemPlan(Action.NOTHING, mid, state.href, reason="removed from the calendar; waiting")
    if deleted_on_server:
        if local.cancelled and on_cancel == "delete":
            return ItemPlan(Action.FORGET, mid, state.href)
        return ItemPlan(Action.MARK_REMOVED, mid, state.href, reason="deleted on the server")
    if remote is not None and remote.etag != state.etag:
        return _plan_changed_remote(local, state, remote, on_cancel, editable)
    if local.cancelled and on_cancel == "delete":
        return ItemPlan(Action.DELETE, mid, state.href)
    if local.hash != state.pushed_hash:
        return ItemPlan(Action.UPDATE, mid, state.href, push=local.fields)
    return ItemPlan(Action.NOTHING, mid, state.href)


def _plan_unknown_remote(remote: Remote | None) -> ItemPlan:
    if remote is None:
        return ItemPlan(Action.NOTHING)
    if remote.fields is None:
        return ItemPlan(Action.SKIP, href=remote.href, reason="unreadable")
    if remote.fields.get("status") == "CANCELLED":
        return ItemPlan(Action.SKIP, href=remote.href, reason="cancelled")
    if remote.fields.get("all_day"):
        # A day off or a deadline is not a meeting: never a 24-hour meeting from midnight.
        return ItemPlan(Action.SKIP, href=remote.href, reason="all_day")
    return ItemPlan(Action.IMPORT, href=remote.href, take=dict(remote.fields))


def _plan_changed_remote(
    local: Local, state: State | None, remote: Remote, on_cancel: str, editable: frozenset[str] | None = None
) -> ItemPlan:
    mid = local.meeting_id
    href = remote.href
    if remote.fields is None:
        # Unreadable on the server: the planner's version wins; the raw data is kept as a conflict.
        return ItemPlan(Action.UPDATE, mid, href, conflicts=("unreadable",), push=local.fields)
    theirs = remote.fields
    ours = local.fields
    base = state.base if state and state.base else None
    if base is None:
        # No common ancestor (our create's reply was lost, or its state never saved): the
        # planner's version wins; anything that differs is kept as a conflict, never dropped.
        differing = changed_groups(ours, theirs)
        kept = set(differing)
        if theirs.get("planner"):
            # The planner's own words in an older form (an export's links): written over, not kept.
            kept.discard("description")
        conflicts = tuple(sorted(kept))
        if local.cancelled and on_cancel == "delete":
            return ItemPlan(Action.DELETE, mid, href, conflicts=conflicts)
        if differing or ours.get("uid") != theirs.get("uid"):
            return ItemPlan(Action.UPDATE, mid, href, conflicts=conflicts, push=dict(ours))
        return ItemPlan(Action.ADOPT, mid, href, push=dict(ours))
    theirs_changed = changed_groups(base, theirs)
    ours_changed = changed_groups(base, ours)
    take: dict[str, str] = {}
    conflicts: list[str] = []
    for group in sorted(theirs_changed):
        differs = any(ours.get(n, "") != theirs.get(n, "") for n in GROUPS[group])
        if not differs:
            continue  # both sides made the same change
        # An event turned all-day in the calendar is not a 24-hour meeting: kept as a conflict.
        all_day = group == "time" and bool(theirs.get("all_day"))
        if (
            group in (editable or SERVER_EDITABLE)
            and group not in ours_changed
            and not local.cancelled
            and not all_day
        ):
            for name in GROUPS[group]:
                take[name] = theirs.get(name, "")
        else:
            conflicts.append(group)
    result = {**ours, **take}
    if local.cancelled and on_cancel == "delete":
        return ItemPlan(Action.DELETE, mid, href, conflicts=tuple(conflicts))
    if changed_groups(result, theirs) or result.get("uid") != theirs.get("uid"):
        return ItemPlan(Action.UPDATE, mid, href, take=take, conflicts=tuple(conflicts), push=result)
    return ItemPlan(Action.ADOPT, mid, href, take=take, conflicts=tuple(conflicts), push=result)


def plan_sync(
    locals_: Iterable[Local],
    states: Iterable[State],
    remotes: Mapping[str, Remote],
    deleted: set[str],
    *,
    on_cancel: str = "status",
    uid_to_meeting: Mapping[str, int] | None = None,
) -> list[ItemPlan]:
    """Plan a whole sync: one ``ItemPlan`` per meeting, then one per unknown server resource.

    ``remotes`` holds the resources the server reported as changed (already fetched),
    ``deleted`` the hrefs gone from the server. ``uid_to_meeting`` maps event UIDs to meetings so
    that a resource we wrote but never recorded is recognised instead of imported twice.
    """
    by_meeting = {s.meeting_id: s for s in states}
    claimed: set[str] = set()
    plans: list[ItemPlan] = []
    uid_index = dict(uid_to_meeting or {})
    remote_by_meeting: dict[int, Remote] = {}
    for remote in remotes.values():
        if remote.fields is None or is_occurrence(remote.href):
            continue
        mid = uid_index.get(remote.fields.get("uid", ""))
        if mid is not None:
            remote_by_meeting.setdefault(mid, remote)
    for local in locals_:
        state = by_meeting.get(local.meeting_id)
        remote = remotes.get(state.href) if state and state.href else None
        if remote is None and (state is None or state.etag is None):
            remote = remote_by_meeting.get(local.meeting_id)
        gone = bool(state and state.href in deleted)
        plan = plan_item(local, state, remote, deleted_on_server=gone, on_cancel=on_cancel)
        if remote is not None:
            claimed.add(remote.href)
        if state is not None and state.href:
            claimed.add(state.href)
        plans.append(plan)
    for href, remote in remotes.items():
        if href in claimed:
            continue
        plans.append(_plan_unknown_remote(remote))
    return plans


# -- timing ----------------------------------------------------------------------------------------


def full_listing_due(last_full_listing_at: datetime | None, now: datetime) -> bool:
    """Tokens and ctags miss writes on some servers: list in full now and then as a backstop."""
    return last_full_listing_at is None or now - last_full_listing_at >= FULL_LISTING_EVERY


def next_attempt(failures: int, now: datetime) -> datetime:
    """Return when to try again after ``failures`` consecutive failures (exponential back-off)."""
    if failures <= 0:
        return now
    delay = BACKOFF_BASE * (2 ** min(failures - 1, 20))
    return now + min(delay, BACKOFF_CAP)
