"""The ten rules, tried in order; the first that applies decides. Codes and parameters, no sentences."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from planner.purpose import is_vague
from planner.triage.match import MATCH_THRESHOLD, match_score, shared_words, tokens
from planner.triage.model import (
    CALL_CHANNELS,
    CONVERSATION_REASONS,
    FORMATS,
    REASONS,
    TALK_REASONS,
    Decision,
    MeetingInfo,
    Note,
    RequestInfo,
    TriageError,
    TriageSettings,
)
from planner.triage.slots import Interval, pick_slots, window_for, working_days_ahead
from planner.workdays import local_datetime, next_working_day

# A problem the client's own side caused (a wrong operation, a deleted file) rather than our work.
_THEIR_CAUSE = re.compile(
    r"誤って|間違えて|操作ミス|うっかり|削除してしまい|消してしまい|弊社側|当社側|"
    r"\b(?:by mistake|accidentally|our mistake|we deleted|i deleted|on our side|our side)\b",
    re.IGNORECASE,
)
_OUR_CAUSE = re.compile(
    r"障害|不具合|バグ|エラー|誤印字|誤表示|誤送信|誤配|できない|できません|落ちて|止まって|遅延|漏れ|誤り|間違い|届かない|表示されない|"
    r"\b(?:bug|error|fail|failed|fails|failing|down|outage|cannot|can't|broken|wrong|missing|crash)",
    re.IGNORECASE,
)
# A complaint's next report: by this time today when there is time to act, else by noon the next day.
REPORT_AT, REPORT_CUTOFF, REPORT_NEXT_DAY = time(17), time(16), time(12)
# A simple question asked before this is answered the same day.
SAME_DAY_CUTOFF = time(15)


def cause_of(request: RequestInfo) -> str:
    """Who caused a problem, as the request tells: "theirs", "ours" or "unknown"."""
    text = unicodedata.normalize("NFKC", f"{request.topic}\n{request.details}")
    if _THEIR_CAUSE.search(text):
        return "theirs"
    if _OUR_CAUSE.search(text):
        return "ours"
    return "unknown"


def answer_day(now: datetime, settings: TriageSettings, *, same_day: bool = False) -> date:
    """The day a written answer is promised: the next working day, or with `same_day` (a simple question)
    today when asked before 15:00 on a working day."""
    local = now.astimezone(settings.tz)
    today = local.date()
    working = next_working_day(today, settings.country, include_today=True) == today
    if same_day and working and local.time() < SAME_DAY_CUTOFF:
        return today
    return next_working_day(today, settings.country)


def report_time(now: datetime, settings: TriageSettings) -> datetime:
    """When a complaint's next report is due: 17:00 today, or noon the next working day when it is late."""
    local = now.astimezone(settings.tz)
    today = local.date()
    if (
        local.time() < REPORT_CUTOFF
        and next_working_day(today, settings.country, include_today=True) == today
    ):
        return local_datetime(today, REPORT_AT, settings.zone).astimezone(UTC)
    day = next_working_day(today, settings.country)
    return local_datetime(day, REPORT_NEXT_DAY, settings.zone).astimezone(UTC)


