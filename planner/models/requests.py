"""Ad-hoc meeting requests from clients, their triage decision, drafted reply and history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planner.extensions import db
from planner.models.base import UTCDateTime, utcnow
from planner.models.people import Contact, User
from planner.models.schedule import Engagement, Meeting

CHANNELS = ("client_page", "phone", "email", "chat", "in_person", "api")
FORMATS = ("any", "phone", "video", "in_person", "email")
STATUSES = ("received", "triaged", "applied", "replied", "failed_triage")
# Requests still waiting for the team: not yet applied and answered.
OPEN_STATUSES = ("received", "triaged", "applied", "failed_triage")
# What a request may say; the forms and the API check the same bounds.
TOPIC_MAX, DETAILS_MAX, NAME_MAX, EMAIL_MAX = 300, 4000, 120, 254
MINUTES_RANGE, PEOPLE_RANGE = (5, 480), (1, 100)
IDEMPOTENCY_KEY_MAX = 255
EVENT_KINDS = ("received", "triaged", "overridden", "applied", "booked", "other_times", "replied", "error")


class MeetingRequest(db.Model):
    """A request for a meeting, kept exactly as submitted, with what the team decided to do about it."""

    __tablename__ = "meeting_requests"
    __table_args__ = (
        Index("ix_meeting_requests_engagement_status", "engagement_id", "status"),
        Index("uq_meeting_requests_idempotency_key", "engagement_id", "idempotency_key", unique=True),
        Index("uq_meeting_requests_page_token_hash", "page_token_hash", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagements.id", ondelete="CASCADE"))
    # What the client asked.
    topic: Mapped[str] = mapped_column(String(300))
    details: Mapped[str] = mapped_column(Text, default="")
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    needed_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expected_minutes: Mapped[int] = mapped_column(Integer, default=15)
    people: Mapped[int] = mapped_column(Integer, default=1)
    preferred_format: Mapped[str] = mapped_column(String(20), default="any")
    # Who asked and how it reached us.
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    requester_name: Mapped[str] = mapped_column(String(120), default="")
    requester_email: Mapped[str] = mapped_column(String(254), default="")
    received_via: Mapped[str] = mapped_column(String(20), default="client_page")
    # The client page's feed; no constraint, feeds belong to another feature and may be revoked.
    feed_id: Mapped[int | None] = mapped_column(Integer)
    # The hash of the secret link of the sender's own page of this request (shown to them once).
    page_token_hash: Mapped[str | None] = mapped_column(String(64))
    logged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The decision: what triage said (`decided_outcome`) and what stands after any override (`outcome`).
    status: Mapped[str] = mapped_column(String(20), default="received")
    outcome: Mapped[str | None] = mapped_column(String(20))
    rule: Mapped[str | None] = mapped_column(String(4))
    decided_outcome: Mapped[str | None] = mapped_column(String(20))
    # The decision as data (rule parameters, notes, promises); its words are written when it is shown.
    decision: Mapped[dict | None] = mapped_column(JSON)
    # phone, video or in_person for a call or meeting; None otherwise.
    format: Mapped[str | None] = mapped_column(String(20))
    # [{"starts_at", "ends_at"}] in UTC ISO 8601, in order of preference, for a call or a meeting.
    proposed_slots: Mapped[list | None] = mapped_column(JSON)
    # The booking link's nonce (its key is derived with the app's secret) and the key's hash, looked up.
    booking_nonce: Mapped[str | None] = mapped_column(String(32))
    booking_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    overridden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The meeting that takes the agenda item, or the call or meeting that applying created.
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_items.id", ondelete="SET NULL"), index=True
    )
    proposed_call_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    proposed_meeting_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    proposed_minutes: Mapped[int] = mapped_column(Integer, default=0)
    minutes_saved: Mapped[int] = mapped_column(Integer, default=0)
    # The drafted reply, as edited by the team.
    reply_subject: Mapped[str] = mapped_column(String(300), default="")
    reply_body: Mapped[str] = mapped_column(Text, default="")
    reply_language: Mapped[str] = mapped_column(String(2), default="en")
    # When it was last drafted: the day an answer by mail promises is counted from then.
    reply_drafted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # An API caller's Idempotency-Key, so that a retried call is received once, and its body's digest.
    idempotency_key: Mapped[str | None] = mapped_column(String(IDEMPOTENCY_KEY_MAX))
    body_digest: Mapped[str | None] = mapped_column(String(64))

    engagement: Mapped[Engagement] = relationship()
    contact: Mapped[Contact | None] = relationship()
    meeting: Mapped[Meeting | None] = relationship()
    logged_by: Mapped[User | None] = relationship(foreign_keys=[logged_by_id])
    overridden_by: Mapped[User | None] = relationship(foreign_keys=[overridden_by_id])
    events: Mapped[list[RequestEvent]] = relationship(
        back_populates="request",
        cascade="all, delete-orphan",
        order_by=lambda: [RequestEvent.created_at, RequestEvent.id],
    )

    @property
    def is_open(self) -> bool:
        """Still waiting for the team: not yet answered."""
        return self.status in OPEN_STATUSES

    @property
    def who(self) -> str:
        """The requester as the team knows them."""
        if self.contact is not None:
            return self.contact.name
        return self.requester_name or self.requester_email

    @property
    def reply_to(self) -> str:
        """The address a reply goes to: the contact's, else the one given on the form."""
        if self.contact is not None and self.contact.email:
            return self.contact.email
        return self.requester_email


class RequestEvent(db.Model):
    """One step in a request's history: received, triaged, overridden, applied, replied, or an error."""

    __tablename__ = "request_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("meeting_requests.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    # What happened as data (codes, ids, titles as they were); its words are written when it is shown.
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    request: Mapped[MeetingRequest] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
