"""Helpers for the schedule page tests: a logged-in owner with an engagement, members of each role."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from planner.extensions import db
from planner.models import Engagement, Meeting
from planner.operations.people import add_member


@dataclass
class Team:
    owner: object
    member: object
    viewer: object
    stranger: object
    engagement: Engagement


@pytest.fixture(name="team")
def team_fixture(make_user, make_engagement) -> Team:
    owner, member, viewer, stranger = (make_user() for _ in range(4))
    engagement = make_engagement(owner=owner)
    add_member(engagement, member, "member")
    add_member(engagement, viewer, "viewer")
    db.session.commit()
    return Team(owner, member, viewer, stranger, engagement)


def fresh(model, id_):
    """The row as the database has it now, not as this session remembers it."""
    db.session.expire_all()
    return db.session.get(model, id_)


def meeting_state(meeting_id: int) -> tuple:
    """Everything about a meeting a failed request must leave alone."""
    m = fresh(Meeting, meeting_id)
    return (
        m.title,
        m.purpose,
        m.desired_outcome,
        m.kind,
        m.status,
        m.starts_at,
        m.ends_at,
        m.location,
        m.conference_url,
        m.sequence,
        m.version,
        sorted((a.contact_id or 0, a.user_id or 0) for a in m.attendees),
        [(i.title, i.minutes, i.notes, i.done, i.position) for i in m.agenda],
        m.engagement.revision,
    )