def meeting_minutes(request: RequestInfo) -> int:
    """A dedicated meeting's length: the expected length in quarter hours, at least 30."""
    return max(30, -(-request.expected_minutes // 15) * 15)


def call_minutes(request: RequestInfo, settings: TriageSettings) -> int:
    """A call's length: what was asked, at least 10 minutes and never beyond the call maximum."""
    return min(settings.call_max_minutes, max(10, request.expected_minutes))


def _format(request: RequestInfo, default: str) -> str:
    fmt = request.preferred_format
    return fmt if fmt in FORMATS else default


def is_home(meeting: MeetingInfo, request: RequestInfo, settings: TriageSettings, now: datetime) -> bool:
    """A planned meeting that can really take the request as an agenda item (minutes aside)."""
    return bool(homes(request, (meeting,), settings, now=now))


def homes(
    request: RequestInfo, meetings: Sequence[MeetingInfo], settings: TriageSettings, *, now: datetime
) -> list[MeetingInfo]:
    """The meetings that could host the request, earliest first.

    A home is not cancelled or internal, has a purpose that says something, was not made for another
    request, starts at least the lead hours ahead and ends by the needed-by time (or starts within the
    horizon), and the contact attends it or it is a client status meeting.
    """
    earliest = now + timedelta(hours=settings.agenda_lead_hours)
    latest = now + timedelta(days=settings.agenda_horizon_days)
    needed_by, contact, own = request.needed_by, request.contact_id, request.request_id
    found = []
    # The cheap tests first: most of a year's schedule is out of the window.
    for m in meetings:
        if m.starts_at < earliest:
            continue
        if needed_by is not None:
            if m.ends_at > needed_by:
                continue
        elif m.starts_at > latest:
            continue
        if m.cancelled or m.internal or (m.for_request is not None and m.for_request != own):
            continue
        if not (contact in m.contact_ids or (m.kind == "status" and m.contact_ids)):
            continue
        if not _vague(m.purpose):
            found.append(m)
    found.sort(key=lambda m: (m.starts_at, m.id))
    return found


@lru_cache(maxsize=4096)
def _vague(purpose: str) -> bool:
    return is_vague(purpose)


def _busy_of(meetings: Sequence[MeetingInfo]) -> list[Interval]:
    return [(m.starts_at, m.ends_at) for m in meetings if not m.cancelled]


class _Rules:
    """One decision's working state: the request, the settings, the clock and what is busy."""

    def __init__(
        self,
        request: RequestInfo,
        meetings: Sequence[MeetingInfo],
        settings: TriageSettings,
        now: datetime,
        busy: Sequence[Interval] | None,
    ) -> None:
        self.request, self.meetings, self.settings, self.now = request, meetings, settings, now
        self.busy = list(busy) if busy is not None else _busy_of(meetings)
        self.notes: list[Note] = []

    def saved(self, spent: int) -> int:
        return max(0, self.settings.default_meeting_minutes - spent)

    def decision(self, outcome: str, rule: str, counted: Sequence[str] = (), **values) -> Decision:
        return Decision(
            outcome,
            rule,
            reasons=self.request.reasons,
            counted=tuple(counted),
            notes=tuple(self.notes) + tuple(values.pop("notes", ())),
            **values,
        )

    def slots(self, minutes: int, *, not_before: datetime, spread: timedelta, grid: int):
        """Slots and the notes that say how they were found."""
        req, settings = self.request, self.settings
        window = window_for(settings, req.call_hours, req.contact_zone)
        slots, in_time = pick_slots(
            minutes,
            self.busy,
            settings,
            window,
            not_before=not_before,
            needed_by=req.needed_by,
            spread=spread,
            grid=grid,
        )
        notes = []
        if window.theirs:
            notes.append(
                Note("their_hours", {"zone": window.zone, "from": window.hours[0], "until": window.hours[1]})
            )
        if req.needed_by is not None and in_time < len(slots):
            notes.append(Note("after_needed_by", {"needed_by": req.needed_by, "in_time": in_time}))
        if not slots:
            notes.append(Note("no_slot", {"days": settings.search_days}))
        return slots, notes

    def call(
        self, rule: str, counted: Sequence[str], fmt: str, *, complaint: bool = False, **values
    ) -> Decision:
        minutes = call_minutes(self.request, self.settings)
        lead = self.settings.complaint_lead_minutes if complaint else self.settings.call_lead_minutes
        slots, notes = self.slots(
            minutes,
            not_before=self.now + timedelta(minutes=lead),
            spread=timedelta(minutes=30 if complaint else 120),
            grid=15,
        )
        return self.decision(
            "call",
            rule,
            counted,
            format=fmt,
            slots=slots,
            minutes=minutes,
            minutes_saved=self.saved(minutes),
            notes=notes,
            **values,
        )

    def meeting(
        self, rule: str, counted: Sequence[str], fmt: str, minutes: int, *, not_before: datetime, **values
    ) -> Decision:
        slots, notes = self.slots(minutes, not_before=not_before, spread=timedelta(hours=18), grid=30)
        return self.decision(
            "meeting", rule, counted, format=fmt, slots=slots, minutes=minutes, notes=notes, **values
        )

    def prepared_meeting_start(self) -> datetime:
        """A meeting leaves a day to prepare; five or more people need the agreed working days ahead."""
        days = 1
        if self.request.people >= self.settings.many_people:
            days = max(1, self.settings.many_people_working_days)
        return working_days_ahead(self.now, days, self.settings)

    # --- the rules in order ---------------------------------------------------------------------------

    def r1_complaint(self) -> Decision | None:
        req, settings = self.request, self.settings
        if "problem_or_complaint" not in req.reasons:
            return None
        values = {"cause": cause_of(req), "report_by": report_time(self.now, settings)}
        if req.people >= settings.many_people:
            self.notes.append(Note("people", {"people": req.people, "threshold": settings.many_people}))
            minutes = meeting_minutes(req)
            return self.meeting(
                "R1",
                ["problem_or_complaint"],
                _format(req, "video"),
                minutes,
                not_before=self.now + timedelta(hours=2),
                **values,
            )
        if req.expected_minutes > settings.call_max_minutes:
            self.notes.append(Note("longer_agreed_on_call", {"asked": req.expected_minutes}))
        return self.call("R1", ["problem_or_complaint"], self._call_format(), complaint=True, **values)

    def r2_status(self) -> Decision | None:
        if set(self.request.reasons) != {"status_update"}:
            return None
        return self.decision(
            "email",
            "R2",
            ["status_update"],
            minutes_saved=self.saved(0),
            answer_by=self.now.astimezone(self.settings.tz).date(),
        )

    def r3_new_work(self) -> Decision | None:
        req, settings = self.request, self.settings
        if "new_work_request" not in req.reasons:
            return None
        asked = req.expected_minutes > settings.simple_question_minutes
        minutes = meeting_minutes(req) if asked else settings.new_work_minutes
        estimate = working_days_ahead(self.now, settings.estimate_working_days, settings)
        return self.meeting(
            "R3",
            ["new_work_request"],
            _format(req, "video"),
            minutes,
            not_before=self.prepared_meeting_start(),
            estimate_by=estimate.astimezone(settings.tz).date(),
        )

    def r4_many_people(self) -> Decision | None:
        req, settings = self.request, self.settings
        if req.people < settings.many_people:
            return None
        self.notes.append(Note("people", {"people": req.people, "threshold": settings.many_people}))
        return self.meeting(
            "R4", [], _format(req, "video"), meeting_minutes(req), not_before=self.prepared_meeting_start()
        )

    def r5_simple_question(self) -> Decision | None:
        req, settings = self.request, self.settings
        if req.expected_minutes > settings.simple_question_minutes:
            return None
        if set(req.reasons) & CONVERSATION_REASONS:
            return None
        answer_by = answer_day(self.now, settings, same_day=True)
        return self.decision("email", "R5", [], minutes_saved=self.saved(0), answer_by=answer_by)

    def r6_agenda_home(self) -> Decision | None:
        req, settings = self.request, self.settings
        found = homes(req, self.meetings, settings, now=self.now)
        if not found:
            return None
        topic, details = tokens(req.topic), tokens(req.details) if req.details else frozenset()
        best, best_score = None, 0.0
        for meeting in found:
            score = match_score(topic, details, meeting)
            if score > best_score:
                best, best_score = meeting, score
        counted = [r for r in req.reasons if r in TALK_REASONS]
        if best is not None and best_score >= MATCH_THRESHOLD:
            if best.free_minutes < req.expected_minutes:
                self.notes.append(
                    Note(
                        "home_full",
                        {"meeting_id": best.id, "free": best.free_minutes, "needed": req.expected_minutes},
                    )
                )
                return None
            note = Note(
                "topic_match", {"meeting_id": best.id, "words": shared_words(req.topic, req.details, best)}
            )
            return self._agenda(best, counted, note, found)
        status = [m for m in found if m.kind == "status" and m.free_minutes >= req.expected_minutes]
        if not status:
            return None
        note = Note("status_home", {"meeting_id": status[0].id})
        return self._agenda(status[0], counted, note, found)

    def _agenda(self, meeting: MeetingInfo, counted, note: Note, found) -> Decision:
        return self.decision(
            "agenda_item",
            "R6",
            counted,
            meeting_id=meeting.id,
            minutes=self.request.expected_minutes,
            minutes_saved=self.saved(self.request.expected_minutes),
            notes=[note],
            candidates=tuple(m.id for m in found),
        )

    def r7_urgent(self) -> Decision | None:
        req, settings = self.request, self.settings
        if req.needed_by is None or req.expected_minutes > settings.call_max_minutes:
            return None
        if req.needed_by - self.now >= timedelta(hours=settings.urgent_hours):
            return None
        self.notes.append(Note("urgent", {"needed_by": req.needed_by, "hours": settings.urgent_hours}))
        return self.call("R7", [r for r in req.reasons if r == "deadline_pressure"], self._call_format())

    def r8_long(self) -> Decision | None:
        req, settings = self.request, self.settings
        if req.expected_minutes <= settings.call_max_minutes:
            return None
        self.notes.append(
            Note("longer_than_call", {"minutes": req.expected_minutes, "limit": settings.call_max_minutes})
        )
        counted = [r for r in req.reasons if r in TALK_REASONS]
        return self.meeting(
            "R8",
            counted,
            _format(req, "video"),
            meeting_minutes(req),
            not_before=self.prepared_meeting_start(),
        )

    def _call_format(self) -> str:
        """Video when they want to see a face, review materials or said they prefer it; else phone."""
        req = self.request
        stated = req.preferred_format if req.preferred_format in FORMATS else None
        if set(req.reasons) & {"wants_face_to_face", "review_materials"}:
            return "video"
        return "video" if (stated or req.contact_channel) in ("video", "in_person") else "phone"

    def r9_talk(self) -> Decision | None:
        counted = [r for r in self.request.reasons if r in TALK_REASONS]
        if not counted:
            return None
        return self.call("R9", counted, self._call_format())

    def r10_channel(self) -> Decision:
        req = self.request
        stated = req.preferred_format if req.preferred_format not in (None, "", "any") else None
        channel = (stated or req.contact_channel or "").lower()
        self.notes.append(Note("channel", {"channel": channel or None, "stated": stated is not None}))
        if channel in CALL_CHANNELS:
            return self.call("R10", [], "video" if channel in ("video", "in_person") else "phone")
        return self.decision(
            "email", "R10", [], minutes_saved=self.saved(0), answer_by=answer_day(self.now, self.settings)
        )


def decide(
    request: RequestInfo,
    meetings: Sequence[MeetingInfo],
    settings: TriageSettings,
    *,
    now: datetime,
    busy: Sequence[Interval] | None = None,
) -> Decision:
    """Apply the rules in order; the first that applies decides.

    `meetings` are the engagement's planned meetings (agenda homes); `busy` the answering member's busy
    times across all their engagements and calendars, and the slots still offered to other requests
    (default: the engagement's meetings).
    """
    if now.tzinfo is None:
        raise TriageError("now must be an aware datetime")
    if request.needed_by is not None and request.needed_by.tzinfo is None:
        raise TriageError("needed_by must be an aware datetime")
    if request.expected_minutes <= 0 or request.people <= 0:
        raise TriageError("expected length and people must be positive")
    unknown = set(request.reasons) - set(REASONS)
    if unknown:
        raise TriageError(f"unknown reasons: {', '.join(sorted(unknown))}")
    rules = _Rules(request, meetings, settings, now, busy)
    for rule in (
        rules.r1_complaint,
        rules.r2_status,
        rules.r3_new_work,
        rules.r4_many_people,
        rules.r5_simple_question,
        rules.r6_agenda_home,
        rules.r7_urgent,
        rules.r8_long,
        rules.r9_talk,
    ):
        decision = rule()
        if decision is not None:
            return decision
    return rules.r10_channel()


def slots_for(
    outcome: str,
    request: RequestInfo,
    settings: TriageSettings,
    *,
    now: datetime,
    busy: Sequence[Interval],
) -> Decision:
    """Slots for an outcome a member chose over the policy's (a call or a meeting), as a decision."""
    rules = _Rules(request, (), settings, now, busy)
    if outcome == "call":
        return rules.call("override", [], rules._call_format())
    return rules.meeting(
        "override",
        [],
        _format(request, "video"),
        meeting_minutes(request),
        not_before=rules.prepared_meeting_start(),
    )
