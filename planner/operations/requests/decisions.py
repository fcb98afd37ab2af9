"""Triage, override and apply: a decision stored as data, put on the schedule, its promises kept."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from flask_babel import lazy_gettext as _l

from planner.extensions import db
from planner.models import Contact, Meeting, User
from planner.models.commitments import Commitment
from planner.models.requests import MeetingRequest
from planner.operations.commitments import create_commitment
from planner.operations.requests.booking import booking_url, new_booking_link
from planner.operations.requests.common import RequestError, record_event
from planner.operations.requests.context import (
    busy_for,
    meeting_infos,
    meeting_of,
    request_info,
    triage_settings,
)
from planner.operations.requests.replies import answer_by_day, answers_with_status, redraft
from planner.operations.schedule import add_agenda_item
from planner.purpose import is_vague
from planner.replies.requests import (
    MeetingRef,
    reply_language,
)
from planner.triage import (
    OUTCOMES,
    Decision,
    Note,
    Slot,
    answer_day,
    decide,
    decision_data,
    slots_for,
)
from planner.workdays import local_datetime

log = logging.getLogger(__name__)


def _promise_answer(req: MeetingRequest, *, actor: User | None, now: datetime) -> Commitment | None:
    """The answer the drafted reply promises, as our commitment: due at the close of the promised day.

    That day is counted from when the reply was drafted, not from now: applied days later, the promise is
    due (or late) when the client was told. Written in the reply's language, since a status summary to the
    client lists open commitments.
    """
    if answers_with_status(req):
        return None
    engagement = req.engagement
    language = reply_language(req.contact.language if req.contact else None, engagement.language)
    topic = req.topic[:250]
    title = f"メールで回答：{topic}" if language == "ja" else f"Answer by mail: {topic}"
    closes = triage_settings(engagement).workday_end
    promised = answer_by_day(req, engagement, req.reply_drafted_at or now)
    due = local_datetime(promised, closes, engagement.timezone)
    data = {
        "title": title,
        "details": req.details or "",
        "owed_by": "us",
        "owner_user_id": actor.id if actor else None,
        "contact_id": req.contact_id,
        "due_at": due.astimezone(UTC),
        "request_id": req.id,
    }
    return create_commitment(engagement, data, actor=actor, now=now)


def _promise_followup(req: MeetingRequest, *, actor: User | None, now: datetime) -> Commitment | None:
    """What a complaint's or new work's reply promises: the next report, or the scope and estimate."""
    data = req.decision or {}
    engagement = req.engagement
    language = reply_language(req.contact.language if req.contact else None, engagement.language)
    topic = req.topic[:240]
    if data.get("report_by") and "problem_or_complaint" in (req.reasons or []):
        title = f"状況のご報告：{topic}" if language == "ja" else f"Report where things stand: {topic}"
        due = datetime.fromisoformat(data["report_by"])
    elif data.get("estimate_by") and "new_work_request" in (req.reasons or []):
        title = f"範囲と見積の送付：{topic}" if language == "ja" else f"Send the scope and estimate: {topic}"
        closes = triage_settings(engagement).workday_end
        due = local_datetime(date.fromisoformat(data["estimate_by"]), closes, engagement.timezone)
    else:
        return None
    values = {
        "title": title,
        "details": req.details or "",
        "owed_by": "us",
        "owner_user_id": actor.id if actor else None,
        "contact_id": req.contact_id,
        "due_at": due.astimezone(UTC),
        "request_id": req.id,
    }
    return create_commitment(engagement, values, actor=actor, now=now)


def _store_decision(req: MeetingRequest, decision: Decision) -> None:
    req.rule = decision.rule
    req.decided_outcome = decision.outcome
    req.outcome = decision.outcome
    store_slots(req, decision)
    req.meeting_id = decision.meeting_id


def store_slots(req: MeetingRequest, decision: Decision, *, keep: dict | None = None) -> None:
    """The decision's data, slots and format on the request (also for an outcome a member chose).

    `keep`: a decision already stored whose rule and reasons stand; only its times are new.
    """
    data = decision_data(decision)
    if keep:
        data = dict(keep) | {"slots": data["slots"], "notes": data["notes"]}
    req.decision = data
    req.format = decision.format
    req.proposed_slots = data["slots"]
    req.proposed_call_at = decision.proposed_at if decision.outcome == "call" else None
    req.proposed_meeting_at = decision.proposed_at if decision.outcome == "meeting" else None
    req.proposed_minutes = decision.minutes
    req.minutes_saved = decision.minutes_saved
    if decision.slots:
        new_booking_link(req)


def _with_calendar_failures(decision: Decision, failed: list[str]) -> Decision:
    """A personal calendar that could not be read is named in the explanation, never silently ignored."""
    if not failed or not decision.slots:
        return decision
    return replace(decision, notes=decision.notes + (Note("calendar_failed", {"servers": failed}),))


def triage_request(req: MeetingRequest, *, now: datetime, actor: User | None = None) -> Decision | None:
    """Decide the request's outcome and draft the reply; on any fault record an error and return None.

    The request itself is already saved; a fault here only leaves it as `failed_triage`, visible to
    the team with the error in its history.
    """
    if req.applied_at is not None:
        raise RequestError(_l("This request has already been applied; override is no longer possible."))
    engagement = req.engagement
    try:
        settings = triage_settings(engagement)
        info = request_info(req)
        meetings = meeting_infos(engagement, now=now, until=req.needed_by)
        busy, failed = busy_for(req, settings, now=now)
        decision = _with_calendar_failures(decide(info, meetings, settings, now=now, busy=busy), failed)
        _store_decision(req, decision)
        req.overridden_by_id = None
        chosen = next((m for m in meetings if m.id == decision.meeting_id), None)
        ref = (
            MeetingRef(
                chosen.title,
                "" if is_vague(chosen.purpose) else chosen.purpose,
                chosen.starts_at,
                chosen.duration_minutes,
                location=chosen.location,
                conference_url=chosen.conference_url,
            )
            if chosen
            else None
        )
        redraft(req, now=now, sender=actor, meeting=ref, booking_url=booking_url(req))
    except Exception as error:  # a fault in the policy must never lose the request
        log.warning("triage of request %s failed: %s", req.id or "(new)", error)
        req.status = "failed_triage"
        req.outcome = req.rule = req.decided_outcome = req.meeting_id = None
        message = f"{type(error).__name__}: {error}"
        record_event(req, "error", {"code": "triage_failed", "message": message}, actor=actor, now=now)
        return None
    req.status = "triaged"
    record_event(req, "triaged", {"rule": decision.rule, "outcome": decision.outcome}, actor=actor, now=now)
    return decision


def override(
    req: MeetingRequest,
    *,
    outcome: str,
    actor: User,
    now: datetime,
    meeting_id: int | None = None,
    starts_at: datetime | None = None,
    minutes: int | None = None,
    place: str = "",
    attendee_id: int | None = None,
) -> None:
    """Replace the decision's outcome before it is applied: for an agenda item the meeting; for a call or
    meeting, optionally the time (then it is the one time offered), its length, place and client attendee."""
    if req.applied_at is not None:
        raise RequestError(_l("This request has already been applied; override is no longer possible."))
    if outcome not in OUTCOMES:
        raise RequestError(_l("Unknown outcome: %(outcome)s", outcome=outcome))
    engagement = req.engagement
    settings = triage_settings(engagement)
    previous = {"from": req.outcome, "from_meeting": req.meeting_id if req.outcome == "agenda_item" else None}
    req.meeting_id = None
    req.proposed_call_at = req.proposed_meeting_at = None
    req.proposed_slots, req.format = [], None
    if outcome == "agenda_item":
        meeting = db.session.get(Meeting, meeting_id) if meeting_id else None
        if meeting is None or meeting.engagement_id != engagement.id:
            raise RequestError(_l("Choose a meeting of this engagement for the agenda item."))
        if meeting.is_cancelled or meeting.starts_at <= now:
            raise RequestError(_l("The meeting must be upcoming and not cancelled."))
        req.meeting_id = meeting.id
        req.proposed_minutes = req.expected_minutes
        req.minutes_saved = max(0, settings.default_meeting_minutes - req.expected_minutes)
        req.decision = {"outcome": outcome, "rule": "override", "meeting_id": meeting.id, "notes": []}
    elif outcome in ("call", "meeting"):
        attendee = db.session.get(Contact, attendee_id) if attendee_id else None
        if attendee_id and (attendee is None or attendee.engagement_id != engagement.id):
            raise RequestError(_l("That contact does not belong to this engagement."))
        if starts_at is not None:
            if starts_at <= now:
                raise RequestError(_l("Choose a time that is still to come."))
            length = minutes or max(req.expected_minutes, 10 if outcome == "call" else 30)
            chosen = Slot(starts_at, starts_at + timedelta(minutes=length))
            fmt = "phone" if outcome == "call" else "video"
            decision = Decision(outcome, "override", slots=(chosen,), minutes=length, format=fmt)
        else:
            busy, failed = busy_for(req, settings, now=now)
            if busy is None:
                busy = [(m.starts_at, m.ends_at) for m in meeting_infos(engagement, now=now)]
            decision = slots_for(outcome, request_info(req), settings, now=now, busy=busy)
            decision = _with_calendar_failures(decision, failed)
        store_slots(req, decision)
        extra = {"place": place.strip()[:300]} if place.strip() else {}
        if attendee_id:
            extra["attendee_id"] = attendee_id
        req.decision = dict(req.decision or {}) | extra
    else:
        req.proposed_minutes = 0
        req.minutes_saved = settings.default_meeting_minutes
        answer_by = answer_day(now, settings)
        req.decision = {"outcome": outcome, "rule": "override", "answer_by": answer_by.isoformat()}
    req.outcome = outcome
    req.overridden_by_id = actor.id
    if req.status in ("received", "failed_triage"):
        req.status = "triaged"
    redraft(req, now=now, sender=actor, booking_url=booking_url(req))
    chosen = {"to": outcome, "to_meeting": req.meeting_id if outcome == "agenda_item" else None}
    record_event(req, "overridden", previous | chosen, actor=actor, now=now)


def apply_decision(req: MeetingRequest, *, actor: User | None, now: datetime) -> Meeting | None:
    """Act on the decision: an agenda item added, times offered for a call or meeting, a promise kept.

    Returns the meeting that received the agenda item (None otherwise).
    """
    if req.applied_at is not None:
        raise RequestError(_l("This request has already been applied."))
    if req.outcome is None:
        raise RequestError(_l("This request has no decision yet; triage it or choose an outcome first."))
    meeting: Meeting | None = None
    if req.outcome == "agenda_item":
        meeting = meeting_of(req)
        if meeting is None or meeting.is_cancelled:
            raise RequestError(_l("The chosen meeting is gone or cancelled; choose another one."))
        if meeting.starts_at <= now:
            raise RequestError(_l("The chosen meeting has already started; choose another one."))
        notes = "\n".join(part for part in (req.details, f"({req.who})" if req.who else "") if part)
        item = add_agenda_item(
            meeting, title=req.topic[:300], minutes=req.expected_minutes, notes=notes, now=now
        )
        db.session.flush()
        req.agenda_item_id = item.id
        detail = {"outcome": "agenda_item", "meeting_id": meeting.id, "meeting_title": meeting.title}
    elif req.outcome in ("call", "meeting"):
        # Nothing goes on anybody's schedule before the client agrees: the times stay offered (and busy for
        # other requests) until one is picked, which makes the meeting.
        if not req.proposed_slots:
            raise RequestError(_l("No time is proposed; choose the outcome again to get one."))
        if all(datetime.fromisoformat(slot["starts_at"]) <= now for slot in req.proposed_slots):
            raise RequestError(
                _l("The proposed times have passed; choose the outcome again to get new ones.")
            )
        detail = {"outcome": req.outcome, "slots": len(req.proposed_slots)}
        _promise_followup(req, actor=actor, now=now)
    else:
        promised = _promise_answer(req, actor=actor, now=now)
        detail = {"outcome": "email", "commitment": promised is not None}
    req.applied_at = now
    if req.status != "replied":
        req.status = "applied"
    record_event(req, "applied", detail, actor=actor, now=now)
    return meeting
