"""The client picks one of the proposed times: the meeting is made then, never before they agree.

The booking link's key is derived from a stored nonce and the app's secret (only a hash of the key is looked
up), so the drafted reply and the API can give the same link again without the key being stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from planner.extensions import db
from planner.models import Meeting, User
from planner.models.requests import OPEN_STATUSES, MeetingRequest
from planner.operations.requests.common import RequestError, record_event
from planner.operations.requests.context import (
    answering_member,
    meeting_infos,
    member_busy,
    request_info,
    triage_settings,
)
from planner.operations.schedule import create_meeting
from planner.replies.purposes import call_purpose, proposed_purpose
from planner.replies.requests import reply_language
from planner.tokens import token_hash
from planner.triage import slots_for

# Where a call or meeting takes place, by format, in the meeting's language.
PLACES = {
    "phone": ("Phone (we call you)", "お電話（弊社からおかけします）"),
    "video": ("Video call (the link follows by mail)", "ビデオ会議（URLは別途お送りします）"),
    "in_person": ("In person (the place is confirmed by mail)", "対面（場所は別途ご連絡します）"),
}


def booking_key(nonce: str) -> str:
    """The secret part of a booking link, from its nonce and the app's secret key."""
    digest = hmac.new(str(current_app.secret_key).encode(), f"booking:{nonce}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def new_booking_link(req: MeetingRequest) -> None:
    """A fresh booking link for the request's slots (an older one stops working)."""
    nonce = secrets.token_urlsafe(16)
    req.booking_nonce = nonce
    req.booking_hash = token_hash(booking_key(nonce))


def public_base() -> str:
    """Where links point: PUBLIC_URL when configured, else this request's host."""
    base = current_app.config.get("PUBLIC_URL") or (request.url_root if has_request_context() else "")
    return (base or "http://localhost").rstrip("/")


def booking_url(req: MeetingRequest) -> str | None:
    """The absolute link where the client picks a time, while the request offers times to pick."""
    if req.outcome not in ("call", "meeting") or not req.proposed_slots or not req.booking_nonce:
        return None
    if req.meeting_id is not None:
        return None
    return f"{public_base()}/book/{booking_key(req.booking_nonce)}"


def request_for_booking(key: str) -> MeetingRequest | None:
    """The request a booking link belongs to, or None."""
    if not key or len(key) > 64:
        return None
    return db.session.scalar(select(MeetingRequest).where(MeetingRequest.booking_hash == token_hash(key)))


@dataclass
class Booked:
    """What a pick made: the meeting, or (when the time was taken meanwhile) fresh times to pick from."""

    meeting: Meeting | None = None
    taken: bool = False


def _slot(req: MeetingRequest, starts_at: datetime) -> tuple[datetime, datetime] | None:
    for slot in req.proposed_slots or ():
        start = datetime.fromisoformat(slot["starts_at"])
        if start == starts_at:
            return start, datetime.fromisoformat(slot["ends_at"])
    return None


def book_slot(
    req: MeetingRequest, starts_at: datetime, *, now: datetime, actor: User | None = None, by: str = "client"
) -> Booked:
    """Make the meeting at one of the proposed times, or refuse a time taken meanwhile with fresh ones.

    Race-safe: the request is claimed with one conditional UPDATE (a second pick of the same request finds
    it booked), and the answering member's busy times are read after that claim, under a lock on the member
    (PostgreSQL) or the database's write lock (SQLite), so two picks never take the same hour.
    Raises RequestError when the time was never proposed or the request has no times to pick.
    """
    if req.outcome not in ("call", "meeting") or not req.proposed_slots:
        raise RequestError(_l("This request has no proposed times to pick from."))
    if req.meeting_id is not None:
        raise RequestError(_l("A time has already been chosen for this request."))
    chosen = _slot(req, starts_at)
    if chosen is None:
        raise RequestError(_l("That time was not proposed for this request."))
    claimed = db.session.execute(
        update(MeetingRequest)
        .where(MeetingRequest.id == req.id, MeetingRequest.meeting_id.is_(None))
        .values(updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        raise RequestError(_l("A time has already been chosen for this request."))
    member = answering_member(req)
    if member is not None:
        db.session.scalar(select(User.id).where(User.id == member).with_for_update())
    start, end = chosen
    busy = member_busy(member, now=now, until=end + timedelta(minutes=1), request_id=req.id) if member else []
    if member:
        from planner.operations.busy_calendars import calendar_busy

        busy += calendar_busy(member, now, end + timedelta(minutes=1))[0]
    if start <= now or any(b < end and start < e for b, e in busy):
        _offer_again(req, now=now, actor=actor)
        return Booked(taken=True)
    meeting = _make_meeting(req, start, end, now=now, actor_id=member)
    req.meeting_id = meeting.id
    if req.applied_at is None:
        req.applied_at = now
    if req.status in OPEN_STATUSES:
        req.status = "applied" if req.replied_at is None else "replied"
    record_event(
        req,
        "booked",
        {"meeting_id": meeting.id, "starts_at": start.isoformat(), "by": by},
        actor=actor,
        now=now,
    )
    return Booked(meeting=meeting)


def _offer_again(req: MeetingRequest, *, now: datetime, actor: User | None) -> None:
    """The picked time is gone: fresh slots, free now, take the place of the old ones."""
    from planner.operations.requests.decisions import store_slots

    engagement = req.engagement
    settings = triage_settings(engagement)
    member = answering_member(req)
    until = now + timedelta(days=settings.search_days + 2)
    busy = (
        member_busy(member, now=now, until=until, request_id=req.id)
        if member
        else [(m.starts_at, m.ends_at) for m in meeting_infos(engagement, now=now)]
    )
    store_slots(
        req, slots_for(req.outcome, request_info(req), settings, now=now, busy=busy), keep=req.decision
    )
    record_event(req, "error", {"code": "slot_taken"}, actor=actor, now=now)


def _make_meeting(req: MeetingRequest, start: datetime, end: datetime, *, now: datetime, actor_id) -> Meeting:
    engagement = req.engagement
    language = reply_language(req.contact.language if req.contact else None, engagement.language)
    reasons, cause = tuple(req.reasons or ()), (req.decision or {}).get("cause")
    if req.outcome == "call":
        title, purpose, desired = call_purpose(req.topic, reasons, language, cause)
    else:
        title = req.topic
        purpose, desired = proposed_purpose(req.topic, reasons, language, cause)
    data = req.decision or {}
    place = data.get("place") or PLACES.get(req.format or "", PLACES["video"])[1 if language == "ja" else 0]
    attendee = data.get("attendee_id") or req.contact_id
    meeting = create_meeting(
        engagement,
        {
            "title": title[:200],
            "purpose": purpose,
            "desired_outcome": desired,
            "kind": "call" if req.outcome == "call" else "other",
            "starts_at": start,
            "duration_minutes": int((end - start).total_seconds() // 60),
            "status": "confirmed",
            "location": place[:300],
            "contact_ids": [attendee] if attendee else None,
            "user_ids": [actor_id] if actor_id else None,
        },
        now=now,
    )
    db.session.flush()
    return meeting
