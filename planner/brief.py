"""The pre-meeting brief as plain data: purpose, agenda, people and what is owed (no Flask)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from planner.commitments import is_open, order_commitments

# How many of an attendee's notes the brief shows: the latest ones are what people forget.
NOTES_PER_ATTENDEE = 3


@dataclass(frozen=True)
class AgendaLine:
    """One agenda item with its minutes."""

    title: str
    minutes: int
    notes: str = ""
    done: bool = False


@dataclass(frozen=True)
class NoteLine:
    """A dated note about a contact, from a meeting or a call."""

    body: str
    noted_on: date
    meeting_title: str | None = None


@dataclass(frozen=True)
class Person:
    """An attendee: a client contact (with their profile and notes) or a member of our team."""

    name: str
    ours: bool
    role: str = ""
    organisation: str = ""
    preferred_channel: str = ""
    language: str = ""
    readers: str = ""
    prefers_format: str = ""
    notes: tuple[NoteLine, ...] = ()
    contact_id: int | None = None


@dataclass(frozen=True)
class OwedLine:
    """An open commitment between us and the people attending, with its current status."""

    title: str
    owed_by: str
    status: str
    due_at: datetime | None
    owner_name: str = ""
    id: int | None = None


@dataclass(frozen=True)
class WaitingRequest:
    """A request that was put on this meeting's agenda and is waiting for it."""

    topic: str
    submitted_at: datetime | None = None
    requester: str = ""
    id: int | None = None


@dataclass(frozen=True)
class Brief:
    """Everything the people going need on one page, in the engagement's zone."""

    title: str
    starts_at: datetime
    ends_at: datetime
    purpose: str
    desired_outcome: str
    location: str
    conference_url: str
    agenda: tuple[AgendaLine, ...]
    agenda_minutes: int
    length_minutes: int
    attendees: tuple[Person, ...]
    commitments: tuple[OwedLine, ...]
    requests: tuple[WaitingRequest, ...]
    late_count: int = 0
    at_risk_count: int = 0
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def over_minutes(self) -> int:
        """Minutes the agenda runs over the meeting's length (0 when it fits)."""
        return max(self.agenda_minutes - self.length_minutes, 0)

    @property
    def free_minutes(self) -> int:
        """Minutes of the meeting not yet given to an agenda item."""
        return max(self.length_minutes - self.agenda_minutes, 0)


def _person(person: Person, limit: int) -> Person:
    notes = sorted(person.notes, key=lambda n: n.noted_on, reverse=True)[:limit]
    return replace(person, notes=tuple(notes))


def build_brief(
    *,
    title: str,
    purpose: str,
    desired_outcome: str,
    starts_at: datetime,
    ends_at: datetime,
    zone: str,
    agenda: Sequence[AgendaLine],
    attendees: Iterable[Person],
    commitments: Iterable[OwedLine],
    requests: Iterable[WaitingRequest] = (),
    location: str = "",
    conference_url: str = "",
    notes_per_attendee: int = NOTES_PER_ATTENDEE,
) -> Brief:
    """Assemble the brief: client people first, latest notes first, open commitments ours and late first."""
    tz = ZoneInfo(zone)
    people = sorted(attendees, key=lambda p: (p.ours, p.name.casefold()))
    owed = order_commitments([c for c in commitments if is_open(c.status)])
    waiting = sorted(
        requests,
        key=lambda r: (r.submitted_at is None, r.submitted_at.timestamp() if r.submitted_at else 0.0),
    )
    agenda_minutes = sum(item.minutes for item in agenda)
    length = int((ends_at - starts_at).total_seconds() // 60)
    warnings: list[str] = []
    if not purpose.strip():
        warnings.append("purpose_missing")
    if agenda_minutes > length:
        warnings.append("agenda_over")
    return Brief(
        title=title,
        starts_at=starts_at.astimezone(tz),
        ends_at=ends_at.astimezone(tz),
        purpose=purpose,
        desired_outcome=desired_outcome,
        location=location,
        conference_url=conference_url,
        agenda=tuple(agenda),
        agenda_minutes=agenda_minutes,
        length_minutes=length,
        attendees=tuple(_person(p, notes_per_attendee) for p in people),
        commitments=tuple(owed),
        requests=tuple(waiting),
        late_count=sum(1 for c in owed if c.status == "late"),
        at_risk_count=sum(1 for c in owed if c.status == "at_risk"),
        warnings=tuple(warnings),
    )
