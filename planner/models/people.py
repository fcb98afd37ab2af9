"""Users, API tokens, engagement membership and client contacts."""

from __future__ import annotations

from datetime import datetime, time
from time import time as unix_seconds
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from planner.extensions import db
from planner.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from planner.models.schedule import Engagement

ROLES = ("viewer", "member", "owner")
LANGUAGES = ("ja", "en")
CHANNELS = ("phone", "email", "chat", "video", "in_person")
READERS = ("self", "manager", "committee")
FORMATS = ("prose", "diagrams")


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(5))
    # What their replies are signed with.
    company: Mapped[str] = mapped_column(String(200), default="", server_default="")
    title: Mapped[str] = mapped_column(String(120), default="", server_default="")
    phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Part of every session and remember cookie: raising it ends them all (logout, password change, reset).
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    # When the login behind this object began (Unix seconds), as its cookie says; not a column.
    login_stamp = None
    __hash__ = object.__hash__

    def get_id(self) -> str:
        """What a session or remember cookie holds: the id, the session version and when the login began."""
        return f"{self.id}.{self.session_version or 1}.{self.login_stamp or int(unix_seconds())}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, User) and self.id == other.id

    @property
    def display_name(self) -> str:
        return self.name or self.email


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("engagement_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagements.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(10), default="member")

    engagement: Mapped[Engagement] = relationship(back_populates="members")
    user: Mapped[User] = relationship(back_populates="memberships")

    def allows(self, role: str) -> bool:
        """True when this membership's role is at least `role`."""
        return ROLES.index(self.role) >= ROLES.index(role)


class Invitation(db.Model):
    """A place on an engagement offered to an email address; a membership at that person's next login."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("engagement_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagements.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[str] = mapped_column(String(10), default="member")
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Contact(db.Model):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagements.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    department: Mapped[str] = mapped_column(String(200), default="", server_default="")
    role: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    language: Mapped[str] = mapped_column(String(2), default="ja")
    preferred_channel: Mapped[str] = mapped_column(String(10), default="email")
    notes: Mapped[str] = mapped_column(Text, default="")
    readers: Mapped[str | None] = mapped_column(String(10))
    prefers_format: Mapped[str | None] = mapped_column(String(10))
    # Where they are (an IANA name); empty means the engagement's zone.
    timezone: Mapped[str] = mapped_column(String(64), default="", server_default="")
    # When they take calls, wall-clock in their zone: a proposed call falls inside these hours.
    call_from: Mapped[time | None] = mapped_column(Time)
    call_until: Mapped[time | None] = mapped_column(Time)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    engagement: Mapped[Engagement] = relationship(back_populates="contacts")

    @property
    def call_hours(self) -> tuple[time, time] | None:
        """The hours they take calls, when both ends are known."""
        if self.call_from is None or self.call_until is None:
            return None
        return self.call_from, self.call_until
