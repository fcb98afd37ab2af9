"""The policy's inputs and its decision: plain frozen data, no sentences."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

REASONS: tuple[str, ...] = (
    "email_tedious",
    "wants_face_to_face",
    "nuance",
    "deadline_pressure",
    "status_update",
    "new_work_request",
    "decision_needed",
    "problem_or_complaint",
    "review_materials",
    "other",
)
OUTCOMES: tuple[str, ...] = ("call", "email", "agenda_item", "meeting")
FORMATS: tuple[str, ...] = ("phone", "video", "in_person")
# Reasons that a conversation serves better than a mail: a simple question has none of them.
CONVERSATION_REASONS = frozenset(
    {
        "nuance",
        "wants_face_to_face",
        "email_tedious",
        "decision_needed",
        "deadline_pressure",
        "review_materials",
        "problem_or_complaint",
        "new_work_request",
    }
)
# The reasons rule 9 answers with a call (a complaint and new work have rules of their own).
TALK_REASONS = frozenset(
    {
        "nuance",
        "wants_face_to_face",
        "email_tedious",
        "decision_needed",
        "deadline_pressure",
        "review_materials",
    }
)
CALL_CHANNELS = frozenset({"phone", "video", "in_person", "call"})


class TriageError(ValueError):
    """The policy cannot decide with these settings or this request."""


@dataclass(frozen=True)
class TriageSettings:
    """Per-engagement thresholds of the policy, with their defaults."""

    call_max_minutes: int = 30
    agenda_horizon_days: int = 14
    agenda_lead_hours: int = 24
    urgent_hours: int = 48
    country: str | None = None
    zone: str = "UTC"
    default_meeting_minutes: int = 60
    workday_start: time = time(9, 0)
    workday_end: time = time(18, 0)
    # When the contact's own hours decide, the team stretches its day this far.
    extended_start: time = time(8, 0)
    extended_end: time = time(21, 0)
    # None: no lunch hour kept free (the default outside Japan, see `lunch_for`).
    lunch: tuple[time, time] | None = None
    # A call is offered no sooner than this, so that whoever calls can prepare.
    call_lead_minutes: int = 30
    # A complaint is called back almost at once.
    complaint_lead_minutes: int = 5
    simple_question_minutes: int = 10
    many_people: int = 5
    many_people_working_days: int = 2
    new_work_minutes: int = 60
    estimate_working_days: int = 5
    # How far ahead free slots are looked for.
    search_days: int = 21

    def __post_init__(self) -> None:
        positive = ("call_max_minutes", "agenda_horizon_days", "default_meeting_minutes", "many_people")
        for name in positive + ("new_work_minutes", "search_days"):
            if getattr(self, name) <= 0:
                raise TriageError(f"{name} must be positive")
        not_negative = ("agenda_lead_hours", "urgent_hours", "call_lead_minutes", "complaint_lead_minutes")
        for name in not_negative + (
            "simple_question_minutes",
            "many_people_working_days",
            "estimate_working_days",
        ):
            if getattr(self, name) < 0:
                raise TriageError(f"{name} must not be negative")
        if self.workday_end <= self.workday_start or self.extended_end <= self.extended_start:
            raise TriageError("the working day must end after it starts")
        if self.lunch is not None and self.lunch[1] <= self.lunch[0]:
            raise TriageError("the lunch hour must end after it starts")
        # Fails loudly here rather than in the middle of a decision.
        ZoneInfo(self.zone)

    @property
    def tz(self) -> ZoneInfo:
        """The engagement's zone."""
        return ZoneInfo(self.zone)


def lunch_for(country: str | None) -> tuple[time, time] | None:
    """The default lunch hour kept free of calls: 12:00–13:00 in Japan, none elsewhere."""
    return (time(12), time(13)) if country == "JP" else None


