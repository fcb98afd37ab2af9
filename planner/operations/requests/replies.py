"""Drafting, keeping and sending a request's reply, and telling the team a request came in."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from planner.commitments import is_open
from planner.extensions import db
from planner.mailer import MailError, send_mail
from planner.models import AgendaItem, Contact, Engagement, Meeting, User
from planner.models.commitments import Commitment
from planner.models.requests import MeetingRequest
from planner.operations.requests.common import STATUS_DAYS, record_event
from planner.operations.requests.context import answering_member, meeting_of, triage_settings
from planner.purpose import is_vague
from planner.replies.requests import (
    Addressee,
    MeetingRef,
    Reply,
    ReplyInput,
    Sender,
    draft_reply,
    reply_language,
)
from planner.replies.status import CommitmentRef, StatusMeeting, StatusSummary
from planner.triage import (
    answer_day,
)

MILESTONE_KINDS = ("kickoff", "requirements", "design_review", "review", "acceptance")


def _made_for_requests(engagement_id: int) -> select:
    """Meetings a request was put on the schedule as (a call or a meeting made for it, or booked)."""
    return select(MeetingRequest.meeting_id).where(
        MeetingRequest.engagement_id == engagement_id,
        MeetingRequest.outcome.in_(("call", "meeting")),
        MeetingRequest.meeting_id.is_not(None),
    )


def _others_requests(engagement_id: int, contact: Contact | None) -> select:
    """Requests of the engagement made by someone other than this contact."""
    query = select(MeetingRequest.id).where(MeetingRequest.engagement_id == engagement_id)
    if contact is not None:
        query = query.where(or_(MeetingRequest.contact_id.is_(None), MeetingRequest.contact_id != contact.id))
    return query


def status_summary(engagement: Engagement, *, now: datetime, contact: Contact | None = None) -> StatusSummary:
    """Where things stand for this contact: what is agreed with the client, nothing of other people's asks.

    Confirmed client meetings only (not internal, not calls, not made for a request), milestones first;
    open agenda items that are news (an item every meeting of a series carries is routine, and an item born
    from another contact's request is theirs); open commitments between us and the contact's organisation.
    """
    meetings = db.session.scalars(
        select(Meeting)
        .where(
            Meeting.engagement_id == engagement.id,
            Meeting.starts_at >= now,
            Meeting.starts_at <= now + timedelta(days=STATUS_DAYS),
            Meeting.status == "confirmed",
            Meeting.internal.is_(False),
            Meeting.kind != "call",
            Meeting.id.not_in(_made_for_requests(engagement.id)),
        )
        .options(selectinload(Meeting.agenda))
        .order_by(Meeting.starts_at)
        .limit(6)
    ).all()
    refs = tuple(
        StatusMeeting(
            m.title, "" if is_vague(m.purpose) else m.purpose, m.starts_at, m.kind in MILESTONE_KINDS
        )
        for m in meetings
    )
    theirs = set(
        db.session.scalars(
            select(MeetingRequest.agenda_item_id).where(
                MeetingRequest.id.in_(_others_requests(engagement.id, contact)),
                MeetingRequest.agenda_item_id.is_not(None),
            )
        )
    )
    routine = _routine_items(engagement.id, {_series(m.kind, m.purpose) for m in meetings})
    items = tuple(
        (m.title, item.title)
        for m in meetings
        for item in m.agenda
        if not item.done
        and item.id not in theirs
        and (_series(m.kind, m.purpose), _same_title(item.title)) not in routine
    )[:10]
    return StatusSummary(
        meetings=refs, open_items=items, commitments=tuple(_open_commitments(engagement, contact))
    )


def _series(kind: str, purpose: str) -> tuple[str, str]:
    # Meetings of one series share their kind and purpose (their titles are numbered: 定例 第3回).
    return kind, _same_title(purpose)


def _routine_items(engagement_id: int, series: set[tuple[str, str]]) -> set[tuple[tuple[str, str], str]]:
    """(series, item) pairs that more than one meeting of a series carries, past meetings included."""
    rows = db.session.execute(
        select(Meeting.id, Meeting.kind, Meeting.purpose, AgendaItem.title.label("item"))
        .join(AgendaItem, AgendaItem.meeting_id == Meeting.id)
        .where(Meeting.engagement_id == engagement_id, Meeting.status != "cancelled")
    ).all()
    carried = {
        (_series(r.kind, r.purpose), _same_title(r.item), r.id)
        for r in rows
        if _series(r.kind, r.purpose) in series
    }
    per_series = Counter((title, item) for title, item, _meeting in carried)
    return {pair for pair, count in per_series.items() if count > 1}


def _open_commitments(engagement: Engagement, contact: Contact | None) -> list[CommitmentRef]:
    """Open promises between us and the contact's organisation, none born from another contact's request."""
    rows = db.session.scalars(
        select(Commitment)
        .where(Commitment.engagement_id == engagement.id)
        .options(selectinload(Commitment.contact))
        .order_by(Commitment.due_at)
    ).all()
    others = set(db.session.scalars(_others_requests(engagement.id, contact))) if contact else set()
    organisation = (contact.organisation if contact else "").strip()
    found = []
    for row in rows:
        if not is_open(row.status) or (row.request_id and row.request_id in others):
            continue
        elsewhere = contact is not None and row.contact is not None and row.contact.id != contact.id
        if elsewhere and (not organisation or row.contact.organisation.strip() != organisation):
            continue
        found.append(CommitmentRef(row.title, row.owed_by, row.revised_due_at or row.due_at))
    return found[:10]


def _same_title(title: str) -> str:
    return " ".join(title.split()).casefold()


def sender_of(user: User | None) -> Sender | None:
    """The member's signature as their profile gives it."""
    if user is None:
        return None
    return Sender(user.name or "", user.company or "", user.title or "", user.phone or "", user.email or "")


def meeting_ref(meeting: Meeting) -> MeetingRef:
    """A meeting as a reply mentions it; a purpose that says nothing is left out."""
    return MeetingRef(
        meeting.title,
        "" if is_vague(meeting.purpose) else meeting.purpose,
        meeting.starts_at,
        meeting.duration_minutes,
        meeting.desired_outcome,
        meeting.location,
        meeting.conference_url,
    )


def draft_for(
    req: MeetingRequest,
    *,
    now: datetime,
    sender: User | None = None,
    meeting: MeetingRef | None = None,
    booking_url: str | None = None,
) -> Reply:
    """The drafted reply for the request's current outcome, in the contact's language and zone.

    `sender` signs it (else the member who answers the request); `meeting` describes the agenda item's meeting
    when the caller already has it at hand.
    """
    engagement = req.engagement
    contact = req.contact
    language = reply_language(contact.language if contact else None, engagement.language)
    if sender is None and (member := answering_member(req)) is not None:
        sender = db.session.get(User, member)
    to = Addressee(
        name=(contact.name if contact else req.requester_name) or "",
        organisation=(contact.organisation if contact else "") or engagement.client_name or "",
        department=contact.department if contact else "",
        role=contact.role if contact else "",
    )
    data = req.decision or {}
    if req.outcome == "agenda_item" and meeting is None:
        found = meeting_of(req)
        meeting = meeting_ref(found) if found is not None else None
    status = None
    if req.outcome == "email" and answers_with_status(req):
        status = status_summary(engagement, now=now, contact=contact)
    if req.outcome == "email" and not data.get("answer_by"):
        data = dict(data) | {"answer_by": answer_by_day(req, engagement, now).isoformat()}
    return draft_reply(
        ReplyInput(
            outcome=req.outcome,
            topic=req.topic,
            language=language,
            zone=(contact.timezone if contact else "") or engagement.timezone,
            now=now,
            decision=data,
            reasons=tuple(req.reasons or ()),
            minutes=req.proposed_minutes or req.expected_minutes,
            to=to,
            sender=sender_of(sender),
            meeting=meeting,
            status=status,
            booking_url=booking_url,
            needed_by=req.needed_by,
            home_zone=engagement.timezone,
        )
    )


def answers_with_status(req: MeetingRequest) -> bool:
    """A mail that is itself the answer: where things stand, for a client who asked only that."""
    return req.rule == "R2" or set(req.reasons or []) == {"status_update"}


def answer_by_day(req: MeetingRequest, engagement: Engagement, now: datetime) -> date:
    """The day a written answer is promised: a simple question's the same day when asked early enough."""
    simple = (req.decision or {}).get("rule") == "R5"
    return answer_day(now, triage_settings(engagement), same_day=simple)


def redraft(
    req: MeetingRequest,
    *,
    now: datetime,
    sender: User | None,
    meeting: MeetingRef | None = None,
    booking_url: str | None = None,
) -> None:
    """Draft the reply again for the request's outcome, and note when."""
    reply = draft_for(req, now=now, sender=sender, meeting=meeting, booking_url=booking_url)
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
