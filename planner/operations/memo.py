"""Values read from an engagement's rows, kept per process while the counter they depend on stands still.

Every change to the schedule bumps `Engagement.revision` (planner/operations/schedule.py), so the upcoming
meetings read at one revision are still true at that revision: triage reads them from here instead of from
the database on every request. Within a transaction that has changed something, the database is read as
usual: the counters only move at commit.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import current_app

from planner.extensions import db
from planner.fragment_cache import FragmentCache
from planner.models import Engagement
from planner.models.activity import PENDING

T = TypeVar("T")


def _memo() -> FragmentCache:
    return current_app.extensions.setdefault("planner_engagement_memo", FragmentCache(max_slots=2048))


def _unchanged_session() -> bool:
    session = db.session()
    return not (session.new or session.dirty or session.deleted or session.info.get(PENDING))


def remembered(engagement: Engagement, what: Hashable, counter: int, read: Callable[[], T]) -> T:
    """`read()` for this engagement, read once per process for each value of `counter`."""
    if not _unchanged_session():
        return read()
    # created_at tells apart two databases that gave the same id to different engagements (tests).
    version = (counter, engagement.created_at)
    return _memo().get_or_render((engagement.id, what), version, read)
