"""Answers kept for API calls sent with an Idempotency-Key, so that a retry gets the same answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from planner.extensions import db
from planner.models.base import UTCDateTime, utcnow

KEY_MAX = 255


class IdempotentAnswer(db.Model):
    """The answer a caller's first call with a key got, written in the same transaction as its change."""

    __tablename__ = "idempotent_answers"
    __table_args__ = (
        UniqueConstraint("user_id", "scope", "key", name="uq_idempotent_answers_user_scope_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The method and path the key was sent to: the same key on another route is another call.
    scope: Mapped[str] = mapped_column(String(300))
    key: Mapped[str] = mapped_column(String(KEY_MAX))
    body_digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    # The JSON answer and its headers (Location, ETag), as sent; secrets such as a feed token left out.
    body: Mapped[str] = mapped_column(Text)
    headers: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
