"""Engagements, their meetings, attendees and agenda items."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planner.extensions import db
from planner.models.base import UTCDateTime, utcnow
from planner.models.people import Contact, Membership, User

KINDS = ("kickoff", "requirements", "design_review", "status", "review", "acceptance", "call", "other")
STATUSES = ("tentative", "confirmed", "cancelled", "held")


class Engagement(db.Model):
    __tablename__ = "engagements"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    client_name: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Tokyo")
    country: Mapped[str | None] = mapped_column(String(2))
    language: Mapped[str] = mapped_column(String(2), default="ja")
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    # Bumped whenever anything a calendar sees changes: feeds and sync key off it.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # Bumped at commit by any change to the engagement's rows (planner/models/activity.py): pages key off it.
    activity: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Triage, warning and feed settings, per engagement.
    call_max_minutes: Mapped[int] = mapped_column(Integer, default=30)
    agenda_horizon_days: Mapped[int] = mapped_column(Integer, default=14)
    agenda_lead_hours: Mapped[int] = mapped_column(Integer, default=24)
    urgent_hours: Mapped[int] = mapped_column(Integer, default=48)
    warning_working_days: Mapped[int] = mapped_column(Integer, default=2)
    quiet_days: Mapped[int] = mapped_column(Integer, default=30)
    cancelled_feed_days: Mapped[int] = mapped_column(Integer, default=30)
    simple_question_minutes: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    many_people: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    new_work_minutes: Mapped[int] = mapped_column(Integer, default=60, server_default="60")
    estimate_working_days: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    # Kept free of calls and meetings proposed by triage, wall-clock in the engagement's zone.
    lunch_from: Mapped[time | None] = mapped_column(Time)
    lunch_until: Mapped[time | None] = mapped_column(Time)
    # Who answers the client's requests from the schedule page (default: the first owner).
    requests_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", name="fk_engagements_requests_user", ondelete="SET NULL")
    )

    members: Mapped[list[Membership]] = relationship(
        back_populates="engagement", cascade="all, delete-orphan"
    )
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="engagement", cascade="all, delete-orphan", order_by="Contact.name"
    )
    meetings: Mapped[list[Meeting]] = relationship(
        back_populates="engagement", cascade="all, delete-orphan", order_by="Meeting.starts_at"
    )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def bump_revision(self, now: datetime) -> None:
        """Mark the schedule changed; the increment runs in SQL so concurrent writers never lose one."""
        if self.id is None:
            # Not inserted yet (an engagement and its meetings built in one transaction): no row to
            # increment in SQL, and no other writer can see it.
            self.revision = (self.revision or 1) + 1
        else:
            self.revision = Engagement.revision + 1
        self.updated_at = now

    def membership_of(self, user: User) -> Membership | None:
        return next((m for m in self.members if m.user_id == user.id), None)


def new_uid() -> str:
    """A globally unique, never reused iCalendar UID."""
    return f"{uuid.uuid4()}@planner"


class Meeting(db.Model):
    __tablename__ = "meetings"
    __table_args__ = (Index("ix_meetings_engagement_start", "engagement_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagements.id", ondelete="CASCADE"))
    uid: Mapped[str] = mapped_column(String(255), unique=True, default=new_uid)
    title: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text)
    desired_outcome: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20), default="other")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    location: Mapped[str] = mapped_column(String(300), default="")
    conference_url: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(10), default="tentative")
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    internal_notes: Mapped[str] = mapped_column(Text, default="")
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    purpose_missing: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    engagement: Mapped[Engagement] = relationship(back_populates="meetings")
    agenda: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="AgendaItem.position"
    )
    attendees: Mapped[list[MeetingAttendee]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan"
    )

    # A stale edit fails with StaleDataError instead of silently overwriting a newer one.
    __mapper_args__ = {"version_id_col": version}

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def agenda_minutes(self) -> int:
        return sum(item.minutes for item in self.agenda)

    @property
    def free_minutes(self) -> int:
        return self.duration_minutes - self.agenda_minutes

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(self.engagement.tz)

    @property
    def local_end(self) -> datetime:
        return self.ends_at.astimezone(self.engagement.tz)

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"


class MeetingAttendee(db.Model):
    __tablename__ = "meeting_attendees"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    meeting: Mapped[Meeting] = relationship(back_populates="attendees")
    contact: Mapped[Contact | None] = relationship()
    user: Mapped[User | None] = relationship()


class AgendaItem(db.Model):
    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    minutes: Mapped[int] = mapped_column(Integer, default=10)
    notes: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting: Mapped[Meeting] = relationship(back_populates="agenda")
