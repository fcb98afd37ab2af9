"""iCalendar to the planner's fields: parsing files and server resources, expanding series; no Flask."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from icalendar import Calendar, Event, vText
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from planner.ical.common import (
    _CANCELLED_PREFIXES,
    _TEXT_ESCAPE,
    MEETING_KINDS,
    STATUS_FROM_ICAL,
    ICalError,
    _utc,
    clean_text,
    safe_url,
    zone_info,
)


def parse_calendar(data: bytes) -> list[Event]:
    """The VEVENTs of an iCalendar file; raises ICalError with a readable reason on anything else."""
    if not data or not data.strip():
        raise ICalError("The file is empty.", code="empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ICalError(
            "The file is not UTF-8 text, so it is not an iCalendar file.", code="not_utf8"
        ) from exc
    if "BEGIN:VCALENDAR" not in text[:4096].upper():
        raise ICalError("The file is not an iCalendar file (it has no BEGIN:VCALENDAR).", code="not_calendar")
    if not text.rstrip().upper().endswith("END:VCALENDAR"):
        # A cut-off download parses "successfully" into nothing: say what is wrong instead.
        raise ICalError("The file is incomplete: it does not end with END:VCALENDAR.", code="incomplete")
    try:
        with warnings.catch_warnings():
            # Vendor-prefixed TZIDs make icalendar warn; we resolve zones ourselves below.
            warnings.simplefilter("ignore")
            calendars = Calendar.from_ical(text, multiple=True)
            events: list[Event] = []
            for calendar in calendars:
                if calendar.name != "VCALENDAR":
                    raise ICalError(f"Unexpected {calendar.name} outside a calendar.", code="not_calendar")
                events.extend(calendar.walk("VEVENT"))
    except ICalError:
        raise
    except Exception as exc:  # icalendar raises ValueError, KeyError, IndexError... on broken input
        raise ICalError(
            f"The file could not be read as iCalendar: {_reason(exc)}", code="unreadable", reason=_reason(exc)
        ) from exc
    if not calendars:
        raise ICalError("The file holds no calendar.", code="not_calendar")
    return events


def _reason(exc: Exception) -> str:
    text = clean_text(str(exc), single_line=True)
    return text[:200] if text else type(exc).__name__


def resolve_zone(tzid: str | None, default_zone: str) -> tzinfo:
    """The zoneinfo zone for a TZID: IANA name, Windows name or vendor-prefixed name, else the default."""
    candidates = []
    if tzid:
        cleaned = tzid.strip().strip('"').strip("/")
        candidates.append(cleaned)
        if cleaned in WINDOWS_TO_OLSON:
            candidates.append(WINDOWS_TO_OLSON[cleaned])
        parts = cleaned.split("/")
        candidates.extend("/".join(parts[start:]) for start in range(1, len(parts)))
    candidates.append(default_zone)
    for name in candidates:
        if not name or ".." in name or name.startswith("/"):
            continue
        try:
            return zone_info(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            continue
    return UTC


def _text(event: Event, name: str) -> str | None:
    value = event.get(name)
    if value is None:
        return None
    if isinstance(value, list):
        value = value[0]
    if isinstance(value, vText):
        return clean_text(str(value))
    # X- properties come back as raw, still escaped text: undo RFC 5545 TEXT escaping in one pass.
    raw = value.to_ical().decode("utf-8") if hasattr(value, "to_ical") else str(value)
    return clean_text(_TEXT_ESCAPE.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), raw))


def _moment(event: Event, name: str, default_zone: str) -> tuple[datetime | date | None, bool]:
    prop = event.get(name)
    if prop is None:
        return None, False
    value = getattr(prop, "dt", None)
    if isinstance(value, datetime):
        if value.tzinfo is not None and value.utcoffset() == timedelta(0) and not prop.params.get("TZID"):
            return value.astimezone(UTC), False
        # Never trust a served VTIMEZONE: take the wall time and resolve the TZID by name.
        zone = resolve_zone(prop.params.get("TZID"), default_zone)
        return value.replace(tzinfo=zone).astimezone(UTC), False
    if isinstance(value, date):
        return value, True
    raise ICalError(f"{name} is not a date or time.", code="bad_date", reason=f"{name} is not a date or time")


def _agenda(vevent: Event) -> list[dict[str, Any]]:
    values = vevent.get("X-PLANNER-AGENDA")
    if values is None:
        return []
    items = []
    for value in values if isinstance(values, list) else [values]:
        raw = value.to_ical().decode("utf-8") if hasattr(value, "to_ical") else str(value)
        title = clean_text(_TEXT_ESCAPE.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), raw))
        minutes = str(getattr(value, "params", {}).get("X-MINUTES", ""))
        if title.strip():
            items.append(
                {
                    "title": " ".join(title.split())[:300],
                    "minutes": min(int(minutes), 600) if minutes.isdigit() else 10,
                }
            )
    return items


def vevent_fields(vevent: Event, default_zone: str) -> dict[str, Any]:
    """The planner's fields of a VEVENT (times aware UTC); raises ICalError when it has no usable start."""
    uid = _text(vevent, "UID")
    label = uid or "(no UID)"
    try:
        start, all_day = _moment(vevent, "DTSTART", default_zone)
        end, _ = _moment(vevent, "DTEND", default_zone)
        duration_prop = vevent.get("DURATION")
        duration = getattr(duration_prop, "dt", None) if duration_prop is not None else None
    except ICalError as exc:
        raise ICalError(f"Event {label}: {exc}", code="bad_date", uid=label, reason=str(exc)) from exc
    except Exception as exc:
        raise ICalError(
            f"Event {label} has a broken date: {_reason(exc)}",
            code="bad_date",
            uid=label,
            reason=_reason(exc),
        ) from exc
    if start is None:
        raise ICalError(f"Event {label} has no start (DTSTART).", code="no_start", uid=label)
    zone = resolve_zone(default_zone, default_zone)
    if all_day:
        assert isinstance(start, date) and not isinstance(start, datetime)
        end_day = end if isinstance(end, date) and not isinstance(end, datetime) else None
        if end_day is None:
            end_day = start + (duration if isinstance(duration, timedelta) else timedelta(days=1))
        starts_at = datetime.combine(start, time(0), zone).astimezone(UTC)
        ends_at = datetime.combine(end_day, time(0), zone).astimezone(UTC)
    else:
        assert isinstance(start, datetime)
        starts_at = start
        if isinstance(end, datetime):
            ends_at = end
        elif isinstance(duration, timedelta):
            ends_at = starts_at + duration
        else:
            ends_at = starts_at
    if ends_at < starts_at:
        raise ICalError(f"Event {label} ends before it starts.", code="ends_before", uid=label)
    status_text = (_text(vevent, "STATUS") or "").upper()
    status = STATUS_FROM_ICAL.get(status_text, "confirmed")
    title = clean_text(_text(vevent, "SUMMARY") or "", single_line=True)
    if status == "cancelled":
        for prefix in _CANCELLED_PREFIXES:
            if title.startswith(prefix):
                title = title[len(prefix) :]
                break
    kind = _text(vevent, "X-PLANNER-KIND")
    sequence_prop = vevent.get("SEQUENCE")
    try:
        sequence = int(sequence_prop) if sequence_prop is not None else 0
    except (TypeError, ValueError):
        sequence = 0
    modified = vevent.get("LAST-MODIFIED")
    last_modified = getattr(modified, "dt", None) if modified is not None else None
    last_modified = _utc(last_modified) if isinstance(last_modified, datetime) else None
    conference = vevent.get("CONFERENCE")
    if isinstance(conference, list):
        conference = conference[0]
    url = vevent.get("URL")
    return {
        "agenda": _agenda(vevent),
        "uid": uid,
        "title": title,
        "purpose": _text(vevent, "X-PLANNER-PURPOSE"),
        "desired_outcome": _text(vevent, "X-PLANNER-OUTCOME"),
        "kind": kind if kind in MEETING_KINDS else None,
        "description": _text(vevent, "DESCRIPTION") or "",
        "starts_at": starts_at,
        "ends_at": ends_at,
        "all_day": all_day,
        "location": clean_text(_text(vevent, "LOCATION") or "", single_line=True) or None,
        "url": safe_url(str(url)) if url is not None else None,
        "conference_url": safe_url(str(conference)) if conference is not None else None,
        "status": status,
        "internal": (_text(vevent, "CLASS") or "").upper() in ("PRIVATE", "CONFIDENTIAL"),
        "sequence": sequence,
        "last_modified": last_modified,
        "recurring": "RRULE" in vevent or "RDATE" in vevent,
    }


