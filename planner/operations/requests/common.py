"""Shared by the request operations: their error, a history event, a commit that keeps objects loaded."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from planner.extensions import db
from planner.models import User
from planner.models.requests import MeetingRequest, RequestEvent

log = logging.getLogger(__name__)


REQUEST_FIELDS = (
    "topic",
    "details",
    "reasons",
    "needed_by",
    "expected_minutes",
    "people",
    "preferred_format",
    "contact_id",
    "requester_name",
    "requester_email",
    "idempotency_key",
    "body_digest",
)


# The same request sent again within this many minutes is taken as the one already received.
RESUBMIT_MINUTES = 15


# How far the status summary looks ahead.
STATUS_DAYS = 30


# How far ahead triage looks for a free slot among the engagement's meetings.
SLOT_SEARCH_DAYS = 14


class RequestError(Exception):
    """An operation on a request cannot be done in its current state; the message says why.

    Messages are lazy translations, so that the page shows them in the reader's language.
    """


def record_event(
    req: MeetingRequest, kind: str, data: dict[str, Any], *, actor: User | None, now: datetime
) -> None:
    """One step of the request's history, as a kind and its data (codes, ids, the titles as they were)."""
    req.updated_at = now
    actor_id = actor.id if actor else None
    event = RequestEvent(kind=kind, data=data, actor_id=actor_id, created_at=now)
    if req.id is None or "events" in req.__dict__:
        req.events.append(event)  # new, or its history already loaded: no query either way
    else:
        # Added by id: appending would first load the whole history, which nobody reads here.
        event.request_id = req.id
        db.session.add(event)


def commit_keeping_loaded() -> None:
    """Commit without expiring what is loaded: triage goes on with the same objects at once."""
    session = db.session()
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire
