"""Feed links (create, rotate, revoke, find by token) and importing .ics files into an engagement."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Row, bindparam, select, update

from planner import ical
from planner.extensions import db
from planner.models import AgendaItem, Contact, Engagement, Meeting, User
from planner.models.feeds import FEED_AUDIENCES, FeedLink
from planner.operations.schedule import create_meeting
from planner.tokens import new_token, token_hash

# Writing last_used_at on every poll would turn each feed request into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_IMPORT_EVENTS = 2000

# Stands in for a purpose an imported event did not state, in the engagement's language; the UI flags it.
PURPOSE_PLACEHOLDER = {
    "ja": "（目的が未記入です。この会議で決めること、または作るものを書いてください。）",
    "en": "(Purpose missing: state what this meeting must decide or produce.)",
}


def create_feed(
    engagement: Engagement,
    *,
    label: str,
    audience: str,
    contact: Contact | None = None,
    user: User | None,
    now: datetime,
) -> tuple[FeedLink, str]:
    """A new feed link and its token; only the token's hash is kept, so show the token now or never."""
    if audience not in FEED_AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}")
    if contact is not None and contact.engagement_id != engagement.id:
        raise ValueError("the contact belongs to another engagement")
    token = new_token()
    feed = FeedLink(
        engagement=engagement,
        label=label.strip()[:120],
        audience=audience,
        token_hash=token_hash(token),
        contact=contact,
        created_by=user,
        created_at=now,
    )
    db.session.add(feed)
    return feed, token


def rotate_feed(feed: FeedLink, *, now: datetime) -> str:
    """Give the link a new token; the old one stops working at once (subscribers must re-subscribe)."""
    token = new_token()
    feed.token_hash = token_hash(token)
    feed.revoked_at = None
    feed.last_used_at = None
    return token


def revoke_feed(feed: FeedLink, *, now: datetime) -> bool:
    """Stop the link from working; False if it already was revoked."""
    if feed.revoked_at is not None:
        return False
    feed.revoked_at = now
    return True


def find_feed(token: str | None) -> FeedLink | None:
    """The active feed link of a token, or None (unknown, malformed or revoked)."""
    if not token or len(token) > 200:
        return None
    wanted = token_hash(token)
    feed = db.session.scalar(select(FeedLink).where(FeedLink.token_hash == wanted))
    # The index finds the row; the constant-time check keeps the comparison itself from leaking.
    if feed is None or not hmac.compare_digest(feed.token_hash, wanted) or feed.revoked_at is not None:
        return None
    return feed


def _state_query():
    links, engagements, contacts = FeedLink.__table__, Engagement.__table__, Contact.__table__
    return (
        select(
            links.c.id,
            links.c.token_hash,
            links.c.audience,
            links.c.revoked_at,
            links.c.last_used_at,
            engagements.c.id.label("engagement_id"),
            engagements.c.revision,
            engagements.c.activity,
            engagements.c.updated_at,
            engagements.c.language.label("engagement_language"),
            contacts.c.language.label("contact_language"),
        )
        .select_from(links.join(engagements, engagements.c.id == links.c.engagement_id))
        .outerjoin(contacts, contacts.c.id == links.c.contact_id)
        .where(links.c.token_hash == bindparam("token_hash"))
    )


# Built once: calendar apps poll feeds often, and building the statement costs more than running it.
_STATE_QUERY = _state_query()


def feed_state(token: str | None) -> Row | None:
    """What serving a feed needs, in one query: the link, its engagement's revision and the languages.

    None for an unknown, malformed or revoked token. Columns: id, audience, last_used_at, engagement_id,
    revision, activity, updated_at, engagement_language, contact_language.
    """
    if not token or len(token) > 200:
        return None
    wanted = token_hash(token)
    row = db.session.connection().execute(_STATE_QUERY, {"token_hash": wanted}).first()
    if row is None or not hmac.compare_digest(row.token_hash, wanted) or row.revoked_at is not None:
        return None
    return row


def record_feed_use(feed_id: int, last_used_at: datetime | None, *, now: datetime) -> bool:
    """Note a use of a link last used at `last_used_at`, at most once a minute; True when it wrote."""
    if last_used_at is not None and now - last_used_at < LAST_USED_RESOLUTION:
        return False
    db.session.execute(update(FeedLink).where(FeedLink.id == feed_id).values(last_used_at=now))
    return True


def feed_language(feed: FeedLink) -> str | None:
    """The language of the contact the link was made for, when known."""
    if feed.contact is not None and feed.contact.language in ("ja", "en"):
        return feed.contact.language
    return None


@dataclass
class ImportResult:
    """What an import did: meetings created (some flagged "purpose missing") and events skipped."""

    created: list[Meeting] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def purpose_missing(self) -> list[Meeting]:
        return [m for m in self.created if m.purpose_missing]


def import_calendar(engagement: Engagement, data: bytes, *, now: datetime) -> ImportResult:
    """Create meetings from an .ics file; raises ical.ICalError (having changed nothing) on a bad file."""
    events = ical.parse_calendar(data)
    if len(events) > MAX_IMPORT_EVENTS:
        raise ical.ICalError(
            f"The file has {len(events)} events; at most {MAX_IMPORT_EVENTS} are imported.",
            code="too_many",
            count=len(events),
            limit=MAX_IMPORT_EVENTS,
        )
    own_uids = set(db.session.scalars(select(Meeting.uid).where(Meeting.engagement_id == engagement.id)))
    # Every event is read before anything is created, so a bad event leaves the engagement untouched.
    plan = ical.plan_import(events, existing_uids=own_uids, default_zone=engagement.timezone)
    wanted = [f["uid"] for f in plan.create if f["uid"]]
    taken = set(db.session.scalars(select(Meeting.uid).where(Meeting.uid.in_(wanted)))) if wanted else set()
    placeholder = PURPOSE_PLACEHOLDER.get(engagement.language, PURPOSE_PLACEHOLDER["en"])
    result = ImportResult(skipped=list(plan.skipped))
    for fields in plan.create:
        meeting = create_meeting(
            engagement, _meeting_data(fields, placeholder, fields["uid"] in taken), now=now
        )
        for position, item in enumerate(fields["agenda"], start=1):
            meeting.agenda.append(
                AgendaItem(title=item["title"], minutes=item["minutes"], position=position, created_at=now)
            )
        result.created.append(meeting)
    return result


def _meeting_data(fields: dict, placeholder: str, uid_taken: bool) -> dict:
    purpose = (fields["purpose"] or "").strip()
    ends_at = fields["ends_at"]
    if ends_at <= fields["starts_at"]:
        # A point in time is not a meeting; give it the shortest slot the schedule shows.
        ends_at = fields["starts_at"] + timedelta(minutes=30)
    data = {
        "title": (fields["title"] or fields["uid"] or "—")[:200],
        "purpose": purpose or placeholder,
        "purpose_missing": not purpose,
        "desired_outcome": (fields["desired_outcome"] or "").strip(),
        "kind": fields["kind"] or "other",
        "starts_at": fields["starts_at"],
        "ends_at": ends_at,
        "location": (fields["location"] or "")[:300],
        "conference_url": (fields["conference_url"] or "")[:500],
        "status": fields["status"],
        "internal": fields["internal"],
        # Without our purpose property the description is another tool's text: keep it, for the team only.
        "internal_notes": "" if purpose else fields["description"],
    }
    if fields["uid"] and not uid_taken and len(fields["uid"]) <= 255:
        # Keeping the UID lets calendars that already hold the event recognise it.
        data["uid"] = fields["uid"]
    return data
