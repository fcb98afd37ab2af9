"""Reading requests: open ones by urgency, figures, what a request produced and why it was decided so."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from planner.extensions import db
from planner.models import AgendaItem, Engagement, Meeting
from planner.models.commitments import Commitment
from planner.models.requests import OPEN_STATUSES, MeetingRequest
from planner.operations.requests.context import meeting_infos
from planner.replies.explanations import MeetingName, explain


@dataclass(frozen=True)
class RequestStats:
    """The engagement's requests at a glance: how many are open and the meeting time avoided."""

    open_count: int
    minutes_saved: int

    @property
    def hours_saved(self) -> float:
        """Meeting hours avoided, to one decimal."""
        return round(self.minutes_saved / 60, 1)


def open_requests(engagement: Engagement, limit: int | None = None) -> list[MeetingRequest]:
    """Requests still waiting for the team: the soonest needed first, then the oldest."""
    needed_by = MeetingRequest.needed_by
    query = (
        select(MeetingRequest)
        .where(MeetingRequest.engagement_id == engagement.id, MeetingRequest.status.in_(OPEN_STATUSES))
        .options(selectinload(MeetingRequest.contact))
        .order_by(needed_by.is_(None), needed_by, MeetingRequest.submitted_at, MeetingRequest.id)
    )
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def urgency(req: MeetingRequest, engagement: Engagement, now: datetime) -> str | None:
    """Overdue once the needed-by time has passed, urgent within the urgent hours, else None."""
    if req.needed_by is None or not req.is_open:
        return None
    if req.needed_by <= now:
        return "overdue"
    return "urgent" if req.needed_by - now < timedelta(hours=engagement.urgent_hours) else None


def request_stats(engagement: Engagement) -> RequestStats:
    """Open requests and the meeting minutes avoided by the ones applied so far."""
    open_count = db.session.scalar(
        select(func.count(MeetingRequest.id)).where(
            MeetingRequest.engagement_id == engagement.id, MeetingRequest.status.in_(OPEN_STATUSES)
        )
    )
    saved = db.session.scalar(
        select(func.coalesce(func.sum(MeetingRequest.minutes_saved), 0)).where(
            MeetingRequest.engagement_id == engagement.id, MeetingRequest.applied_at.is_not(None)
        )
    )
    return RequestStats(open_count=int(open_count or 0), minutes_saved=int(saved or 0))


def commitments_of(req: MeetingRequest) -> list[Commitment]:
    """The commitments that came from this request, such as the answer a reply by mail promised."""
    query = select(Commitment).where(Commitment.request_id == req.id)
    return list(db.session.scalars(query.order_by(Commitment.due_at, Commitment.id)))


def explanation_of(req: MeetingRequest, language: str | None, *, now: datetime | None = None) -> str:
    """Why the request was decided so, in the reader's language, from its stored decision.

    With `now`, the meetings it names are first looked up among those triage has just read.
    """
    data = req.decision or {}
    ids = {data.get("meeting_id")} | {
        (note.get("params") or {}).get("meeting_id") for note in data.get("notes") or ()
    }
    ids.discard(None)
    named: dict[int, MeetingName] = {}
    if ids and now is not None:
        for info in meeting_infos(req.engagement, now=now):
            if info.id in ids:
                named[info.id] = MeetingName(info.title, info.starts_at)
    if ids - named.keys():
        query = select(Meeting).where(Meeting.id.in_(ids - named.keys()))
        for meeting in db.session.scalars(query):
            named[meeting.id] = MeetingName(meeting.title, meeting.starts_at)
    lines = explain(data, language, zone=req.engagement.timezone, meetings=named)
    return ("" if (language or "").startswith("ja") else " ").join(lines)


def agenda_item_of(req: MeetingRequest) -> AgendaItem | None:
    """The agenda item applying this request created, if it still exists."""
    return db.session.get(AgendaItem, req.agenda_item_id) if req.agenda_item_id else None
