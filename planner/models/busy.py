"""A member's personal calendars, read only for busy times when free slots are proposed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from planner.extensions import db
from planner.models.base import UTCDateTime, utcnow


class BusyCalendar(db.Model):
    """A CalDAV calendar of a member's own; its password is encrypted as the calendar links' are."""

    __tablename__ = "busy_calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    server_url: Mapped[str] = mapped_column(String(500))
    username: Mapped[str] = mapped_column(String(200), default="")
    secret: Mapped[str] = mapped_column(Text, default="")
    calendar_url: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
