"""A member's access to an engagement, trusted from memory for FEED_STATE_TTL seconds like a feed link.

A kept page then costs no query at all. The rows are remembered as column values, never as ORM objects shared
between requests. This process forgets them at the first committed change to a user, an engagement or a
membership, and takes on the new activity counters after any other change; other processes see a change, a
removed member included, within the TTL (1 s by default, 0 in tests).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from planner.feed_cache import FeedStateCache
from planner.models import Engagement
from planner.models.activity import ACCESS_CHANGED, BUMPED
from planner.models.rows import Columns, attached, columns_of


@dataclass(frozen=True)
class RememberedAccess:
    """The user, engagement and membership rows (None for a stranger's membership) as column values."""

    rows: tuple[tuple[type, Columns] | None, ...]
    # FeedStateCache keeps this beside each entry.
    last_used_at: None = None


def _entries() -> FeedStateCache:
    return current_app.extensions.setdefault("planner_member_access", FeedStateCache(max_entries=4096))


def _ttl() -> float:
    from planner.web.feeds import feed_state_ttl  # the feeds module reaches access through its views

    return feed_state_ttl()


def _key(user_id: int, engagement_id: int) -> str:
    return f"{user_id}:{engagement_id}"


def recall_rows(user_id: int, engagement_id: int) -> tuple[tuple[type, Columns] | None, ...] | None:
    """The remembered rows as column values, or None when not remembered (or too old)."""
    ttl = _ttl()
    if ttl <= 0:
        return None
    entry = _entries().get(_key(user_id, engagement_id), time.monotonic(), ttl)
    return entry.state.rows if entry is not None else None


def recall(user_id: int, engagement_id: int) -> tuple | None:
    """The remembered rows as objects of this request's session, or None when not remembered (or too old)."""
    rows = recall_rows(user_id, engagement_id)
    if rows is None:
        return None
    return tuple(attached(*row) if row is not None else None for row in rows)


def remember(user_id: int, engagement_id: int, objects: tuple) -> None:
    """Keep the rows just read, when remembering is on."""
    if _ttl() <= 0:
        return
    rows = tuple((type(obj), columns_of(obj)) if obj is not None else None for obj in objects)
    _entries().put(_key(user_id, engagement_id), RememberedAccess(rows), time.monotonic())


def _with_counts(counts: dict[int, int]) -> Callable[[RememberedAccess], RememberedAccess]:
    """The remembered rows with the engagements' activity counters as this commit left them."""

    def change(remembered: RememberedAccess) -> RememberedAccess:
        rows = []
        for row in remembered.rows:
            if row is not None and row[0] is Engagement and row[1]["id"] in counts:
                row = (Engagement, row[1] | {"activity": counts[row[1]["id"]]})
            rows.append(row)
        return RememberedAccess(tuple(rows))

    return change


@event.listens_for(Session, "after_commit")
def _follow_a_change(session: Session) -> None:
    # A commit that changed a user, an engagement or a membership makes this process forget every access;
    # one that changed other rows only moved counters, which the remembered engagements take on.
    counts = session.info.pop(BUMPED, None)
    access_changed = session.info.pop(ACCESS_CHANGED, False)
    if not counts or not has_app_context():
        return
    entries = current_app.extensions.get("planner_member_access")
    if entries is None:
        return
    if access_changed:
        entries.clear()
    else:
        entries.revise(_with_counts(counts))
