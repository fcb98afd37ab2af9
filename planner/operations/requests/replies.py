"""Drafting, keeping and sending a request's reply, and telling the team a request came in."""

from __future__ import annotations

import importlib
from collections import Counter
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from planner.extensions import db
from planner.mailer import MailError, send_mail
from planner.models import Engagement, Meeting, User
from planner.models.requests import MeetingRequest
from planner.operations.requests.common import STATUS_DAYS, record_event
from planner.operations.requests.context import meeting_of, triage_settings
from planner.replies.requests import (
    CommitmentRef,
    MeetingRef,
    Reply,
    StatusSummary,
    draft_reply,
    proposed_purpose,
    reply_language,
)
from planner.triage import (
    answer_day,
)


def _open_commitments(engagement: Engagement) -> list[CommitmentRef]:
    """Open commitments when the commitments feature is installed; none otherwise."""
    try:
        model = importlib.import_module("planner.models.commitments").Commitment
        rules = importlib.import_module("planner.commitments")
    except (ImportError, AttributeError):
        return []
    rows = db.session.scalars(
        select(model).where(model.engagement_id == engagement.id).order_by(model.due_at)
    ).all()
    return [
        CommitmentRef(row.title, row.owed_by, getattr(row, "revised_due_at", None) or row.due_at)
        for row in rows
        if rules.is_open(row.status)
    ][:10]


def status_summary(engagement: Engagement, *, now: datetime) -> StatusSummary:
    """Where things stand for the client: next meetings with purposes, open agenda items, commitments."""
    meetings = db.session.scalars(
        select(Meeting)
        .where(
            Meeting.engagement_id == engagement.id,
            Meeting.starts_at >= now,
            Meeting.starts_at <= now + timedelta(days=STATUS_DAYS),
            Meeting.status != "cancelled",
            Meeting.internal.is_(False),
        )
        .options(selectinload(Meeting.agenda))
        .order_by(Meeting.starts_at)
        .limit(5)
    ).all()
    refs = tuple(
        MeetingRef(m.title, m.purpose, m.starts_at, m.duration_minutes, m.desired_outcome) for m in meetings
    )
    open_items = [(m.title, item.title) for m in meetings for item in m.agenda if not item.done]
    # An item on more than one of these meetings is the series' routine (progress report, last actions),
    # not news for someone asking where things stand.
    seen = Counter(_same_title(title) for _meeting, title in open_items)
    items = tuple(pair for pair in open_items if seen[_same_title(pair[1])] == 1)[:10]
    return StatusSummary(meetings=refs, open_items=items, commitments=tuple(_open_commitments(engagement)))


def _same_title(title: str) -> str:
    return " ".join(title.split()).casefold()


def draft_for(
    req: MeetingRequest, *, now: datetime, sender: User | None = None, meeting: MeetingRef | None = None
) -> Reply:
    """The drafted reply for the request's current outcome, in the contact's language.

    `meeting` describes the agenda item's meeting when the caller already has it at hand.
    """
    engagement = req.engagement
    language = reply_language(req.contact.language if req.contact else None, engagement.language)
    common = {
        "topic": req.topic,
        "language": language,
        "zone": engagement.timezone,
        "now": now,
        "contact_name": req.contact.name if req.contact else req.requester_name,
        "sender_name": sender.name if sender else None,
        "minutes": req.proposed_minutes or req.expected_minutes,
        "complaint": "problem_or_complaint" in (req.reasons or []),
    }
    if req.outcome == "agenda_item":
        if meeting is None:
            found = meeting_of(req)
            meeting = MeetingRef(found.title, found.purpose, found.starts_at, found.duration_minutes)
        return draft_reply("agenda_item", meeting=meeting, **common)
    if req.outcome == "call":
        their_zone = req.contact.timezone if req.contact else None
        return draft_reply("call", call_at=req.proposed_call_at, their_zone=their_zone or None, **common)
    if req.outcome == "meeting":
        m = meeting_of(req)
        if m is not None:
            ref = MeetingRef(m.title, m.purpose, m.starts_at, m.duration_minutes, m.desired_outcome)
        else:
            purpose, outcome = proposed_purpose(req.topic, tuple(req.reasons or ()), language)
            ref = MeetingRef(req.topic, purpose, req.proposed_meeting_at, req.proposed_minutes, outcome)
        return draft_reply("meeting", meeting=ref, **common)
    if answers_with_status(req):
        return draft_reply("email", status=status_summary(engagement, now=now), **common)
    return draft_reply("email", answer_by=answer_by_day(req, engagement, now), **common)


