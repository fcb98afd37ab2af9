"""Commitments and meeting outcomes: every change keeps its history; callers commit once."""

from __future__ import annotations

import importlib
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select

from planner.commitments import STATUSES, needs_attention, order_commitments
from planner.extensions import db
from planner.models import AgendaItem, Engagement, Meeting, User
from planner.models.commitments import Commitment, CommitmentEvent, MeetingOutcome
from planner.operations.schedule import add_agenda_item, update_meeting

# What a person can edit on a commitment; status changes go through `set_status`.
FIELDS = (
    "title",
    "details",
    "owed_by",
    "owner_user_id",
    "contact_id",
    "due_at",
    "meeting_id",
    "request_id",
    "promised_amount",
    "revised_amount",
    "amount_unit",
    "revised_due_at",
    "reason",
)
TEXT_FIELDS = ("details", "amount_unit", "reason")


def _plain(value: Any) -> Any:
    """A JSON-safe copy of a column value for the history."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _snapshot(commitment: Commitment, keys) -> dict:
    return {key: _plain(getattr(commitment, key)) for key in keys}


def _event(commitment: Commitment, kind: str, before: dict | None, after: dict | None, actor, now) -> None:
    commitment.events.append(
        CommitmentEvent(
            kind=kind, before=before, after=after, actor_id=actor.id if actor else None, created_at=now
        )
    )


def request_in_engagement(engagement: Engagement, request_id: int) -> bool:
    """True when the request exists in this engagement (the triage feature owns that table)."""
    try:
        model = importlib.import_module("planner.models.requests").MeetingRequest
    except (ImportError, AttributeError):
        return False
    found = db.session.get(model, request_id)
    return found is not None and found.engagement_id == engagement.id


def create_commitment(engagement: Engagement, data: dict, *, actor: User | None, now: datetime) -> Commitment:
    """A new open commitment; its first history entry holds everything that was typed."""
    values = {k: data[k] for k in FIELDS if data.get(k) is not None}
    for key in TEXT_FIELDS:
        values.setdefault(key, "")
    commitment = Commitment(engagement=engagement, status="open", created_at=now, updated_at=now, **values)
    db.session.add(commitment)
    _event(commitment, "created", None, _snapshot(commitment, sorted(values)), actor, now)
    return commitment


def update_commitment(commitment: Commitment, data: dict, *, actor: User | None, now: datetime) -> bool:
    """Apply edits; the values before and after are kept in the history. False when nothing changed."""
    changed = [k for k in FIELDS if k in data and getattr(commitment, k) != data[k]]
    changed = [
        k for k in changed if not (k in TEXT_FIELDS and data[k] is None and getattr(commitment, k) == "")
    ]
    if not changed:
        return False
    before = _snapshot(commitment, changed)
    for key in changed:
        value = data[key]
        setattr(commitment, key, "" if value is None and key in TEXT_FIELDS else value)
    commitment.updated_at = now
    _event(commitment, "edited", before, _snapshot(commitment, changed), actor, now)
    return True


def set_status(commitment: Commitment, status: str, *, actor: User | None, now: datetime) -> bool:
    """Close (done, dropped), reopen (open) or flag (at_risk) a commitment; late is only ever computed."""
    if status not in STATUSES or status == "late":
        raise ValueError(status)
    keys = ("status", "marked_at_risk", "done_at")
    before = _snapshot(commitment, keys)
    commitment.status = status
    commitment.marked_at_risk = status == "at_risk"
    if status == "done":
        commitment.done_at = commitment.done_at or now
    else:
        commitment.done_at = None
    after = _snapshot(commitment, keys)
    if after == before:
        return False
    commitment.updated_at = now
    _event(commitment, "status", before, after, actor, now)
    return True


def mark_at_risk(
    commitment: Commitment,
    *,
    reason: str,
    revised_due_at: datetime | None,
    actor: User | None,
    now: datetime,
) -> None:
    """The owner knows it will slip: flag it, with the reason and the new date, so the client can be told."""
    update_commitment(commitment, {"reason": reason, "revised_due_at": revised_due_at}, actor=actor, now=now)
    set_status(commitment, "at_risk", actor=actor, now=now)


def record_client_told(commitment: Commitment, *, how: str = "", actor: User | None, now: datetime) -> None:
    """Remember when the client was told about a delay or a revised estimate."""
    before = _snapshot(commitment, ("client_told_at",))
    commitment.client_told_at = now
    commitment.updated_at = now
    _event(commitment, "client_told", before, {"client_told_at": now.isoformat(), "how": how}, actor, now)


def engagement_commitments(engagement: Engagement, *, now: datetime, include_closed: bool = True) -> list:
    """The engagement's commitments, each paired with its current status, ours first and late first."""
    rows = db.session.scalars(select(Commitment).where(Commitment.engagement_id == engagement.id)).all()
    status = {c.id: c.current_status(now) for c in rows}
    if not include_closed:
        rows = [c for c in rows if status[c.id] not in ("done", "dropped")]
    return [(c, status[c.id]) for c in order_commitments(rows, status=lambda c: status[c.id])]


