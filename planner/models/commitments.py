"""Commitments with their history, notes about contacts, and what a held meeting achieved."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planner.commitments import current_status
from planner.extensions import db
from planner.models.base import UTCDateTime, utcnow
from planner.models.people import Contact, User
from planner.models.schedule import Engagement, Meeting
from planner.workdays import country_for_zone

OUTCOMES = ("yes", "partly", "no")


class Commitment(db.Model):
    """Something promised by us or by the client.

    `owed_by` says who owes it. Ours: `owner_user_id` is the member who owes it and `contact_id` the
    client contact it is owed to. The client's: `contact_id` owes it and `owner_user_id` follows it up.
    """

    __tablename__ = "commitments"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagements.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    details: Mapped[str] = mapped_column(Text, default="")
    owed_by: Mapped[str] = mapped_column(String(10), default="us")
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="open")
    marked_at_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"), index=True)
    # The request it came from; no constraint, the requests table belongs to the triage feature.
    request_id: Mapped[int | None] = mapped_column(Integer, index=True)
    promised_amount: Mapped[float | None] = mapped_column(Float)
    revised_amount: Mapped[float | None] = mapped_column(Float)
    amount_unit: Mapped[str] = mapped_column(String(20), default="")
    revised_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text, default="")
    client_told_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    engagement: Mapped[Engagement] = relationship()
    owner: Mapped[User | None] = relationship()
    contact: Mapped[Contact | None] = relationship()
    meeting: Mapped[Meeting | None] = relationship()
    events: Mapped[list[CommitmentEvent]] = relationship(
        back_populates="commitment",
        cascade="all, delete-orphan",
        order_by=lambda: [CommitmentEvent.created_at.desc(), CommitmentEvent.id.desc()],
    )

    def current_status(self, now: datetime) -> str:
        """The status as of `now`, with the engagement's warning window and holidays."""
        engagement = self.engagement
        return current_status(
            self.status,
            self.due_at,
            self.done_at,
            self.marked_at_risk,
            now=now,
            warning_working_days=engagement.warning_working_days,
            country=engagement.country or country_for_zone(engagement.timezone),
            zone=engagement.timezone,
            promised_amount=self.promised_amount,
            revised_amount=self.revised_amount,
            revised_due_at=self.revised_due_at,
        )

    @property
    def owner_name(self) -> str:
        """Who owes it, in words: the member or the contact."""
        if self.owed_by == "us":
            return self.owner.display_name if self.owner else ""
        return self.contact.name if self.contact else ""


class CommitmentEvent(db.Model):
    """One change to a commitment, with the values before and after: nothing typed is lost."""

    __tablename__ = "commitment_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    commitment: Mapped[Commitment] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class ContactNote(db.Model):
    """Something a contact told us, dated, and the meeting it came from."""

    __tablename__ = "contact_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    noted_on: Mapped[date] = mapped_column(Date)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contact: Mapped[Contact] = relationship()
    meeting: Mapped[Meeting | None] = relationship()
    author: Mapped[User | None] = relationship()


class MeetingOutcome(db.Model):
    """Whether a held meeting reached its desired outcome, why, and the decisions taken."""

    __tablename__ = "meeting_outcomes"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    reached: Mapped[str] = mapped_column(String(10))
    why: Mapped[str] = mapped_column(Text, default="")
    decisions: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Earlier versions, oldest first, so that correcting an outcome never loses what was written.
    previous: Mapped[list | None] = mapped_column(JSON)

    meeting: Mapped[Meeting] = relationship()
    recorded_by: Mapped[User | None] = relationship()
