"""Client contacts, notes about them, and who has gone quiet; callers commit once."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import func, select, union_all

from planner.client_memory import days_since, is_quiet, last_touch
from planner.extensions import db
from planner.models import Contact, Engagement, Meeting, MeetingAttendee, User
from planner.models.commitments import Commitment, ContactNote

CONTACT_FIELDS = (
    "name",
    "organisation",
    "department",
    "role",
    "email",
    "phone",
    "language",
    "preferred_channel",
    "notes",
    "readers",
    "prefers_format",
    "timezone",
    "call_from",
    "call_until",
)


def create_contact(engagement: Engagement, data: dict, *, now: datetime) -> Contact:
    """A new contact of the engagement with their profile."""
    values = {k: data[k] for k in CONTACT_FIELDS if data.get(k) is not None}
    contact = Contact(engagement=engagement, created_at=now, updated_at=now, **values)
    db.session.add(contact)
    return contact


def update_contact(contact: Contact, data: dict, *, now: datetime) -> bool:
    """Change a contact's profile; False when nothing changed."""
    changed = False
    for key in CONTACT_FIELDS:
        if key in data and getattr(contact, key) != data[key]:
            setattr(contact, key, data[key])
            changed = True
    if changed:
        contact.updated_at = now
    return changed


def add_note(
    contact: Contact,
    *,
    body: str,
    noted_on: date,
    meeting: Meeting | None = None,
    author: User | None,
    now: datetime,
) -> ContactNote:
    """Remember something the contact told us, dated, and the meeting it came from."""
    note = ContactNote(
        contact_id=contact.id,
        body=body,
        noted_on=noted_on,
        meeting_id=meeting.id if meeting else None,
        author_id=author.id if author else None,
        created_at=now,
    )
    db.session.add(note)
    return note


def notes_for(contact: Contact, limit: int | None = None) -> list[ContactNote]:
    """The contact's notes, newest first."""
    query = (
        select(ContactNote)
        .where(ContactNote.contact_id == contact.id)
        .order_by(ContactNote.noted_on.desc(), ContactNote.created_at.desc(), ContactNote.id.desc())
    )
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def _requests_model():
    """The triage feature's request and request-event models when that feature is installed."""
    try:
        module = importlib.import_module("planner.models.requests")
    except ImportError:
        return None, None
    return getattr(module, "MeetingRequest", None), getattr(module, "RequestEvent", None)


def touches(engagement: Engagement, *, now: datetime) -> dict[int, datetime | None]:
    """For each contact, the last time we were in touch: a meeting or call, a note, a request or reply."""
    contact_ids = [c.id for c in engagement.contacts]
    if not contact_ids:
        return {}
    # Every timed source in one statement; a moment still to come is no touch: left out before the max.
    moments = union_all(*_timed_touches(contact_ids, now)).subquery()
    latest = dict(
        db.session.execute(
            select(moments.c.contact_id, func.max(moments.c.at))
            .where(moments.c.at <= now)
            .group_by(moments.c.contact_id)
        ).all()
    )
    noted = db.session.execute(
        select(ContactNote.contact_id, func.max(ContactNote.noted_on))
        .where(ContactNote.contact_id.in_(contact_ids))
        .group_by(ContactNote.contact_id)
    ).all()
    # A note is dated by day: count it from that day's start in the engagement's zone (a note today is today).
    tz = engagement.tz
    by_note = {cid: datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC) for cid, day in noted if day}
    return {cid: last_touch((latest.get(cid), by_note.get(cid)), now=now) for cid in contact_ids}


def _timed_touches(contact_ids: list[int], now: datetime) -> list:
    """(contact_id, at) selects: meetings they attended, what they told us, their requests, our replies."""
    sources = [
        select(MeetingAttendee.contact_id.label("contact_id"), Meeting.starts_at.label("at")).where(
            MeetingAttendee.meeting_id == Meeting.id,
            MeetingAttendee.contact_id.in_(contact_ids),
            Meeting.status != "cancelled",
            Meeting.starts_at <= now,
        ),
        select(Commitment.contact_id, Commitment.client_told_at).where(
            Commitment.contact_id.in_(contact_ids), Commitment.client_told_at.is_not(None)
        ),
    ]
    request_model, event_model = _requests_model()
    if request_model is not None:
        # They asked (a request) or we answered (a reply): both are contact.
        sources.append(
            select(request_model.contact_id, request_model.submitted_at).where(
                request_model.contact_id.in_(contact_ids)
            )
        )
        if event_model is not None:
            sources.append(
                select(request_model.contact_id, event_model.created_at).where(
                    event_model.request_id == request_model.id,
                    event_model.kind == "replied",
                    request_model.contact_id.in_(contact_ids),
                )
            )
    return sources


@dataclass(frozen=True)
class ContactStatus:
    """A contact with the last time we were in touch and whether they have gone quiet."""

    contact: Contact
    last_touch: datetime | None
    days: int | None
    quiet: bool


def contact_statuses(engagement: Engagement, *, now: datetime) -> list[ContactStatus]:
    """Every contact of the engagement with their quiet flag, quiet ones first, then by name."""
    last = touches(engagement, now=now)
    out = [
        ContactStatus(
            contact=c,
            last_touch=last.get(c.id),
            days=days_since(last.get(c.id), now=now),
            quiet=is_quiet(last.get(c.id), c.created_at, now=now, quiet_days=engagement.quiet_days),
        )
        for c in engagement.contacts
    ]
    return sorted(out, key=lambda s: (not s.quiet, s.contact.name.casefold()))


def quiet_contacts(engagement: Engagement, *, now: datetime) -> list[ContactStatus]:
    """The contacts we have not been in touch with for the engagement's quiet days."""
    return [s for s in contact_statuses(engagement, now=now) if s.quiet]