def attention(engagement: Engagement, *, now: datetime) -> list:
    """What is late or at risk, for the top of the engagement page and the digest."""
    return [(c, s) for c, s in engagement_commitments(engagement, now=now) if needs_attention(s)]


def outcome_share(engagement: Engagement) -> tuple[int, int, int]:
    """(reached, partly, recorded) over the engagement's held meetings with a recorded outcome."""
    rows = db.session.scalars(
        select(MeetingOutcome.reached).join(Meeting).where(Meeting.engagement_id == engagement.id)
    ).all()
    return rows.count("yes"), rows.count("partly"), len(rows)


def held_meeting_count(engagement: Engagement, *, now: datetime) -> int:
    """Meetings that took place: marked held, or started and not cancelled."""
    took_place = or_(Meeting.status == "held", and_(Meeting.status != "cancelled", Meeting.starts_at <= now))
    return db.session.scalar(
        select(func.count(Meeting.id)).where(Meeting.engagement_id == engagement.id, took_place)
    )


def can_record_outcome(meeting: Meeting, *, now: datetime) -> bool:
    """An outcome is recorded once the meeting has started or is held, never for a cancelled one."""
    return meeting.status == "held" or (meeting.status != "cancelled" and meeting.starts_at <= now)


def record_outcome(
    meeting: Meeting,
    *,
    reached: str,
    why: str,
    decisions: str,
    action_items: list[dict],
    actor: User | None,
    now: datetime,
) -> tuple[MeetingOutcome, list[Commitment]]:
    """Record whether the desired outcome was reached; action items become commitments from this meeting."""
    if not can_record_outcome(meeting, now=now):
        raise ValueError("meeting has not started")
    outcome = db.session.get(MeetingOutcome, meeting.id)
    if outcome is None:
        outcome = MeetingOutcome(meeting_id=meeting.id)
        db.session.add(outcome)
    elif (outcome.reached, outcome.why, outcome.decisions) != (reached, why, decisions):
        earlier = {
            "reached": outcome.reached,
            "why": outcome.why,
            "decisions": outcome.decisions,
            "recorded_by_id": outcome.recorded_by_id,
            "recorded_at": _plain(outcome.recorded_at),
        }
        # A new list, so that SQLAlchemy sees the JSON column change.
        outcome.previous = [*(outcome.previous or []), earlier]
    outcome.reached, outcome.why, outcome.decisions = reached, why, decisions
    outcome.recorded_by_id = actor.id if actor else None
    outcome.recorded_at = now
    if meeting.status in ("tentative", "confirmed"):
        update_meeting(meeting, {"status": "held"}, now=now)
    created = [
        create_commitment(meeting.engagement, {**item, "meeting_id": meeting.id}, actor=actor, now=now)
        for item in action_items
    ]
    return outcome, created


def next_meeting_of_kind(meeting: Meeting) -> Meeting | None:
    """The next meeting of the same kind in the engagement, not cancelled."""
    return db.session.scalar(
        select(Meeting)
        .where(
            Meeting.engagement_id == meeting.engagement_id,
            Meeting.kind == meeting.kind,
            Meeting.starts_at > meeting.starts_at,
            Meeting.status != "cancelled",
            Meeting.id != meeting.id,
        )
        .order_by(Meeting.starts_at)
        .limit(1)
    )


def carry_candidates(meeting: Meeting) -> list[AgendaItem]:
    """Undone agenda items not already on the next meeting of the same kind."""
    target = next_meeting_of_kind(meeting)
    if target is None:
        return []
    present = {item.title.strip().casefold() for item in target.agenda}
    return [item for item in meeting.agenda if not item.done and item.title.strip().casefold() not in present]


def carry_forward(
    meeting: Meeting, item_ids: list[int], *, now: datetime
) -> tuple[Meeting | None, list[AgendaItem]]:
    """Copy the confirmed undone items to the next meeting of the same kind (calendars follow)."""
    target = next_meeting_of_kind(meeting)
    if target is None:
        return None, []
    wanted = set(item_ids)
    copied = [
        add_agenda_item(target, title=item.title, minutes=item.minutes, notes=item.notes, now=now)
        for item in carry_candidates(meeting)
        if item.id in wanted
    ]
    return target, copied
