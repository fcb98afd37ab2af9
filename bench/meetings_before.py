"""The meetings list as it was before pages and the row serialiser: every meeting, one ORM object each.

`make bench` serves it beside the current list (`bench/reference_app.py`) so that the list's gain is a
ratio measured in one run. It is never deployed.
"""

from __future__ import annotations

from flask import jsonify
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from planner.api import authenticate
from planner.api.common import api_engagement
from planner.api.meetings import meeting_json
from planner.extensions import db
from planner.models import Meeting


def list_before(engagement_id: int):
    """GET /bench/meetings-before/<id>: the former GET /api/v1/engagements/<id>/meetings, unfiltered."""
    refused = authenticate()
    if refused is not None:
        return refused
    engagement = api_engagement(engagement_id)
    query = (
        select(Meeting)
        .where(Meeting.engagement_id == engagement.id)
        .options(selectinload(Meeting.agenda), selectinload(Meeting.attendees))
        .order_by(Meeting.starts_at, Meeting.id)
    )
    return jsonify([meeting_json(m) for m in db.session.scalars(query)])
