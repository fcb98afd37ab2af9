"""Who may see and change what: membership of the engagement, by role."""

from __future__ import annotations

from flask import abort, g, request
from flask_login import current_user
from sqlalchemy import bindparam, select

from planner.extensions import db
from planner.models import AgendaItem, Contact, Engagement, Meeting, Membership, User
from planner.models.people import ROLES


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
    params = {"user_id": user_id, "engagement_id": engagement_id}
    row = db.session.execute(_USER_AND_MEMBERSHIP, params).first()
    if row is None:
        return None
    g.loaded_engagement = (engagement_id, row.Engagement)
    g.setdefault("memberships", {})[engagement_id] = row.Membership
    return row.User


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