def answers_with_status(req: MeetingRequest) -> bool:
    """A mail that is itself the answer: where things stand, for a client who asked only that."""
    return req.rule == "R2" or set(req.reasons or []) == {"status_update"}


def answer_by_day(req: MeetingRequest, engagement: Engagement, now: datetime) -> date:
    """The day a written answer is promised: a simple question's the same day when asked early enough."""
    simple = (req.decision or {}).get("rule") == "R5"
    return answer_day(now, triage_settings(engagement), same_day=simple)


def redraft(
    req: MeetingRequest, *, now: datetime, sender: User | None, meeting: MeetingRef | None = None
) -> None:
    reply = draft_for(req, now=now, sender=sender, meeting=meeting)
    req.reply_subject, req.reply_body, req.reply_language = reply.subject[:300], reply.body, reply.language
    req.reply_drafted_at = now


def save_reply(req: MeetingRequest, *, subject: str, body: str, now: datetime) -> None:
    """Keep the team's edits to the drafted reply."""
    req.reply_subject = subject.strip()[:300]
    req.reply_body = body
    req.updated_at = now


def mark_replied(
    req: MeetingRequest, *, actor: User, now: datetime, how: str = "own_mail", to: str = ""
) -> None:
    """Record that the reply went out: "mail" from the planner (to an address), or "own_mail"."""
    req.replied_at = now
    req.status = "replied"
    record_event(req, "replied", {"how": how, "to": to}, actor=actor, now=now)


def send_reply(req: MeetingRequest, config, *, actor: User, now: datetime) -> bool:
    """Send the reply over SMTP; a failure is recorded in the history and nothing else changes."""
    to = req.reply_to
    if not to:
        record_event(req, "error", {"code": "no_address"}, actor=actor, now=now)
        return False
    try:
        send_mail(config, to=to, subject=req.reply_subject, body=req.reply_body, reply_to=actor.email)
    except MailError as error:
        record_event(req, "error", {"code": "mail_failed", "message": str(error)}, actor=actor, now=now)
        return False
    mark_replied(req, actor=actor, now=now, how="mail", to=to)
    return True


_OUTCOME_WORDS = {
    "agenda_item": _l("an item on a planned meeting"),
    "call": _l("a call"),
    "email": _l("an answer by mail"),
    "meeting": _l("a meeting of its own"),
}


def notify_team(req: MeetingRequest, config, *, link: str, now: datetime) -> int:
    """Mail the engagement's members and owners that a request came in; returns how many mails went out.

    Each mail is in the member's language. A mail that fails is noted in the request's history; the
    request itself is untouched.
    """
    from flask_babel import force_locale
    from flask_babel import gettext as _

    sent = 0
    for membership in req.engagement.members:
        user = membership.user
        if not membership.allows("member") or not user.email:
            continue
        with force_locale(user.locale or "en"):
            subject = _("Meeting request: %(topic)s", topic=req.topic)
            lines = [
                _(
                    "%(who)s asked for a meeting (%(engagement)s).",
                    who=req.who,
                    engagement=req.engagement.name,
                ),
                "",
                _("Topic: %(topic)s", topic=req.topic),
            ]
            if req.details:
                lines.append(req.details)
            if req.outcome:
                lines.append(
                    _(
                        "Suggested: %(outcome)s (rule %(rule)s).",
                        outcome=_OUTCOME_WORDS[req.outcome],
                        rule=req.rule,
                    )
                )
            else:
                lines.append(_("The planner could not decide this one: please choose an outcome."))
            lines += ["", _("Review it, apply it and reply: %(link)s", link=link)]
        try:
            send_mail(config, to=user.email, subject=subject, body="\n".join(lines))
        except MailError as error:
            data = {"code": "team_not_notified", "address": user.email, "message": str(error)}
            record_event(req, "error", data, actor=None, now=now)
        else:
            sent += 1
    return sent
