"""Engagements, meetings and agendas: every change that a calendar sees bumps sequence and revision."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from planner.extensions import db
from planner.models import AgendaItem, Engagement, Meeting, MeetingAttendee, Membership, User
from planner.triage import lunch_for
from planner.workdays import country_for_zone

ENGAGEMENT_FIELDS = (
    "name",
    "client_name",
    "description",
    "timezone",
    "country",
    "language",
    "starts_on",
    "ends_on",
    "call_max_minutes",
    "agenda_horizon_days",
    "agenda_lead_hours",
    "urgent_hours",
    "warning_working_days",
    "quiet_days",
    "cancelled_feed_days",
    "simple_question_minutes",
    "many_people",
    "new_work_minutes",
    "estimate_working_days",
    "lunch_from",
    "lunch_until",
    "requests_user_id",
)
MEETING_FIELDS = (
    "title",
    "purpose",
    "desired_outcome",
    "kind",
    "starts_at",
    "ends_at",
    "location",
    "conference_url",
    "status",
    "internal",
    "internal_notes",
)


def create_engagement(owner: User, data: dict, *, now: datetime) -> Engagement:
    """A new engagement with its creator as owner."""
    values = {k: v for k, v in data.items() if k in ENGAGEMENT_FIELDS and v is not None}
    values.setdefault("country", country_for_zone(values.get("timezone", "Asia/Tokyo")))
    if "lunch_from" not in values and "lunch_until" not in values:
        # Japan keeps the lunch hour free; elsewhere there is none unless the team sets one.
        values["lunch_from"], values["lunch_until"] = lunch_for(values["country"]) or (None, None)
    engagement = Engagement(**values, created_at=now, updated_at=now)
    engagement.members.append(Membership(user=owner, role="owner"))
    db.session.add(engagement)
    return engagement


def update_engagement(engagement: Engagement, data: dict, *, now: datetime) -> None:
    """Change an engagement's details; a new zone or name changes what calendars show."""
    changed = False
    for key in ENGAGEMENT_FIELDS:
        if key in data and getattr(engagement, key) != data[key]:
            setattr(engagement, key, data[key])
            changed = True
    if changed:
        engagement.bump_revision(now)


def touch_calendar(meeting: Meeting, now: datetime) -> None:
    """Record that something a calendar sees changed on this meeting."""
    with db.session.no_autoflush:
        meeting.sequence = (meeting.sequence or 0) + 1
        meeting.updated_at = now
        meeting.engagement.bump_revision(now)


def _apply_attendees(meeting: Meeting, contact_ids: list[int] | None, user_ids: list[int] | None) -> bool:
    changed = False
    if contact_ids is not None:
        current = {a.contact_id for a in meeting.attendees if a.contact_id}
        wanted = set(contact_ids)
        if current != wanted:
            meeting.attendees[:] = [
                a for a in meeting.attendees if a.contact_id is None or a.contact_id in wanted
            ]
            meeting.attendees.extend(MeetingAttendee(contact_id=c) for c in sorted(wanted - current))
            changed = True
    if user_ids is not None:
        current = {a.user_id for a in meeting.attendees if a.user_id}
        wanted = set(user_ids)
        if current != wanted:
            meeting.attendees[:] = [a for a in meeting.attendees if a.user_id is None or a.user_id in wanted]
            meeting.attendees.extend(MeetingAttendee(user_id=u) for u in sorted(wanted - current))
            changed = True
    return changed


def create_meeting(engagement: Engagement, data: dict, *, now: datetime) -> Meeting:
    """A new meeting; `data` holds MEETING_FIELDS (ends_at or duration_minutes) and attendee ids."""
    values = {k: data[k] for k in MEETING_FIELDS if data.get(k) is not None}
    if "ends_at" not in values:
        values["ends_at"] = values["starts_at"] + timedelta(minutes=int(data.get("duration_minutes") or 60))
    meeting = Meeting(engagement=engagement, created_at=now, updated_at=now, **values)
    if data.get("purpose_missing"):
        meeting.purpose_missing = True
    if data.get("uid"):
        meeting.uid = data["uid"]
    if meeting.status == "cancelled":
        meeting.cancelled_at = now
    _apply_attendees(meeting, data.get("contact_ids"), data.get("user_ids"))
    db.session.add(meeting)
    engagement.bump_revision(now)
    return meeting


