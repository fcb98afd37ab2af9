"""Meetings to iCalendar: VEVENTs, feeds, single-event calendars; no Flask."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo

from icalendar import Calendar, Event, vCalAddress, vDatetime, vDuration, vInt, vText, vUri

from planner.ical.common import (
    _CONSTANTS,
    AUDIENCES,
    MEETING_KINDS,
    PRODID,
    STATUS_TO_ICAL,
    MeetingLike,
    PersonLike,
    _labels,
    _utc,
    clean_text,
    safe_email,
    safe_url,
    zone_info,
)
from planner.ical.vtimezone import vtimezone


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


def wall_time(value: datetime, tz: tzinfo) -> vDatetime:
    """An instant as a DTSTART/DTEND value: local time in `tz`, or UTC when that wall time is ambiguous."""
    instant = _utc(value)
    local = instant.astimezone(tz)
    # A wall time of the repeated hour of an autumn change names two instants; readers pick either one.
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        return vDatetime(instant)
    return vDatetime(local)


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
    event["DTSTART"] = wall_time(meeting.starts_at, tz)
    event["DTEND"] = wall_time(meeting.ends_at, tz)
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
    _drop_empty(event)
    return event


def _drop_empty(event: Event) -> None:
    """Remove properties without a value: strict servers refuse them (valid-calendar-data)."""
    for name in list(event):
        values = event[name] if isinstance(event[name], list) else [event[name]]
        kept = [value for value in values if value.to_ical()]
        if not kept:
            del event[name]
        elif len(kept) < len(values):
            event[name] = kept if len(kept) > 1 else kept[0]


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
            calendar.add_component(vtimezone(tzid, first_year, last_year))
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
