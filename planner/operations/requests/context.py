"""What the policy is given: the engagement's settings, its meetings and the request as plain data."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import selectinload

from planner.extensions import db
from planner.models import AgendaItem, Engagement, Meeting, MeetingAttendee, Membership
from planner.models.requests import OPEN_STATUSES, MeetingRequest
from planner.operations.memo import remembered
from planner.operations.requests.common import SLOT_SEARCH_DAYS
from planner.triage import (
    MeetingInfo,
    RequestInfo,
    TriageSettings,
    lunch_for,
)
from planner.workdays import country_for_zone


def triage_settings(engagement: Engagement) -> TriageSettings:
    """The engagement's thresholds as the policy takes them (raises TriageError when they are unusable)."""
    country = engagement.country or country_for_zone(engagement.timezone)
    lunch = None
    if engagement.lunch_from is not None and engagement.lunch_until is not None:
        lunch = (engagement.lunch_from, engagement.lunch_until)
    elif engagement.id is None:
        lunch = lunch_for(country)
    return TriageSettings(
        call_max_minutes=engagement.call_max_minutes,
        agenda_horizon_days=engagement.agenda_horizon_days,
        agenda_lead_hours=engagement.agenda_lead_hours,
        urgent_hours=engagement.urgent_hours,
        country=country,
        zone=engagement.timezone,
        lunch=lunch,
        simple_question_minutes=_setting(engagement.simple_question_minutes, 10),
        many_people=_setting(engagement.many_people, 5),
        new_work_minutes=_setting(engagement.new_work_minutes, 60),
        estimate_working_days=_setting(engagement.estimate_working_days, 5),
    )


def _setting(value: int | None, default: int) -> int:
    # An engagement made in this very request has no server defaults yet.
    return default if value is None else value


# Built once: triage runs on every request, and building the statement cost more than running it.
_MEETINGS_FOR_TRIAGE = (
    select(
        Meeting.id,
        Meeting.title,
        Meeting.purpose,
        Meeting.kind,
        Meeting.starts_at,
        Meeting.ends_at,
        Meeting.status,
        Meeting.internal,
        Meeting.location,
        Meeting.conference_url,
        AgendaItem.title.label("item_title"),
        AgendaItem.minutes.label("item_minutes"),
    )
    .outerjoin(AgendaItem, AgendaItem.meeting_id == Meeting.id)
    .where(
        Meeting.engagement_id == bindparam("engagement_id"),
        Meeting.status != "cancelled",  # the policy passes over cancelled meetings: no need to read them
        Meeting.ends_at >= bindparam("now", type_=Meeting.ends_at.type),
        Meeting.starts_at <= bindparam("horizon", type_=Meeting.starts_at.type),
    )
    .order_by(Meeting.starts_at, Meeting.id, AgendaItem.position)
)


def meeting_infos(
    engagement: Engagement, *, now: datetime, until: datetime | None = None
) -> list[MeetingInfo]:
    """The engagement's meetings from now on, as the policy sees them (agenda minutes and titles).

    The window covers the agenda horizon, the needed-by time and two weeks for finding a free slot.
    Cancelled meetings are left out: neither an agenda item nor a free slot is ever looked for in them.
    A window from the start of this hour is read once per process and revision (operations/memo.py).
    """
    horizon = max(
        until or now,
        now + timedelta(days=engagement.agenda_horizon_days),
        now + timedelta(days=SLOT_SEARCH_DAYS),
    )
    hour = now.replace(minute=0, second=0, microsecond=0)
    kept_until = hour + timedelta(days=max(engagement.agenda_horizon_days, SLOT_SEARCH_DAYS), hours=1)
    if horizon > kept_until:
        return _read_meeting_infos(engagement.id, now, horizon)
    kept = remembered(
        engagement,
        ("triage meetings", hour, kept_until),
        engagement.revision,
        lambda: _read_meeting_infos(engagement.id, hour, kept_until),
    )
    return [m for m in kept if m.ends_at >= now and m.starts_at <= horizon]