@dataclass
class ImportPlan:
    """What importing a calendar file would do: meetings to create and events skipped, with reasons."""

    create: list[dict[str, Any]] = field(default_factory=list)
    # (event title, reason code): "duplicate" (UID already in the engagement), "all_day" (a day, not a
    # meeting) or "series_limit" (a repeating event with more occurrences than are imported: only its
    # first year, at most 200).
    skipped: list[tuple[str, str]] = field(default_factory=list)


def _occurrence_uid(uid: str, occurrence: Event) -> str:
    recurrence = occurrence.get("RECURRENCE-ID") or occurrence.get("DTSTART")
    moment = recurrence.dt
    if isinstance(moment, datetime):
        stamp = (
            moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
            if moment.tzinfo
            else moment.strftime("%Y%m%dT%H%M%S")
        )
    else:
        stamp = moment.strftime("%Y%m%d")
    return f"{uid}-{stamp}"


def expand_series(
    events: Iterable[Event],
    *,
    limit: int = 200,
    horizon: timedelta = timedelta(days=366),
    window: tuple[date | None, date | None] = (None, None),
) -> tuple[list[Event], list[str]]:
    """Repeating events replaced by their occurrences (each its own UID, stable across imports).

    Occurrences are taken from the series' first start for `horizon`, within `window` (the
    engagement's first and last day, when known), at most `limit` per series; returns the events
    and the titles of series that had more.
    """
    import recurring_ical_events

    singles: list[Event] = []
    series: dict[str, list[Event]] = {}
    for event in events:
        if "RRULE" in event or "RDATE" in event or "RECURRENCE-ID" in event:
            series.setdefault(str(event.get("UID", "")), []).append(event)
        else:
            singles.append(event)
    cut: list[str] = []
    for uid, parts in series.items():
        calendar = Calendar()
        for part in parts:
            calendar.add_component(part)
        master = next((p for p in parts if "RECURRENCE-ID" not in p), parts[0])
        if "DTSTART" not in master:
            singles.append(master)  # vevent_fields reports the missing start
            continue
        first = master["DTSTART"].dt
        since = first.date() if isinstance(first, datetime) else first
        since = max(since, window[0]) if window[0] else since
        until = since + horizon
        until = min(until, window[1] + timedelta(days=1)) if window[1] else until
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                occurrences = list(recurring_ical_events.of(calendar).between(since, until))
        except Exception as exc:  # the library raises its own errors on broken rules
            raise ICalError(
                f"Repeating event {uid or '(no UID)'} cannot be read: {_reason(exc)}",
                code="bad_series",
                uid=uid or "(no UID)",
                reason=_reason(exc),
            ) from exc
        if len(occurrences) > limit:
            cut.append(clean_text(master.get("SUMMARY", uid), single_line=True))
        for occurrence in occurrences[:limit]:
            occurrence["UID"] = vText(_occurrence_uid(uid, occurrence))
            occurrence.pop("RECURRENCE-ID", None)
            singles.append(occurrence)
    return singles, cut


def plan_import(events: Iterable[Event], *, existing_uids: Iterable[str], default_zone: str) -> ImportPlan:
    """Fields of the events to import; known UIDs are skipped. Raises ICalError on a bad event."""
    plan = ImportPlan()
    known = {uid for uid in existing_uids if uid}
    singles, cut = expand_series(events)
    plan.skipped.extend((title, "series_limit") for title in cut)
    for event in singles:
        fields = vevent_fields(event, default_zone)
        label = fields["title"] or fields["uid"] or "?"
        if fields["all_day"]:
            # A day off or a deadline is not a meeting: never a 24-hour meeting from midnight.
            plan.skipped.append((label, "all_day"))
            continue
        if fields["uid"] and fields["uid"] in known:
            plan.skipped.append((label, "duplicate"))
            continue
        if fields["uid"]:
            known.add(fields["uid"])
        plan.create.append(fields)
    return plan
