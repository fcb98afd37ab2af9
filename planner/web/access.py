"""Who may see and change what: membership of the engagement, by role."""

from __future__ import annotations

from flask import abort, current_app, g, request
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from planner.extensions import db
from planner.models import AgendaItem, Contact, Engagement, Meeting, Membership, User
from planner.models.people import ROLES
from planner.web.access_cache import recall, remember


def membership(engagement: Engagement) -> Membership | None:
    """The current user's membership, read once per request."""
    if not current_user.is_authenticated:
        return None
    known = g.setdefault("memberships", {})
    if engagement.id not in known:
        known[engagement.id] = engagement.membership_of(current_user)
    return known[engagement.id]


def is_owner(engagement: Engagement) -> bool:
    found = membership(engagement)
    return bool(found and found.role == "owner")


def check_role(engagement: Engagement | None, role: str) -> Engagement:
    """404 for a stranger (no hint that it exists), 403 for a member whose role is too low."""
    if role not in ROLES:
        raise ValueError(role)
    if engagement is None:
        abort(404)
    found = membership(engagement)
    if found is None:
        abort(404)
    if not found.allows(role):
        abort(403)
    return engagement


# Built once: this runs on nearly every page.
_USER_AND_MEMBERSHIP = (
    select(User, Engagement, Membership)
    .outerjoin(
        Membership,
        (Membership.user_id == User.id) & (Membership.engagement_id == bindparam("engagement_id")),
    )
    .outerjoin(Engagement, Engagement.id == Membership.engagement_id)
    .where(User.id == bindparam("user_id"))
)


def load_user_and_membership(user_id: int) -> User | None:
    """The logged-in user; on a page of one engagement, that engagement and their membership come along.

    One query instead of three on the pages people open most; a stranger's row comes back without them.
    """
    engagement_id = (request.view_args or {}).get("engagement_id") if request else None
    if not isinstance(engagement_id, int):
        return db.session.get(User, user_id)
    row = recall(user_id, engagement_id)
    if row is None:
        row = _first_row(_USER_AND_MEMBERSHIP, {"user_id": user_id, "engagement_id": engagement_id})
        if row is None:
            return None
        remember(user_id, engagement_id, row)
    user, engagement, found = row
    g.loaded_engagement = (engagement_id, engagement)
    g.setdefault("memberships", {})[engagement_id] = found
    return user


def _first_row(statement, params: dict) -> tuple | None:
    """The first row's objects, in this request's session.

    Read outside any transaction when the request has not opened one yet: a page served from the page cache
    then costs one round trip to the database instead of BEGIN, the query and ROLLBACK.
    """
    if db.session().in_transaction():
        row = db.session.execute(statement, params).first()
        return tuple(row) if row is not None else None
    engine = current_app.extensions.get("autocommit_engine")
    if engine is None:
        engine = current_app.extensions["autocommit_engine"] = db.engine.execution_options(
            isolation_level="AUTOCOMMIT"
        )
    with Session(bind=engine) as reader:
        row = reader.execute(statement, params).first()
        if row is None:
            return None
        return tuple(db.session.merge(obj, load=False) if obj is not None else None for obj in row)


def engagement_for(engagement_id: int, role: str = "viewer") -> Engagement:
    """The engagement if the user is a member with at least `role`; 404 for a stranger, 403 below the role."""
    if not current_user.is_authenticated:
        abort(404)
    loaded = g.get("loaded_engagement")
    if loaded is not None and loaded[0] == engagement_id:
        return check_role(loaded[1], role)
    row = db.session.execute(
        select(Engagement, Membership)
        .join(Membership, Membership.engagement_id == Engagement.id)
        .where(Engagement.id == engagement_id, Membership.user_id == current_user.id)
    ).first()
    if row is not None:
        g.setdefault("memberships", {})[engagement_id] = row.Membership
    return check_role(row.Engagement if row else None, role)


def meeting_for(meeting_id: int, role: str = "viewer") -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    check_role(meeting.engagement if meeting else None, role)
    return meeting


def agenda_item_for(item_id: int, role: str = "member") -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    check_role(item.meeting.engagement if item else None, role)
    return item


def contact_for(contact_id: int, role: str = "viewer") -> Contact:
    contact = db.session.get(Contact, contact_id)
    check_role(contact.engagement if contact else None, role)
    return contact


def can_edit(engagement: Engagement) -> bool:
    """For templates: show edit controls only to members and owners."""
    found = membership(engagement)
    return bool(found and found.allows("member"))
