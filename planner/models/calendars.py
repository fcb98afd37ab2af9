"""CalDAV calendar links, per-meeting sync state and conflict records."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planner.extensions import db
from planner.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from planner.models.schedule import Engagement, Meeting

ON_CANCEL = ("status", "delete")


class CalendarLink(db.Model):
    """A CalDAV calendar that an engagement's schedule syncs with, both ways."""

    __tablename__ = "calendar_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagements.id", ondelete="CASCADE"), index=True)
    server_url: Mapped[str] = mapped_column(String(500))
    username: Mapped[str] = mapped_column(String(200), default="")
    # The password, Fernet-encrypted with CALDAV_SECRET_KEY; never shown back.
    secret: Mapped[str] = mapped_column(Text, default="")
    calendar_url: Mapped[str] = mapped_column(String(500))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    on_cancel: Mapped[str] = mapped_column(String(10), default="status")
    sync_token: Mapped[str | None] = mapped_column(Text)
    ctag: Mapped[str | None] = mapped_column(String(255))
    last_full_listing_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last failure: in English for logs, and as a code with its parameters for the pages.
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_code: Mapped[str | None] = mapped_column(String(40))
    last_error_params: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # JSON counts of the last run (pushed, pulled, conflicts, requests...), for the status page.
    last_counts: Mapped[str] = mapped_column(Text, default="{}")
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # At most one sync per link: taken and released with conditional UPDATEs on this row.
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    engagement: Mapped[Engagement] = relationship()
    states: Mapped[list[SyncState]] = relationship(back_populates="link", cascade="all, delete-orphan")

    @property
    def error_params(self) -> dict:
        try:
            return dict(json.loads(self.last_error_params or "{}"))
        except ValueError:
            return {}

    @property
    def counts(self) -> dict:
        try:
            return json.loads(self.last_counts or "{}")
        except ValueError:
            return {}


class SyncState(db.Model):
    """What was last agreed with one calendar for one meeting: where it lives and what it held."""

    __tablename__ = "calendar_sync_states"
    __table_args__ = (
        UniqueConstraint("link_id", "meeting_id", name="uq_calendar_sync_states_link_meeting"),
        UniqueConstraint("link_id", "href", name="uq_calendar_sync_states_link_href"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("calendar_links.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    # The UID on that calendar: the meeting's, or a fresh one after the event was deleted there
    # (several servers refuse to re-create a deleted UID).
    uid: Mapped[str] = mapped_column(String(255))
    href: Mapped[str] = mapped_column(String(1000))
    etag: Mapped[str | None] = mapped_column(String(255))
    schedule_tag: Mapped[str | None] = mapped_column(String(255))
    pushed_sequence: Mapped[int | None] = mapped_column(Integer)
    pushed_hash: Mapped[str | None] = mapped_column(String(64))
    # The normalised fields both sides agreed on: the common ancestor of a field-by-field merge.
    base: Mapped[str | None] = mapped_column(Text)
    removed_on_server: Mapped[bool] = mapped_column(Boolean, default=False)
    # The server refused to store this meeting (a precondition such as valid-calendar-data, or a
    # bare status): it stays pending and is tried again when it changes or at the next full listing.
    refused: Mapped[str | None] = mapped_column(String(80))
    refused_detail: Mapped[str | None] = mapped_column(Text)
    refused_sequence: Mapped[int | None] = mapped_column(Integer)
    # One occurrence of a repeating event on the server: the original start (UTC ISO, or a date);
    # the href is then the series' resource followed by "#occurrence=" and this value.
    recurrence_id: Mapped[str | None] = mapped_column(String(40))
    # The ORGANIZER and ATTENDEE lines of an event made elsewhere (JSON), written back with it so an
    # invitation keeps its organizer and guests.
    kept: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    link: Mapped[CalendarLink] = relationship(back_populates="states")
    meeting: Mapped[Meeting] = relationship()

    @property
    def resource_href(self) -> str:
        """The server resource: the series' one for an occurrence."""
        return self.href.split("#occurrence=", 1)[0]

    @property
    def base_fields(self) -> dict[str, str] | None:
        try:
            return json.loads(self.base) if self.base else None
        except ValueError:
            return None


class SyncConflict(db.Model):
    """The server's version of a meeting that lost to the planner's, kept for a person to judge."""

    __tablename__ = "calendar_sync_conflicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("calendar_links.id", ondelete="CASCADE"), index=True)
    fields: Mapped[str] = mapped_column(Text, default="[]")
    # The server's iCalendar as served, so nothing typed in a calendar app is lost.
    theirs: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(String(20))

    meeting: Mapped[Meeting] = relationship()
    link: Mapped[CalendarLink] = relationship()

    @property
    def field_list(self) -> list[str]:
        try:
            return list(json.loads(self.fields or "[]"))
        except ValueError:
            return []
