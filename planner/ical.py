"""Meetings to and from iCalendar (RFC 5545) components, built with the icalendar package; no Flask."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Calendar, Event, Timezone, vCalAddress, vDatetime, vDuration, vInt, vText, vUri
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

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


def describe_meeting(
    meeting: MeetingLike, *, page_url: str | None, audience: str = "team", language: str = "en"
) -> str:
    """The DESCRIPTION text: purpose, desired outcome, numbered agenda with minutes, then the links."""
    labels = _labels(language)
    parts = [f"{labels['purpose']}: {clean_text(meeting.purpose)}"]
    if meeting.desired_outcome:
        parts.append(f"{labels['outcome']}: {clean_text(meeting.desired_outcome)}")
    items = sorted(meeting.agenda, key=lambda item: item.position)
    if items:
        lines = [f"{labels['agenda']}:"]
        for number, item in enumerate(items, start=1):
            minutes = labels["minutes"].format(n=int(item.minutes or 0))
            lines.append(f"{number}. {clean_text(item.title, single_line=True)} ({minutes})")
        parts.append("\n".join(lines))
    links = []
    conference = safe_url(meeting.conference_url)
    if conference:
        links.append(f"{labels['join']}: {conference}")
    if page_url:
        links.append(f"{labels['page']}: {clean_text(page_url, single_line=True)}")
    if links:
        parts.append("\n".join(links))
    if audience == "team" and meeting.internal_notes:
        parts.append(f"{labels['notes']}:\n{clean_text(meeting.internal_notes)}")
    return "\n\n".join(parts)


def _address(person: PersonLike | None, *, for_caldav: bool, organizer: bool = False) -> vCalAddress | None:
    if person is None:
        return None
    email = safe_email(person.email)
    if email is None:
        return None
    address = vCalAddress(f"mailto:{email}")
    name = clean_text(person.name, single_line=True)
    if name:
        address.params["CN"] = name
    if not organizer:
        address.params["CUTYPE"] = "INDIVIDUAL"
        address.params["ROLE"] = "REQ-PARTICIPANT"
    if for_caldav:
        # The planner sends no invitations: stop the CalDAV server from scheduling on our behalf.
        address.params["SCHEDULE-AGENT"] = "CLIENT"
    return address


def meeting_to_vevent(
    meeting: MeetingLike,
    *,
    zone: str,
    page_url: str | None,
    audience: str = "team",
    for_caldav: bool = False,
    language: str = "en",
    organizer: PersonLike | None = None,
) -> Event:
    """One VEVENT for a meeting, with local times in `zone` and a description led by the purpose."""
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}")
    if audience == "client" and meeting.internal:
        # Filtering is the feed's job; refusing here keeps a filtering bug from leaking a meeting.
        raise ValueError("an internal meeting is never shown to a client")
    tz = zone_info(zone)
    updated = vDatetime(_utc(meeting.updated_at))
    # Properties are set already typed: Component.add() infers types and costs more than serialising.
    event = Event()
    event["UID"] = vText(clean_text(meeting.uid, single_line=True))
    # DTSTAMP follows the meeting's last change so an unchanged feed is byte-for-byte stable.
    event["DTSTAMP"] = updated
    event["CREATED"] = vDatetime(_utc(meeting.created_at))
    event["LAST-MODIFIED"] = updated
    event["SEQUENCE"] = vInt(int(meeting.sequence or 0))
    event["DTSTART"] = vDatetime(_utc(meeting.starts_at).astimezone(tz))
    event["DTEND"] = vDatetime(_utc(meeting.ends_at).astimezone(tz))
    title = clean_text(meeting.title, single_line=True)
    status = STATUS_TO_ICAL.get(meeting.status, "CONFIRMED")
    if status == "CANCELLED" and not for_caldav:
        # Several apps show a cancelled event from a subscription like any other: say it in the title.
        title = _labels(language)["cancelled"] + title
    event["SUMMARY"] = vText(title)
    event["STATUS"] = _CONSTANTS[status]
    event["TRANSP"] = _CONSTANTS["TRANSPARENT" if status == "CANCELLED" else "OPAQUE"]
    if meeting.internal:
        event["CLASS"] = _CONSTANTS["PRIVATE"]
    event["DESCRIPTION"] = vText(
        describe_meeting(meeting, page_url=page_url, audience=audience, language=language)
    )
    location = clean_text(meeting.location, single_line=True)
    if location:
        event["LOCATION"] = vText(location)
    conference = safe_url(meeting.conference_url)
    link = conference or safe_url(page_url)
    if link:
        event["URL"] = vUri(link, params={"VALUE": "URI"})
    if conference:
        event["CONFERENCE"] = vUri(conference, params={"VALUE": "URI", "FEATURE": "VIDEO"})
    event["X-PLANNER-PURPOSE"] = vText(clean_text(meeting.purpose))
    if meeting.desired_outcome:
        event["X-PLANNER-OUTCOME"] = vText(clean_text(meeting.desired_outcome))
    if meeting.kind in MEETING_KINDS:
        event["X-PLANNER-KIND"] = _CONSTANTS[meeting.kind]
    items = sorted(meeting.agenda, key=lambda item: item.position)
    if items:
        # The agenda item by item, so that an export imported elsewhere keeps it (the description is prose).
        agenda = [
            vText(clean_text(item.title, single_line=True), params={"X-MINUTES": str(int(item.minutes or 0))})
            for item in items
        ]
        event["X-PLANNER-AGENDA"] = agenda if len(agenda) > 1 else agenda[0]
    organizer_address = _address(organizer, for_caldav=for_caldav, organizer=True)
    if organizer_address is not None:
        event["ORGANIZER"] = organizer_address
    attendees: dict[str, vCalAddress] = {}
    for attendee in meeting.attendees:
        address = _address(attendee.contact or attendee.user, for_caldav=for_caldav)
        if address is not None:
            attendees.setdefault(address.lower(), address)
    if attendees:
        values = list(attendees.values())
        event["ATTENDEE"] = values if len(values) > 1 else values[0]
    return event


@lru_cache(maxsize=128)
def vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """A VTIMEZONE generated from zoneinfo for the given years (cached: generating one is slow)."""
    return Timezone.from_tzid(tzid, first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1))


def _used_zones(events: Sequence[Event]) -> tuple[set[str], int, int]:
    zones: set[str] = set()
    years: set[int] = set()
    for event in events:
        for name in ("DTSTART", "DTEND", "RECURRENCE-ID"):
            prop = event.get(name)
            if prop is None:
                continue
            tzid = prop.params.get("TZID")
            if tzid:
                zones.add(tzid)
            years.add(prop.dt.year)
    if not years:
        return zones, 0, 0
    return zones, min(years), max(years)


def build_calendar(
    name: str,
    description: str,
    zone: str,
    events: Iterable[Event],
    *,
    refresh: timedelta = timedelta(hours=1),
    method: str | None = None,
) -> Calendar:
    """A VCALENDAR holding `events`, with a VTIMEZONE for every zone used and the feed hints apps read."""
    events = list(events)
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    if method:
        calendar.add("METHOD", method)
    calendar.add("X-WR-CALNAME", vText(clean_text(name, single_line=True)))
    if description:
        calendar.add("X-WR-CALDESC", vText(clean_text(description)))
    calendar.add("X-WR-TIMEZONE", vText(zone))
    # The icalendar shortcut omits VALUE=DURATION, which some apps need to honour the interval.
    calendar.add("REFRESH-INTERVAL", vDuration(refresh), parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", vDuration(refresh))
    add_timezones(calendar, events, zone)
    for event in events:
        calendar.add_component(event)
    return calendar


def add_timezones(calendar: Calendar, events: Sequence[Event], zone: str | None = None) -> None:
    """Add a VTIMEZONE for `zone` and every TZID the events use (Outlook shifts times without one)."""
    zones, first_year, last_year = _used_zones(events)
    if zone:
        zones.add(zone)
    if not first_year:
        first_year = last_year = datetime.now(UTC).year
    for tzid in sorted(zones - {"UTC"}):
        try:
            calendar.add_component(vtimezone(tzid, first_year - 1, last_year + 1))
        except ValueError:
            continue


def event_calendar(event: Event, zone: str, *, method: str | None = None) -> Calendar:
    """A VCALENDAR with one event and its VTIMEZONE: a calendar object resource or a single download."""
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    if method:
        calendar.add("METHOD", method)
    add_timezones(calendar, [event], zone)
    calendar.add_component(event)
    return calendar


def feed_meetings(
    meetings: Iterable[MeetingLike], *, audience: str, now: datetime, cancelled_days: int
) -> list[MeetingLike]:
    """The meetings a feed shows: no internal ones for a client; cancelled ones only for a while."""
    cutoff = _utc(now) - timedelta(days=cancelled_days)
    shown = []
    for meeting in meetings:
        if audience == "client" and meeting.internal:
            continue
        if meeting.status == "cancelled":
            cancelled = meeting.cancelled_at or meeting.updated_at
            if _utc(cancelled) < cutoff:
                continue
        shown.append(meeting)
    return sorted(shown, key=lambda m: (_utc(m.starts_at), m.uid))


# ---- reading ---------------------------------------------------------------------------------


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


def render_feed(
    *,
    name: str,
    description: str,
    zone: str,
    meetings: Iterable[MeetingLike],
    audience: str,
    now: datetime,
    cancelled_days: int,
    page_url: Callable[[MeetingLike], str | None] | None = None,
    language: str = "en",
    refresh: timedelta = timedelta(hours=1),
    method: str | None = None,
    organizer: PersonLike | None = None,
) -> bytes:
    """The serialised feed of an engagement's meetings for one audience."""
    shown = feed_meetings(meetings, audience=audience, now=now, cancelled_days=cancelled_days)
    events = [
        meeting_to_vevent(
            meeting,
            zone=zone,
            page_url=page_url(meeting) if page_url else None,
            audience=audience,
            language=language,
            organizer=organizer,
        )
        for meeting in shown
    ]
    return build_calendar(name, description, zone, events, refresh=refresh, method=method).to_ical()


@dataclass
class ImportPlan:
    """What importing a calendar file would do: meetings to create and events skipped, with reasons."""

    create: list[dict[str, Any]] = field(default_factory=list)
    # (event title, reason code): "duplicate" (UID already in the engagement) or "series_limit" (a repeating
    # event with more occurrences than are imported: only its first year, at most 200).
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
    events: Iterable[Event], *, limit: int = 200, horizon: timedelta = timedelta(days=366)
) -> tuple[list[Event], list[str]]:
    """Repeating events replaced by their occurrences (each its own UID, stable across imports).

    Occurrences are taken from the series' first start for `horizon`, at most `limit` per series;
    returns the events and the titles of series that had more.
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
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                occurrences = list(recurring_ical_events.of(calendar).between(first, first + horizon))
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
        if fields["uid"] and fields["uid"] in known:
            plan.skipped.append((label, "duplicate"))
            continue
        if fields["uid"]:
            known.add(fields["uid"])
        plan.create.append(fields)
    return plan
