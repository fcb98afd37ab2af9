"""Every committed change to an engagement's rows bumps `engagements.activity`, whatever wrote it.

Rendered pages are cached per process and keyed by that counter, so a change made by any instance or worker
is seen on the next request everywhere. The counter goes up in one UPDATE just before the commit, which
keeps the engagement row locked for the commit only, not while a sync talks to a calendar server.
"""

from __future__ import annotations

from sqlalchemy import bindparam, event, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from planner.models.calendars import CalendarLink
from planner.models.commitments import Commitment
from planner.models.people import ApiToken, Contact, Membership, User
from planner.models.requests import MeetingRequest
from planner.models.schedule import Engagement, Meeting

PENDING = "engagement_activity"
# Once a commit moved counters: {engagement id: its count now}, for what a process remembers of engagements.
BUMPED = "engagement_activity_bumped"
# Set when a flush changed a user, an engagement or a membership: remembered access is then out of date.
ACCESS_CHANGED = "engagement_access_changed"
# The column that leads from a row to its engagement, and the table it names; the first one present wins.
_TRAILS = (
    ("engagement_id", None),
    ("meeting_id", Meeting),
    ("contact_id", Contact),
    ("commitment_id", Commitment),
    ("request_id", MeetingRequest),
    ("link_id", CalendarLink),
)
# Rows that belong to no engagement's pages.
_IGNORED = (ApiToken,)


def _trail(obj) -> tuple[object, int] | None:
    """(None or the parent model, id) leading to the engagement of `obj`, or None."""
    if isinstance(obj, Engagement):
        return (None, obj.id)
    if isinstance(obj, User):
        return (User, obj.id)  # a name shown on the pages of every engagement the user is in
    if isinstance(obj, _IGNORED):
        return None
    for column, parent in _TRAILS:
        value = getattr(obj, column, None)
        if value is not None:
            return (parent, value)
    return None


def note_change(session: Session, engagement_id: int) -> None:
    """Count a change the unit of work does not see (a row written with a Core statement)."""
    session.info.setdefault(PENDING, set()).add((None, engagement_id))


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, flush_context) -> None:
    pending: set[tuple[object, int]] = session.info.setdefault(PENDING, set())
    changed = [*session.new, *session.deleted]
    changed += [obj for obj in session.dirty if session.is_modified(obj, include_collections=False)]
    if any(isinstance(obj, User | Engagement | Membership) for obj in changed):
        session.info[ACCESS_CHANGED] = True
    for obj in changed:
        found = _trail(obj)
        if found is not None and found[1] is not None:
            pending.add(found)


@event.listens_for(Session, "before_commit")
def _bump(session: Session) -> None:
    session.flush()  # the rows of the last changes are known once flushed
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    by_parent: dict[object, set[int]] = {}
    for parent, row_id in pending:
        by_parent.setdefault(parent, set()).add(row_id)
    table = Engagement.__table__
    if set(by_parent) == {None}:  # rows that name their engagement, as most changes do
        counts = session.connection().execute(_BUMP_BY_ID, {"ids": sorted(by_parent[None])})
        record_counts(session, dict(counts.all()))
        return
    conditions = []
    for parent, ids in by_parent.items():
        if parent is None:
            conditions.append(table.c.id.in_(ids))
        elif parent is User:
            conditions.append(
                table.c.id.in_(select(Membership.engagement_id).where(Membership.user_id.in_(ids)))
            )
        else:
            conditions.append(table.c.id.in_(select(parent.engagement_id).where(parent.id.in_(ids))))
    statement = update(table).where(or_(*conditions)).values(activity=table.c.activity + 1)
    counts = session.connection().execute(statement.returning(table.c.id, table.c.activity))
    record_counts(session, dict(counts.all()))


def record_counts(session: Session, counts: dict[int, int]) -> None:
    """Note the counters as the UPDATE left them, in the session and on its loaded engagements."""
    session.info.setdefault(BUMPED, {}).update(counts)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Engagement) and obj.id in counts:
            set_committed_value(obj, "activity", counts[obj.id])


# Built once: nearly every commit runs it.
_BUMP_BY_ID = (
    update(Engagement.__table__)
    .where(Engagement.__table__.c.id.in_(bindparam("ids", expanding=True)))
    .values(activity=Engagement.__table__.c.activity + 1)
    .returning(Engagement.__table__.c.id, Engagement.__table__.c.activity)
)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    for key in (PENDING, BUMPED, ACCESS_CHANGED):
        session.info.pop(key, None)
