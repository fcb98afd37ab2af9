"""Who may see and change what: membership of the engagement, by role."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from planner.extensions import db
from planner.models import AgendaItem, Contact, Engagement, Meeting, Membership
from planner.models.people import ROLES


def membership(engagement: Engagement) -> Membership | None:
    if not current_user.is_authenticated:
        return None
    return engagement.membership_of(current_user)


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


def engagement_for(engagement_id: int, role: str = "viewer") -> Engagement:
    return check_role(db.session.get(Engagement, engagement_id), role)


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