def _read_meeting_infos(engagement_id: int, since: datetime, until: datetime) -> tuple[MeetingInfo, ...]:
    # Plain columns rather than ORM objects, in one round trip: each meeting's row repeats once per agenda
    # item (outer join). Who attends and which request a meeting was made for come in two more.
    params = {"engagement_id": engagement_id, "now": since, "horizon": until}
    db.session.flush()  # pending changes count, as with any ORM query (autoflush)
    connection = db.session.connection()
    rows = connection.execute(_MEETINGS_FOR_TRIAGE, params).all()
    grouped: dict[int, tuple[Any, list[tuple[str, int]]]] = {}
    for row in rows:
        _first, agenda = grouped.setdefault(row.id, (row, []))
        if row.item_title is not None:
            agenda.append((row.item_title, row.item_minutes))
    contacts: dict[int, set[int]] = {}
    made_for: dict[int, int] = {}
    if grouped:
        ids = list(grouped)
        for meeting_id, contact_id in connection.execute(
            select(MeetingAttendee.meeting_id, MeetingAttendee.contact_id).where(
                MeetingAttendee.meeting_id.in_(ids), MeetingAttendee.contact_id.is_not(None)
            )
        ):
            contacts.setdefault(meeting_id, set()).add(contact_id)
        for request_id, meeting_id in connection.execute(
            select(MeetingRequest.id, MeetingRequest.meeting_id).where(
                MeetingRequest.meeting_id.in_(ids),
                MeetingRequest.outcome.in_(("call", "meeting")),
                MeetingRequest.applied_at.is_not(None),
            )
        ):
            made_for[meeting_id] = request_id
    return tuple(
        MeetingInfo(
            id=row.id,
            title=row.title,
            purpose=row.purpose,
            kind=row.kind,
            starts_at=row.starts_at,
            duration_minutes=int((row.ends_at - row.starts_at).total_seconds() // 60),
            agenda_minutes=sum(minutes for _title, minutes in agenda),
            agenda_titles=tuple(title for title, _minutes in agenda),
            cancelled=row.status == "cancelled",
            internal=bool(row.internal),
            for_request=made_for.get(row.id),
            contact_ids=frozenset(contacts.get(row.id, ())),
            location=row.location or "",
            conference_url=row.conference_url or "",
        )
        for row, agenda in grouped.values()
    )


def request_info(req: MeetingRequest) -> RequestInfo:
    """The request as the policy takes it."""
    return RequestInfo(
        topic=req.topic,
        details=req.details or "",
        reasons=tuple(req.reasons or ()),
        needed_by=req.needed_by,
        expected_minutes=req.expected_minutes,
        people=req.people,
        preferred_format=None if req.preferred_format == "any" else req.preferred_format,
        contact_channel=req.contact.preferred_channel if req.contact else None,
        call_hours=req.contact.call_hours if req.contact else None,
        contact_zone=(req.contact.timezone or None) if req.contact else None,
        contact_id=req.contact.id if req.contact is not None else req.contact_id,
        request_id=req.id,
    )


def meeting_of(req: MeetingRequest) -> Meeting | None:
    # By id, so that a meeting chosen a moment ago is found without flushing first.
    return db.session.get(Meeting, req.meeting_id) if req.meeting_id else None


def answering_member(req: MeetingRequest) -> int | None:
    """Who answers the request: the member who logged it, else the engagement's *requests handled by*,
    else its first owner."""
    if req.logged_by_id:
        return req.logged_by_id
    return engagement_answerer(req.engagement)


def engagement_answerer(engagement: Engagement) -> int | None:
    """The member who answers the client's own requests on an engagement."""
    members = {m.user_id for m in engagement.members if m.allows("member")}
    if engagement.requests_user_id in members:
        return engagement.requests_user_id  # while they are still on the team
    owners = sorted((m.id, m.user_id) for m in engagement.members if m.role == "owner")
    return owners[0][1] if owners else None


def member_busy(
    user_id: int, *, now: datetime, until: datetime, request_id: int | None = None
) -> list[tuple[datetime, datetime]]:
    """The member's busy times between now and `until`, across every engagement they belong to.

    Every meeting counts, except those whose listed team attendees leave the member out; so do the slots
    still offered to another open request that this member answers (two clients are never offered the
    same hour).
    """
    engagement_ids = select(Membership.engagement_id).where(Membership.user_id == user_id)
    team = select(MeetingAttendee.id).where(
        MeetingAttendee.meeting_id == Meeting.id, MeetingAttendee.user_id.is_not(None)
    )
    busy = db.session.execute(
        select(Meeting.starts_at, Meeting.ends_at).where(
            Meeting.engagement_id.in_(engagement_ids),
            Meeting.status != "cancelled",
            Meeting.ends_at > now,
            Meeting.starts_at < until,
            # A meeting whose team is listed keeps only those members busy.
            or_(~team.exists(), team.where(MeetingAttendee.user_id == user_id).exists()),
        )
    ).all()
    busy = [(row.starts_at, row.ends_at) for row in busy]
    return busy + offered_slots(user_id, engagement_ids, now=now, request_id=request_id)


def offered_slots(user_id: int, engagement_ids, *, now: datetime, request_id: int | None) -> list:
    """The slots still offered to the member's other open requests (not yet booked)."""
    offered = db.session.scalars(
        select(MeetingRequest)
        .where(
            MeetingRequest.engagement_id.in_(engagement_ids),
            MeetingRequest.status.in_(OPEN_STATUSES),
            MeetingRequest.outcome.in_(("call", "meeting")),
            MeetingRequest.meeting_id.is_(None),
            MeetingRequest.id != (request_id or 0),
        )
        .options(selectinload(MeetingRequest.engagement).selectinload(Engagement.members))
    ).all()
    busy = []
    for other in offered:
        if answering_member(other) != user_id:
            continue
        for slot in other.proposed_slots or ():
            start, end = datetime.fromisoformat(slot["starts_at"]), datetime.fromisoformat(slot["ends_at"])
            if end > now:
                busy.append((start, end))
    return busy


def busy_for(
    req: MeetingRequest, settings: TriageSettings, *, now: datetime
) -> tuple[list | None, list[str]]:
    """The answering member's busy times for this request's slots (None: nobody answers, the engagement's
    own meetings count), and the personal calendars that could not be read."""
    member = answering_member(req)
    if member is None:
        return None, []
    until = max(now, req.needed_by or now) + timedelta(days=settings.search_days + 2)
    busy = member_busy(member, now=now, until=until, request_id=req.id)
    from planner.operations.busy_calendars import calendar_busy

    found, failed = calendar_busy(member, now, until)
    return busy + found, failed
