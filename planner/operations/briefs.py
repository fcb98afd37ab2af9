"""Gather a meeting's brief from the database (reads only) for its page, the print view and the digest."""

from __future__ import annotations

import importlib
from datetime import datetime

from sqlalchemy import or_, select

from planner.brief import AgendaLine, Brief, NoteLine, OwedLine, Person, WaitingRequest, build_brief
from planner.extensions import db
from planner.models import Meeting
from planner.models.commitments import Commitment
from planner.operations.contacts import notes_for


def _people(meeting: Meeting) -> list[Person]:
    people = []
    for attendee in meeting.attendees:
        if attendee.contact is not None:
            c = attendee.contact
            notes = tuple(
                NoteLine(n.body, n.noted_on, n.meeting.title if n.meeting else None)
                for n in notes_for(c, limit=3)
            )
            people.append(
                Person(
                    name=c.name,
                    ours=False,
                    role=c.role,
                    organisation=c.organisation,
                    preferred_channel=c.preferred_channel,
                    language=c.language,
                    readers=c.readers or "",
                    prefers_format=c.prefers_format or "",
                    notes=notes,
                    contact_id=c.id,
                )
            )
        elif attendee.user is not None:
            people.append(Person(name=attendee.user.display_name, ours=True))
    return people


def _owed(meeting: Meeting, contact_ids: list[int], now: datetime) -> list[OwedLine]:
    """Commitments between us and the people attending, or made in this meeting."""
    conditions = [Commitment.meeting_id == meeting.id]
    if contact_ids:
        conditions.append(Commitment.contact_id.in_(contact_ids))
    rows = db.session.scalars(
        select(Commitment).where(Commitment.engagement_id == meeting.engagement_id, or_(*conditions))
    ).all()
    return [
        OwedLine(c.title, c.owed_by, c.current_status(now), c.due_at, owner_name=c.owner_name, id=c.id)
        for c in rows
    ]


def _waiting(meeting: Meeting) -> list[WaitingRequest]:
    """Requests the triage feature put on this meeting's agenda and not yet closed (when it is installed)."""
    try:
        model = importlib.import_module("planner.models.requests").MeetingRequest
    except (ImportError, AttributeError):
        return []
    rows = db.session.scalars(select(model).where(model.meeting_id == meeting.id)).all()
    out = []
    for row in rows:
        outcome = getattr(row, "decided_outcome", None) or getattr(row, "outcome", None)
        if outcome not in (None, "agenda_item"):
            continue
        contact = getattr(row, "contact", None)
        out.append(
            WaitingRequest(
                topic=row.topic,
                submitted_at=getattr(row, "submitted_at", None),
                requester=contact.name if contact is not None else "",
                id=row.id,
            )
        )
    return out


def meeting_brief(meeting: Meeting, *, now: datetime) -> Brief:
    """The pre-meeting brief of a meeting, with current commitment statuses."""
    people = _people(meeting)
    contact_ids = [p.contact_id for p in people if p.contact_id]
    return build_brief(
        title=meeting.title,
        purpose=meeting.purpose,
        desired_outcome=meeting.desired_outcome,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        zone=meeting.engagement.timezone,
        agenda=[AgendaLine(a.title, a.minutes, a.notes, a.done) for a in meeting.agenda],
        attendees=people,
        commitments=_owed(meeting, contact_ids, now),
        requests=_waiting(meeting),
        location=meeting.location,
        conference_url=meeting.conference_url,
    )