def update_meeting(meeting: Meeting, data: dict, *, now: datetime) -> bool:
    """Apply the given fields; True when something a calendar sees changed."""
    data = dict(data)
    if "duration_minutes" in data and "ends_at" not in data and data["duration_minutes"] is not None:
        start = data.get("starts_at") or meeting.starts_at
        data["ends_at"] = start + timedelta(minutes=int(data["duration_minutes"]))
    elif "starts_at" in data and "ends_at" not in data:
        # Moving a meeting keeps its length.
        data["ends_at"] = data["starts_at"] + (meeting.ends_at - meeting.starts_at)
    # One UPDATE per save: an autoflush half-way would write the row twice and bump `version` twice.
    with db.session.no_autoflush:
        changed = False
        for key in MEETING_FIELDS:
            if key in data and data[key] is not None and getattr(meeting, key) != data[key]:
                setattr(meeting, key, data[key])
                changed = True
        if "purpose" in data and meeting.purpose_missing and data["purpose"]:
            meeting.purpose_missing = False
            changed = True
        if data.get("status") == "cancelled" and meeting.cancelled_at is None:
            meeting.cancelled_at = now
        elif data.get("status") not in (None, "cancelled"):
            meeting.cancelled_at = None
        changed |= _apply_attendees(meeting, data.get("contact_ids"), data.get("user_ids"))
        if changed:
            touch_calendar(meeting, now)
        return changed


def cancel_meeting(meeting: Meeting, *, now: datetime) -> bool:
    """Cancel, keeping the row so that calendars learn of it; False if it already was."""
    if meeting.status == "cancelled":
        return False
    return update_meeting(meeting, {"status": "cancelled"}, now=now)


def add_agenda_item(
    meeting: Meeting, *, title: str, minutes: int, notes: str = "", now: datetime
) -> AgendaItem:
    """Append an item to the agenda; the meeting's description changes, so calendars follow."""
    last = db.session.scalar(select(func.max(AgendaItem.position)).where(AgendaItem.meeting_id == meeting.id))
    item = AgendaItem(title=title, minutes=minutes, notes=notes, position=(last or 0) + 1, created_at=now)
    meeting.agenda.append(item)
    touch_calendar(meeting, now)
    return item


def update_agenda_item(item: AgendaItem, data: dict, *, now: datetime) -> bool:
    """Edit an item's title, minutes, notes or done flag."""
    changed = False
    for key in ("title", "minutes", "notes", "done"):
        if key in data and data[key] is not None and getattr(item, key) != data[key]:
            setattr(item, key, data[key])
            changed = True
    if changed:
        touch_calendar(item.meeting, now)
    return changed


def remove_agenda_item(item: AgendaItem, *, now: datetime) -> None:
    """Take an item off the agenda."""
    meeting = item.meeting
    meeting.agenda.remove(item)
    touch_calendar(meeting, now)


def move_agenda_item(item: AgendaItem, offset: int, *, now: datetime) -> bool:
    """Move an item up (-1) or down (+1) in its agenda."""
    items = list(item.meeting.agenda)
    index = items.index(item)
    target = index + offset
    if not 0 <= target < len(items):
        return False
    items[index], items[target] = items[target], items[index]
    for position, each in enumerate(items, start=1):
        each.position = position
    touch_calendar(item.meeting, now)
    return True


def mark_held(meeting: Meeting, *, now: datetime) -> bool:
    """Record that the meeting took place: only once it has started, and never for a cancelled one."""
    if meeting.status in ("held", "cancelled") or meeting.starts_at > now:
        return False
    return update_meeting(meeting, {"status": "held"}, now=now)
