"""The morning digest: each member gets today's briefs, what is late or at risk and the requests waiting for
an answer, by mail."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from planner.digest import AttentionLine, DigestMeeting, WaitingRequest, compose_digest
from planner.extensions import db
from planner.mailer import MailError, send_mail
from planner.models import Engagement, Meeting, User
from planner.operations.briefs import meeting_brief
from planner.operations.commitments import attention
from planner.operations.requests import open_requests, urgency

log = logging.getLogger(__name__)


@dataclass
class DigestResult:
    """What a digest run did: the addresses mailed and those that failed (never a secret)."""

    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _link(base_url: str | None, path: str) -> str:
    return f"{base_url.rstrip('/')}{path}" if base_url else ""


def todays_meetings(engagement: Engagement, *, now: datetime) -> list[Meeting]:
    """Meetings of the engagement on today's date in its own zone, not cancelled, by start."""
    tz = engagement.tz
    start = datetime.combine(now.astimezone(tz).date(), datetime.min.time(), tzinfo=tz)
    return list(
        db.session.scalars(
            select(Meeting)
            .where(
                Meeting.engagement_id == engagement.id,
                Meeting.starts_at >= start,
                Meeting.starts_at < start + timedelta(days=1),
                Meeting.status != "cancelled",
            )
            .order_by(Meeting.starts_at)
        )
    )


def _goes_to(meeting: Meeting, user: User) -> bool:
    """A member goes to a meeting that lists them; a meeting that lists no member is for the whole team."""
    members = [a.user_id for a in meeting.attendees if a.user_id]
    return not members or user.id in members


def build_digests(*, now: datetime, base_url: str | None = None) -> list[tuple[User, str, str]]:
    """(user, subject, body) for every member with a meeting today, something late or at risk, or a request
    waiting for an answer."""
    per_user: dict[int, dict] = {}
    for engagement in db.session.scalars(select(Engagement)):
        meetings = todays_meetings(engagement, now=now)
        warnings = attention(engagement, now=now)
        waiting = [
            WaitingRequest(
                engagement=engagement.name,
                topic=r.topic,
                who=r.who,
                received_at=r.submitted_at,
                needed_by=r.needed_by,
                urgency=urgency(r, engagement, now),
                zone=engagement.timezone,
                link=_link(base_url, f"/requests/{r.id}"),
            )
            for r in open_requests(engagement)
        ]
        if not meetings and not warnings and not waiting:
            continue
        briefs = {m.id: meeting_brief(m, now=now) for m in meetings}
        for membership in engagement.members:
            if membership.role == "viewer":
                continue
            user = membership.user
            entry = per_user.setdefault(
                user.id, {"user": user, "zone": engagement.tz, "meetings": [], "attention": [], "waiting": []}
            )
            entry["waiting"] += waiting
            entry["meetings"] += [
                DigestMeeting(
                    engagement.name,
                    engagement.timezone,
                    briefs[m.id],
                    _link(base_url, f"/meetings/{m.id}/brief"),
                )
                for m in meetings
                if _goes_to(m, user)
            ]
            entry["attention"] += [
                AttentionLine(
                    engagement=engagement.name,
                    title=c.title,
                    status=status,
                    owed_by=c.owed_by,
                    due_at=c.due_at,
                    zone=engagement.timezone,
                    client_told=c.client_told_at is not None,
                    link=_link(base_url, f"/commitments/{c.id}"),
                )
                for c, status in warnings
            ]
    out = []
    for entry in per_user.values():
        if not entry["meetings"] and not entry["attention"] and not entry["waiting"]:
            continue
        user = entry["user"]
        language = user.locale or "en"
        meetings = sorted(entry["meetings"], key=lambda d: d.brief.starts_at)
        subject, body = compose_digest(
            language=language,
            name=user.display_name,
            today=now.astimezone(entry["zone"]),
            meetings=meetings,
            attention=entry["attention"],
            waiting=entry["waiting"],
        )
        out.append((user, subject, body))
    return out


def send_digests(config, *, now: datetime) -> DigestResult:
    """Build and send every member's digest; one failing address does not stop the others."""
    result = DigestResult()
    for user, subject, body in build_digests(now=now, base_url=config.get("PUBLIC_URL")):
        try:
            send_mail(config, to=user.email, subject=subject, body=body)
        except MailError as error:
            log.warning("digest to user %s not sent: %s", user.id, error)
            result.failed.append(user.email)
        else:
            result.sent.append(user.email)
    return result