@dataclass(frozen=True)
class RequestInfo:
    """What the client asked for; `needed_by` is an aware datetime or None."""

    topic: str
    details: str = ""
    reasons: tuple[str, ...] = ()
    needed_by: datetime | None = None
    expected_minutes: int = 15
    people: int = 1
    preferred_format: str | None = None
    contact_channel: str | None = None
    # When the contact takes calls, if they told us: wall-clock in `contact_zone` (None: the engagement's).
    call_hours: tuple[time, time] | None = None
    contact_zone: str | None = None
    contact_id: int | None = None
    # The request's own id, so that a meeting made for it is not "another request's".
    request_id: int | None = None


@dataclass(frozen=True)
class MeetingInfo:
    """A scheduled meeting as the policy sees it; `starts_at` is aware."""

    id: int
    title: str
    purpose: str
    kind: str
    starts_at: datetime
    duration_minutes: int
    agenda_minutes: int = 0
    agenda_titles: tuple[str, ...] = ()
    cancelled: bool = False
    internal: bool = False
    # The request a call or meeting was made (by triage or booking) for, if any.
    for_request: int | None = None
    contact_ids: frozenset[int] = frozenset()
    # Where it is, for the reply (the policy does not read these).
    location: str = ""
    conference_url: str = ""
    # Computed once here: slot finding compares every meeting's end many times per decision.
    ends_at: datetime = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ends_at", self.starts_at + timedelta(minutes=self.duration_minutes))

    @property
    def free_minutes(self) -> int:
        """Minutes of the meeting not yet taken by its agenda."""
        return self.duration_minutes - self.agenda_minutes


@dataclass(frozen=True)
class Slot:
    """A proposed time, aware, end exclusive."""

    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Note:
    """One fact that counted in a decision: a code and its parameters (ids, minutes, times)."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """The outcome of triage: the rule that fired, its parameters and the facts that counted."""

    outcome: str
    rule: str
    reasons: tuple[str, ...] = ()
    # The reasons that made this rule apply.
    counted: tuple[str, ...] = ()
    format: str | None = None
    meeting_id: int | None = None
    slots: tuple[Slot, ...] = ()
    minutes: int = 0
    minutes_saved: int = 0
    notes: tuple[Note, ...] = ()
    candidates: tuple[int, ...] = ()
    # Promises the reply makes: when a written answer, a report or an estimate is due (engagement's zone).
    answer_by: date | None = None
    report_by: datetime | None = None
    estimate_by: date | None = None
    # Who caused a problem, as the request tells: "ours", "theirs" or "unknown".
    cause: str | None = None

    @property
    def proposed_at(self) -> datetime | None:
        """The preferred slot's start, if the outcome has slots."""
        return self.slots[0].starts_at if self.slots else None

    @property
    def proposed_call_at(self) -> datetime | None:
        """The preferred call slot when the outcome is a call."""
        return self.proposed_at if self.outcome == "call" else None

    def note(self, code: str) -> Note | None:
        """The note with this code, if the decision has one."""
        return next((n for n in self.notes if n.code == code), None)


def _iso(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, tuple | list | frozenset | set):
        return [_iso(v) for v in value]
    return value


def decision_data(decision: Decision) -> dict[str, Any]:
    """A decision as JSON-ready data: what is stored, and what explanations are written from."""
    return {
        "outcome": decision.outcome,
        "rule": decision.rule,
        "reasons": list(decision.reasons),
        "counted": list(decision.counted),
        "format": decision.format,
        "meeting_id": decision.meeting_id,
        "minutes": decision.minutes,
        "minutes_saved": decision.minutes_saved,
        "candidates": list(decision.candidates),
        "slots": [{"starts_at": _iso(s.starts_at), "ends_at": _iso(s.ends_at)} for s in decision.slots],
        "notes": [
            {"code": n.code, "params": {k: _iso(v) for k, v in n.params.items()}} for n in decision.notes
        ],
        "answer_by": _iso(decision.answer_by),
        "report_by": _iso(decision.report_by),
        "estimate_by": _iso(decision.estimate_by),
        "cause": decision.cause,
    }
