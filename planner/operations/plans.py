"""Kickoff plans: the adjusted rows of a generated schedule become meetings with their agendas."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from planner.extensions import db
from planner.models import AgendaItem, Engagement, Meeting
from planner.operations.schedule import create_meeting
from planner.playbooks import Playbook, pick


@dataclass(frozen=True)
class PlanRow:
    """One confirmed row of the preview, as the user left it (times already in UTC)."""

    phase: str
    kind: str
    title: str
    purpose: str
    desired_outcome: str
    starts_at: datetime
    minutes: int


def apply_plan(
    engagement: Engagement, playbook: Playbook, rows: list[PlanRow], *, now: datetime
) -> list[Meeting]:
    """Create the meetings of a confirmed plan, each with its phase's default agenda; callers commit once."""
    language = engagement.language or "ja"
    created = []
    for row in rows:
        meeting = create_meeting(
            engagement,
            {
                "title": row.title,
                "purpose": row.purpose,
                "desired_outcome": row.desired_outcome,
                "kind": row.kind,
                "starts_at": row.starts_at,
                "duration_minutes": row.minutes,
                # Tentative until the client has agreed the schedule at the kickoff.
                "status": "tentative",
            },
            now=now,
        )
        phase = playbook.phase(row.phase)
        # A new meeting's agenda is written in one go: there are no positions to look up and no
        # calendar has seen the meeting yet, so add_agenda_item's sequence bumps would be noise.
        meeting.agenda.extend(
            AgendaItem(
                title=pick(item.title, language), minutes=item.minutes, position=position, created_at=now
            )
            for position, item in enumerate(phase.agenda if phase else (), start=1)
        )
        created.append(meeting)
    return created


@dataclass(frozen=True)
class PlanSummary:
    """What the engagement's schedule holds, for the side panel."""

    counts: list[tuple[str, int]]  # kind and number of meetings, in the order of a project
    total: int
    first: datetime | None
    last: datetime | None
    next_milestone: Meeting | None


KIND_ORDER = ("kickoff", "requirements", "design_review", "review", "acceptance", "status", "call", "other")


def plan_summary(engagement: Engagement, now: datetime) -> PlanSummary:
    """Meetings by kind (cancelled and internal ones left out) and the next one that is not routine."""
    shared = (
        Meeting.engagement_id == engagement.id,
        Meeting.status != "cancelled",
        Meeting.internal.is_(False),
    )
    counts = dict(
        db.session.execute(
            select(Meeting.kind, func.count(Meeting.id)).where(*shared).group_by(Meeting.kind)
        ).all()
    )
    first, last = db.session.execute(
        select(func.min(Meeting.starts_at), func.max(Meeting.starts_at)).where(*shared)
    ).one()
    upcoming = db.session.scalars(
        select(Meeting)
        .where(*shared, Meeting.starts_at >= now, Meeting.kind.not_in(("status", "call")))
        .order_by(Meeting.starts_at)
        .limit(1)
    ).first()
    return PlanSummary(
        counts=[(kind, counts[kind]) for kind in KIND_ORDER if counts.get(kind)],
        total=sum(counts.values()),
        first=first,
        last=last,
        next_milestone=upcoming,
    )
