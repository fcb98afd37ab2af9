"""Feed links: secret, revocable URLs through which a client or the team subscribes to a schedule."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planner.extensions import db
from planner.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from planner.models.people import Contact, User
    from planner.models.schedule import Engagement

FEED_AUDIENCES = ("client", "team")


class FeedLink(db.Model):
    __tablename__ = "feed_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagements.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(120))
    # "client": no internal meetings or notes; "team": everything.
    audience: Mapped[str] = mapped_column(String(10), default="client")
    # SHA-256 hex of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    # The contact the link was made for: the client page speaks their language.
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    engagement: Mapped[Engagement] = relationship()
    contact: Mapped[Contact | None] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None
