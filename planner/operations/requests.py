"""Meeting requests: receive (saved first), triage, override, apply to the schedule, reply.

`receive_request` and `submit_request` commit on their own so that nothing a client typed is lost when
triage, applying or the mailer fails; every other operation leaves the commit to its caller, as usual.
"""

from __future__ import annotations

import importlib
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from planner.extensions import db
from planner.mailer import MailError, send_mail
from planner.models import AgendaItem, Contact, Engagement, Meeting, MeetingAttendee, User
from planner.models.commitments import Commitment
from planner.models.requests import CHANNELS, FORMATS, OPEN_STATUSES, MeetingRequest, RequestEvent
from planner.models.rows import attached
from planner.operations.commitments import create_commitment
from planner.operations.memo import remembered
from planner.operations.request_rows import NewRequest, write_request
from planner.operations.schedule import add_agenda_item, create_meeting
from planner.replies.explanations import MeetingName, explain
from planner.replies.requests import (
    CommitmentRef,
    MeetingRef,
    Reply,
    StatusSummary,
    call_purpose,
    draft_reply,
    proposed_purpose,
    reply_language,
)
from planner.triage import (
    OUTCOMES,
    REASONS,
    Decision,
    MeetingInfo,
    RequestInfo,
    TriageSettings,
    answer_day,
    decide,
    decision_data,
    lunch_for,
    slots_for,
)
from planner.workdays import country_for_zone, local_datetime

log = logging.getLogger(__name__)

REQUEST_FIELDS = (
    "topic",
    "details",
    "reasons",
    "needed_by",
    "expected_minutes",
    "people",
    "preferred_format",
    "contact_id",
    "requester_name",
    "requester_email",
    "idempotency_key",
    "body_digest",
)
# The same request sent again within this many minutes is taken as the one already received.
RESUBMIT_MINUTES = 15
# How far the status summary looks ahead.
STATUS_DAYS = 30
# How far ahead triage looks for a free slot among the engagement's meetings.
SLOT_SEARCH_DAYS = 14


class RequestError(Exception):
    """An operation on a request cannot be done in its current state; the message says why.

    Messages are lazy translations, so that the page shows them in the reader's language.
    """


@dataclass(frozen=True)
class RequestStats:
    """The engagement's requests at a glance: how many are open and the meeting time avoided."""

    open_count: int
    minutes_saved: int

    @property
    def hours_saved(self) -> float:
        """Meeting hours avoided, to one decimal."""
        return round(self.minutes_saved / 60, 1)


def _event(
    req: MeetingRequest | NewRequest, kind: str, detail: str, *, actor: User | None, now: datetime
) -> None:
    req.updated_at = now
    actor_id = actor.id if actor else None
    if isinstance(req, NewRequest):
        req.add_event(kind, detail, actor_id, now)
        return
    event = RequestEvent(kind=kind, detail=detail, actor_id=actor_id, created_at=now)
    if req.id is None or "events" in req.__dict__:
        req.events.append(event)  # new, or its history already loaded: no query either way
    else:
        # Added by id: appending would first load the whole history, which nobody reads here.
        event.request_id = req.id
        db.session.add(event)


def _contact_of(engagement: Engagement, contact_id: int | None) -> Contact | None:
    if not contact_id:
        return None
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.engagement_id != engagement.id:
        raise RequestError(_l("That contact does not belong to this engagement."))
    return contact


def _contact_by_email(engagement: Engagement, email: str) -> Contact | None:
    if not email:
        return None
    return db.session.scalar(
        select(Contact).where(
            Contact.engagement_id == engagement.id, func.lower(Contact.email) == email.strip().lower()
        )
    )


def _new_request(
    engagement: Engagement,
    data: dict[str, Any],
    *,
    received_via: str,
    now: datetime,
    actor: User | None,
    feed_id: int | None,
) -> NewRequest:
    """A request exactly as given with its "received" event, nothing written yet."""
    if received_via not in CHANNELS:
        raise RequestError(_l("Unknown channel: %(channel)s", channel=received_via))
    values = {k: data[k] for k in REQUEST_FIELDS if data.get(k) is not None}
    values["reasons"] = [r for r in dict.fromkeys(values.get("reasons") or []) if r in REASONS] or ["other"]
    if values.get("preferred_format") not in FORMATS:
        values["preferred_format"] = "any"
    contact = _contact_of(engagement, values.pop("contact_id", None))
    if contact is None and received_via == "client_page":
        # A known address on the client page links the request to that contact's profile.
        contact = _contact_by_email(engagement, values.get("requester_email", ""))
    values |= {
        "engagement_id": engagement.id,
        "contact_id": contact.id if contact else None,
        "received_via": received_via,
        "feed_id": feed_id,
        "logged_by_id": actor.id if actor else None,
        "submitted_at": now,
        "updated_at": now,
        "status": "received",
    }
    new = NewRequest(values, engagement, contact)
    detail = {"client_page": "client page"}.get(received_via, received_via.replace("_", " "))
    _event(new, "received", f"via {detail}", actor=actor, now=now)
    return new


def _pending(new: NewRequest) -> MeetingRequest:
    """The new request as an object for the unit of work to write."""
    req = MeetingRequest(engagement=new.engagement, contact=new.contact, **new.values)
    req.events = [RequestEvent(**event) for event in new.events]
    return req


def just_received(
    engagement: Engagement,
    data: dict[str, Any],
    *,
    received_via: str,
    now: datetime,
    actor: User | None = None,
    feed_id: int | None = None,
) -> MeetingRequest | None:
    """The request these very values made a moment ago (a double click, the browser's back button), if any.

    The same sender, channel, topic and details within `RESUBMIT_MINUTES` are the same request: the client
    page's sender is its link and address, a member's the contact or name they logged it for.
    """
    found = db.session.scalars(
        select(MeetingRequest)
        .where(
            MeetingRequest.engagement_id == engagement.id,
            MeetingRequest.received_via == received_via,
            MeetingRequest.topic == (data.get("topic") or "").strip(),
            MeetingRequest.submitted_at >= now - timedelta(minutes=RESUBMIT_MINUTES),
        )
        .order_by(MeetingRequest.id.desc())
    )

    details = (data.get("details") or "").strip()
    if received_via == "client_page":
        # A known address links the request to its contact: the link and the address tell who sent it.
        email = (data.get("requester_email") or "").strip().casefold()
        sender = (feed_id, email)

        def sent_by(req: MeetingRequest) -> tuple:
            return (req.feed_id, req.requester_email.casefold())
    else:
        sender = (
            actor.id if actor else None,
            data.get("contact_id"),
            (data.get("requester_name") or "").strip(),
        )

        def sent_by(req: MeetingRequest) -> tuple:
            return (req.logged_by_id, req.contact_id, req.requester_name)

    return next((req for req in found if req.details == details and sent_by(req) == sender), None)


def request_by_key(engagement_id: int, key: str) -> MeetingRequest | None:
    """The engagement's request an API caller sent with this Idempotency-Key, if any."""
    return db.session.scalar(
        select(MeetingRequest).where(
            MeetingRequest.engagement_id == engagement_id, MeetingRequest.idempotency_key == key
        )
    )


def receive_request(
    engagement: Engagement,
    data: dict[str, Any],
    *,
    received_via: str,
    now: datetime,
    actor: User | None = None,
    feed_id: int | None = None,
) -> MeetingRequest:
    """Save a request exactly as given and commit it at once, before anything that can fail runs."""
    req = _pending(
        _new_request(engagement, data, received_via=received_via, now=now, actor=actor, feed_id=feed_id)
    )
    db.session.add(req)
    _commit_keeping_loaded()
    return req


def submit_request(
    engagement: Engagement,
    data: dict[str, Any],
    *,
    received_via: str,
    now: datetime,
    actor: User | None = None,
    apply: bool = True,
) -> tuple[MeetingRequest | NewRequest, str | None]:
    """Save a request with its triage (and, with `apply`, put it on the schedule) in one commit.

    The policy runs before anything is written and a fault in it is recorded as `failed_triage`, as in
    `triage_request`. Should writing the decision or applying it fail, that work is rolled back and the
    bare request is saved on its own with the error in its history. Returns the request (as written, when
    nothing else was) and, when applying was refused, why (the triaged request is saved all the same).
    """
    ids = (engagement.id, actor.id if actor else None)
    req: MeetingRequest | NewRequest = _new_request(
        engagement, data, received_via=received_via, now=now, actor=actor, feed_id=None
    )
    refused = None
    try:
        triage_request(req, now=now, actor=actor)
        applying = apply and req.outcome is not None
        req = _insert_request(req, alone=not applying)
        if applying:
            try:
                apply_decision(req, actor=actor, now=now)
            except RequestError as error:
                # apply_decision checks before it changes anything, so the triage is still worth keeping.
                refused = str(error)
                _event(req, "error", refused, actor=actor, now=now)
        _commit_keeping_loaded()
    except Exception as error:  # whatever failed, what the client typed is kept
        db.session.rollback()
        key = data.get("idempotency_key")
        if key and (sent := request_by_key(ids[0], key)) is not None:
            return sent, None  # the same call, retried at the same moment, was saved first
        log.exception("request for engagement %s could not be saved with its triage", ids[0])
        req = _save_bare(ids, data, received_via=received_via, now=now, error=error)
        refused = None
    return req, refused


def _insert_request(new: NewRequest, *, alone: bool) -> MeetingRequest | NewRequest:
    """Write a new request and its history (operations/request_rows.py).

    `alone`: nothing else is written before the commit that follows, so the plain values are all anyone
    needs; otherwise the request joins the session as the row just written, to be applied.
    """
    new.id = write_request(db.session(), new.values, new.events, alone=alone)
    if alone:
        return new
    req = attached(MeetingRequest, new.values | {"id": new.id})
    set_committed_value(req, "engagement", new.engagement)
    set_committed_value(req, "contact", new.contact)
    return req


def _save_bare(
    ids: tuple[int, int | None], data: dict[str, Any], *, received_via: str, now: datetime, error: Exception
) -> MeetingRequest:
    """After a rollback: the request alone, with its "received" event and the error, committed."""
    engagement = db.session.get(Engagement, ids[0])
    actor = db.session.get(User, ids[1]) if ids[1] else None
    req = _pending(
        _new_request(engagement, data, received_via=received_via, now=now, actor=actor, feed_id=None)
    )
    req.status = "failed_triage"
    _event(req, "error", f"Triage could not be saved: {type(error).__name__}: {error}", actor=actor, now=now)
    db.session.add(req)
    _commit_keeping_loaded()
    return req


def _commit_keeping_loaded() -> None:
    """Commit without expiring what is loaded: triage goes on with the same objects at once."""
    session = db.session()
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


# --- plain data for the policy and the replies ----------------------------------------------------------


def triage_settings(engagement: Engagement) -> TriageSettings:
    """The engagement's thresholds as the policy takes them (raises TriageError when they are unusable)."""
    country = engagement.country or country_for_zone(engagement.timezone)
    lunch = None
    if engagement.lunch_from is not None and engagement.lunch_until is not None:
        lunch = (engagement.lunch_from, engagement.lunch_until)
    elif engagement.id is None:
        lunch = lunch_for(country)
    return TriageSettings(
        call_max_minutes=engagement.call_max_minutes,
        agenda_horizon_days=engagement.agenda_horizon_days,
        agenda_lead_hours=engagement.agenda_lead_hours,
        urgent_hours=engagement.urgent_hours,
        country=country,
        zone=engagement.timezone,
        lunch=lunch,
        simple_question_minutes=_setting(engagement.simple_question_minutes, 10),
        many_people=_setting(engagement.many_people, 5),
        new_work_minutes=_setting(engagement.new_work_minutes, 60),
        estimate_working_days=_setting(engagement.estimate_working_days, 5),
    )


def _setting(value: int | None, default: int) -> int:
    # An engagement made in this very request has no server defaults yet.
    return default if value is None else value


# Built once: triage runs on every request, and building the statement cost more than running it.
_MEETINGS_FOR_TRIAGE = (
    select(
        Meeting.id,
        Meeting.title,
        Meeting.purpose,
        Meeting.kind,
        Meeting.starts_at,
        Meeting.ends_at,
        Meeting.status,
        Meeting.internal,
        AgendaItem.title.label("item_title"),
        AgendaItem.minutes.label("item_minutes"),
    )
    .outerjoin(AgendaItem, AgendaItem.meeting_id == Meeting.id)
    .where(
        Meeting.engagement_id == bindparam("engagement_id"),
        Meeting.status != "cancelled",  # the policy passes over cancelled meetings: no need to read them
        Meeting.ends_at >= bindparam("now", type_=Meeting.ends_at.type),
        Meeting.starts_at <= bindparam("horizon", type_=Meeting.starts_at.type),
    )
    .order_by(Meeting.starts_at, Meeting.id, AgendaItem.position)
)


def meeting_infos(
    engagement: Engagement, *, now: datetime, until: datetime | None = None
) -> list[MeetingInfo]:
    """The engagement's meetings from now on, as the policy sees them (agenda minutes and titles).

    The window covers the agenda horizon, the needed-by time and two weeks for finding a free slot.
    Cancelled meetings are left out: neither an agenda item nor a free slot is ever looked for in them.
    A window from the start of this hour is read once per process and revision (operations/memo.py).
    """
    horizon = max(
        until or now,
        now + timedelta(days=engagement.agenda_horizon_days),
        now + timedelta(days=SLOT_SEARCH_DAYS),
    )
    hour = now.replace(minute=0, second=0, microsecond=0)
    kept_until = hour + timedelta(days=max(engagement.agenda_horizon_days, SLOT_SEARCH_DAYS), hours=1)
    if horizon > kept_until:
        return _read_meeting_infos(engagement.id, now, horizon)
    kept = remembered(
        engagement,
        ("triage meetings", hour, kept_until),
        engagement.revision,
        lambda: _read_meeting_infos(engagement.id, hour, kept_until),
    )
    return [m for m in kept if m.ends_at >= now and m.starts_at <= horizon]


def _read_meeting_infos(engagement_id: int, since: datetime, until: datetime) -> tuple[MeetingInfo, ...]:
    # Plain columns rather than ORM objects, in one round trip: each meeting's row repeats once per agenda
    # item (outer join). Who attends and which request a meeting was made for come in two more.
    params = {"engagement_id": engagement_id, "now": since, "horizon": until}
    db.session.flush()  # pending changes count, as with any ORM query (autoflush)
    connection = db.session.connection()
    rows = connection.execute(_MEETINGS_FOR_TRIAGE, params).all()
    grouped: dict[int, tuple[Any, list[tuple[str, int]]]] = {}
    for row in rows:
        _first, agenda = grouped.setdefault(row.id, (row, []))
        if row.item_title is not None:
            agenda.append((row.item_title, row.item_minutes))
    contacts: dict[int, set[int]] = {}
    made_for: dict[int, int] = {}
    if grouped:
        ids = list(grouped)
        for meeting_id, contact_id in connection.execute(
            select(MeetingAttendee.meeting_id, MeetingAttendee.contact_id).where(
                MeetingAttendee.meeting_id.in_(ids), MeetingAttendee.contact_id.is_not(None)
            )
        ):
            contacts.setdefault(meeting_id, set()).add(contact_id)
        for request_id, meeting_id in connection.execute(
            select(MeetingRequest.id, MeetingRequest.meeting_id).where(
                MeetingRequest.meeting_id.in_(ids),
                MeetingRequest.outcome.in_(("call", "meeting")),
                MeetingRequest.applied_at.is_not(None),
            )
        ):
            made_for[meeting_id] = request_id
    return tuple(
        MeetingInfo(
            id=row.id,
            title=row.title,
            purpose=row.purpose,
            kind=row.kind,
            starts_at=row.starts_at,
            duration_minutes=int((row.ends_at - row.starts_at).total_seconds() // 60),
            agenda_minutes=sum(minutes for _title, minutes in agenda),
            agenda_titles=tuple(title for title, _minutes in agenda),
            cancelled=row.status == "cancelled",
            internal=bool(row.internal),
            for_request=made_for.get(row.id),
            contact_ids=frozenset(contacts.get(row.id, ())),
        )
        for row, agenda in grouped.values()
    )


def request_info(req: MeetingRequest) -> RequestInfo:
    """The request as the policy takes it."""
    return RequestInfo(
        topic=req.topic,
        details=req.details or "",
        reasons=tuple(req.reasons or ()),
        needed_by=req.needed_by,
        expected_minutes=req.expected_minutes,
        people=req.people,
        preferred_format=None if req.preferred_format == "any" else req.preferred_format,
        contact_channel=req.contact.preferred_channel if req.contact else None,
        call_hours=req.contact.call_hours if req.contact else None,
        contact_zone=(req.contact.timezone or None) if req.contact else None,
        contact_id=req.contact_id,
        request_id=req.id,
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


def _meeting_of(req: MeetingRequest) -> Meeting | None:
    # By id, so that a meeting chosen a moment ago is found without flushing first.
    return db.session.get(Meeting, req.meeting_id) if req.meeting_id else None


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
            found = _meeting_of(req)
            meeting = MeetingRef(found.title, found.purpose, found.starts_at, found.duration_minutes)
        return draft_reply("agenda_item", meeting=meeting, **common)
    if req.outcome == "call":
        their_zone = req.contact.timezone if req.contact else None
        return draft_reply("call", call_at=req.proposed_call_at, their_zone=their_zone or None, **common)
    if req.outcome == "meeting":
        m = _meeting_of(req)
        if m is not None:
            ref = MeetingRef(m.title, m.purpose, m.starts_at, m.duration_minutes, m.desired_outcome)
        else:
            purpose, outcome = proposed_purpose(req.topic, tuple(req.reasons or ()), language)
            ref = MeetingRef(req.topic, purpose, req.proposed_meeting_at, req.proposed_minutes, outcome)
        return draft_reply("meeting", meeting=ref, **common)
    if _answers_with_status(req):
        return draft_reply("email", status=status_summary(engagement, now=now), **common)
    return draft_reply("email", answer_by=_answer_by(req, engagement, now), **common)


def _answers_with_status(req: MeetingRequest) -> bool:
    """A mail that is itself the answer: where things stand, for a client who asked only that."""
    return req.rule == "R2" or set(req.reasons or []) == {"status_update"}


def _answer_by(req: MeetingRequest, engagement: Engagement, now: datetime) -> date:
    """The day a written answer is promised: a simple question's the same day when asked early enough."""
    simple = (req.decision or {}).get("rule") == "R5"
    return answer_day(now, triage_settings(engagement), same_day=simple)


def _promise_answer(req: MeetingRequest, *, actor: User | None, now: datetime) -> Commitment | None:
    """The answer the drafted reply promises, as our commitment: due at the close of the promised day.

    That day is counted from when the reply was drafted, not from now: applied days later, the promise is
    due (or late) when the client was told. Written in the reply's language, since a status summary to the
    client lists open commitments.
    """
    if _answers_with_status(req):
        return None
    engagement = req.engagement
    language = reply_language(req.contact.language if req.contact else None, engagement.language)
    topic = req.topic[:250]
    title = f"メールで回答：{topic}" if language == "ja" else f"Answer by mail: {topic}"
    closes = triage_settings(engagement).workday_end
    promised = _answer_by(req, engagement, req.reply_drafted_at or now)
    due = local_datetime(promised, closes, engagement.timezone)
    data = {
        "title": title,
        "details": req.details or "",
        "owed_by": "us",
        "owner_user_id": actor.id if actor else None,
        "contact_id": req.contact_id,
        "due_at": due.astimezone(UTC),
        "request_id": req.id,
    }
    return create_commitment(engagement, data, actor=actor, now=now)


def _promise_followup(req: MeetingRequest, *, actor: User | None, now: datetime) -> Commitment | None:
    """What a complaint's or new work's reply promises: the next report, or the scope and estimate."""
    data = req.decision or {}
    engagement = req.engagement
    language = reply_language(req.contact.language if req.contact else None, engagement.language)
    topic = req.topic[:240]
    if data.get("report_by") and "problem_or_complaint" in (req.reasons or []):
        title = f"状況のご報告：{topic}" if language == "ja" else f"Report where things stand: {topic}"
        due = datetime.fromisoformat(data["report_by"])
    elif data.get("estimate_by") and "new_work_request" in (req.reasons or []):
        title = f"範囲と見積の送付：{topic}" if language == "ja" else f"Send the scope and estimate: {topic}"
        closes = triage_settings(engagement).workday_end
        due = local_datetime(date.fromisoformat(data["estimate_by"]), closes, engagement.timezone)
    else:
        return None
    values = {
        "title": title,
        "details": req.details or "",
        "owed_by": "us",
        "owner_user_id": actor.id if actor else None,
        "contact_id": req.contact_id,
        "due_at": due.astimezone(UTC),
        "request_id": req.id,
    }
    return create_commitment(engagement, values, actor=actor, now=now)


def _redraft(
    req: MeetingRequest, *, now: datetime, sender: User | None, meeting: MeetingRef | None = None
) -> None:
    reply = draft_for(req, now=now, sender=sender, meeting=meeting)
    req.reply_subject, req.reply_body, req.reply_language = reply.subject[:300], reply.body, reply.language
    req.reply_drafted_at = now


# --- triage, override, apply, reply ---------------------------------------------------------------------


def _store_decision(req: MeetingRequest, decision: Decision) -> None:
    req.rule = decision.rule
    req.decided_outcome = decision.outcome
    req.outcome = decision.outcome
    _store_slots(req, decision)
    req.meeting_id = decision.meeting_id


def _store_slots(req: MeetingRequest, decision: Decision) -> None:
    """The decision's data, slots and format on the request (also for an outcome a member chose)."""
    data = decision_data(decision)
    req.decision = data
    req.format = decision.format
    req.proposed_slots = data["slots"]
    req.proposed_call_at = decision.proposed_at if decision.outcome == "call" else None
    req.proposed_meeting_at = decision.proposed_at if decision.outcome == "meeting" else None
    req.proposed_minutes = decision.minutes
    req.minutes_saved = decision.minutes_saved


def triage_request(req: MeetingRequest, *, now: datetime, actor: User | None = None) -> Decision | None:
    """Decide the request's outcome and draft the reply; on any fault record an error and return None.

    The request itself is already saved; a fault here only leaves it as `failed_triage`, visible to
    the team with the error in its history.
    """
    if req.applied_at is not None:
        raise RequestError(_l("This request has already been applied; override is no longer possible."))
    engagement = req.engagement
    try:
        settings = triage_settings(engagement)
        info = request_info(req)
        meetings = meeting_infos(engagement, now=now, until=req.needed_by)
        decision = decide(info, meetings, settings, now=now)
        _store_decision(req, decision)
        req.overridden_by_id = None
        chosen = next((m for m in meetings if m.id == decision.meeting_id), None)
        ref = (
            MeetingRef(chosen.title, chosen.purpose, chosen.starts_at, chosen.duration_minutes)
            if chosen
            else None
        )
        _redraft(req, now=now, sender=actor, meeting=ref)
    except Exception as error:  # a fault in the policy must never lose the request
        log.warning("triage of request %s failed: %s", req.id or "(new)", error)
        req.status = "failed_triage"
        req.outcome = req.rule = req.decided_outcome = req.meeting_id = None
        _event(req, "error", f"Triage failed: {type(error).__name__}: {error}", actor=actor, now=now)
        return None
    req.status = "triaged"
    _event(req, "triaged", f"{decision.rule} → {decision.outcome}", actor=actor, now=now)
    return decision


def override(
    req: MeetingRequest,
    *,
    outcome: str,
    actor: User,
    now: datetime,
    meeting_id: int | None = None,
) -> None:
    """Replace the decision's outcome (and, for an agenda item, the meeting) before it is applied."""
    if req.applied_at is not None:
        raise RequestError(_l("This request has already been applied; override is no longer possible."))
    if outcome not in OUTCOMES:
        raise RequestError(_l("Unknown outcome: %(outcome)s", outcome=outcome))
    engagement = req.engagement
    settings = triage_settings(engagement)
    previous = f"{req.outcome or '—'}" + (f" (#{req.meeting_id})" if req.outcome == "agenda_item" else "")
    req.meeting_id = None
    req.proposed_call_at = req.proposed_meeting_at = None
    req.proposed_slots, req.format = [], None
    if outcome == "agenda_item":
        meeting = db.session.get(Meeting, meeting_id) if meeting_id else None
        if meeting is None or meeting.engagement_id != engagement.id:
            raise RequestError(_l("Choose a meeting of this engagement for the agenda item."))
        if meeting.is_cancelled or meeting.starts_at <= now:
            raise RequestError(_l("The meeting must be upcoming and not cancelled."))
        req.meeting_id = meeting.id
        req.proposed_minutes = req.expected_minutes
        req.minutes_saved = max(0, settings.default_meeting_minutes - req.expected_minutes)
        req.decision = {"outcome": outcome, "rule": "override", "meeting_id": meeting.id, "notes": []}
    elif outcome in ("call", "meeting"):
        busy = [(m.starts_at, m.ends_at) for m in meeting_infos(engagement, now=now)]
        _store_slots(req, slots_for(outcome, request_info(req), settings, now=now, busy=busy))
    else:
        req.proposed_minutes = 0
        req.minutes_saved = settings.default_meeting_minutes
        answer_by = answer_day(now, settings)
        req.decision = {"outcome": outcome, "rule": "override", "answer_by": answer_by.isoformat()}
    req.outcome = outcome
    req.overridden_by_id = actor.id
    if req.status in ("received", "failed_triage"):
        req.status = "triaged"
    _redraft(req, now=now, sender=actor)
    now_text = outcome + (f" (#{req.meeting_id})" if outcome == "agenda_item" else "")
    _event(req, "overridden", f"{previous} → {now_text}", actor=actor, now=now)


def apply_decision(req: MeetingRequest, *, actor: User | None, now: datetime) -> Meeting | None:
    """Put the decision on the schedule: an agenda item, a short call, or a tentative meeting.

    Returns the meeting that received the item or was created (None for an email).
    """
    if req.applied_at is not None:
        raise RequestError(_l("This request has already been applied."))
    if req.outcome is None:
        raise RequestError(_l("This request has no decision yet; triage it or choose an outcome first."))
    engagement = req.engagement
    language = engagement.language
    meeting: Meeting | None = None
    if req.outcome == "agenda_item":
        meeting = _meeting_of(req)
        if meeting is None or meeting.is_cancelled:
            raise RequestError(_l("The chosen meeting is gone or cancelled; choose another one."))
        if meeting.starts_at <= now:
            raise RequestError(_l("The chosen meeting has already started; choose another one."))
        notes = "\n".join(part for part in (req.details, f"({req.who})" if req.who else "") if part)
        item = add_agenda_item(
            meeting, title=req.topic[:300], minutes=req.expected_minutes, notes=notes, now=now
        )
        db.session.flush()
        req.agenda_item_id = item.id
        detail = f"agenda item on “{meeting.title}” (#{meeting.id})"
    elif req.outcome in ("call", "meeting"):
        is_call = req.outcome == "call"
        starts_at = req.proposed_call_at if is_call else req.proposed_meeting_at
        if starts_at is None:
            raise RequestError(_l("No time is proposed; choose the outcome again to get one."))
        if starts_at <= now:
            raise RequestError(_l("The proposed time has passed; choose the outcome again to get a new one."))
        if is_call:
            title, purpose, desired = call_purpose(req.topic, tuple(req.reasons or ()), language)
        else:
            title = req.topic
            purpose, desired = proposed_purpose(req.topic, tuple(req.reasons or ()), language)
        meeting = create_meeting(
            engagement,
            {
                "title": title[:200],
                "purpose": purpose,
                "desired_outcome": desired,
                "kind": "call" if is_call else "other",
                "starts_at": starts_at,
                "duration_minutes": req.proposed_minutes or req.expected_minutes,
                "status": "tentative",
                "contact_ids": [req.contact_id] if req.contact_id else None,
                "user_ids": [actor.id] if actor else None,
            },
            now=now,
        )
        db.session.flush()
        req.meeting_id = meeting.id
        detail = f"{'call' if is_call else 'tentative meeting'} “{meeting.title}” (#{meeting.id})"
        _promise_followup(req, actor=actor, now=now)
    else:
        detail = "answer by mail"
        if _promise_answer(req, actor=actor, now=now) is not None:
            detail += ", tracked as a commitment"
    req.applied_at = now
    if req.status != "replied":
        req.status = "applied"
    _event(req, "applied", detail, actor=actor, now=now)
    return meeting


def save_reply(req: MeetingRequest, *, subject: str, body: str, now: datetime) -> None:
    """Keep the team's edits to the drafted reply."""
    req.reply_subject = subject.strip()[:300]
    req.reply_body = body
    req.updated_at = now


def mark_replied(req: MeetingRequest, *, actor: User, now: datetime, how: str) -> None:
    """Record that the reply went out (by mail from the planner, or from the member's own mail)."""
    req.replied_at = now
    req.status = "replied"
    _event(req, "replied", how, actor=actor, now=now)


def send_reply(req: MeetingRequest, config, *, actor: User, now: datetime) -> bool:
    """Send the reply over SMTP; a failure is recorded in the history and nothing else changes."""
    to = req.reply_to
    if not to:
        _event(req, "error", "Mail not sent: no address to reply to.", actor=actor, now=now)
        return False
    try:
        send_mail(config, to=to, subject=req.reply_subject, body=req.reply_body, reply_to=actor.email)
    except MailError as error:
        _event(req, "error", f"Mail not sent: {error}", actor=actor, now=now)
        return False
    mark_replied(req, actor=actor, now=now, how=f"by mail to {to}")
    return True


# --- telling the team ----------------------------------------------------------------------------------

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
            _event(req, "error", f"Team not notified ({user.email}): {error}", actor=None, now=now)
        else:
            sent += 1
    return sent


# --- lists ----------------------------------------------------------------------------------------------


def open_requests(engagement: Engagement, limit: int | None = None) -> list[MeetingRequest]:
    """Requests still waiting for the team: the soonest needed first, then the oldest."""
    needed_by = MeetingRequest.needed_by
    query = (
        select(MeetingRequest)
        .where(MeetingRequest.engagement_id == engagement.id, MeetingRequest.status.in_(OPEN_STATUSES))
        .options(selectinload(MeetingRequest.contact))
        .order_by(needed_by.is_(None), needed_by, MeetingRequest.submitted_at, MeetingRequest.id)
    )
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def urgency(req: MeetingRequest, engagement: Engagement, now: datetime) -> str | None:
    """Overdue once the needed-by time has passed, urgent within the urgent hours, else None."""
    if req.needed_by is None or not req.is_open:
        return None
    if req.needed_by <= now:
        return "overdue"
    return "urgent" if req.needed_by - now < timedelta(hours=engagement.urgent_hours) else None


def request_stats(engagement: Engagement) -> RequestStats:
    """Open requests and the meeting minutes avoided by the ones applied so far."""
    open_count = db.session.scalar(
        select(func.count(MeetingRequest.id)).where(
            MeetingRequest.engagement_id == engagement.id, MeetingRequest.status.in_(OPEN_STATUSES)
        )
    )
    saved = db.session.scalar(
        select(func.coalesce(func.sum(MeetingRequest.minutes_saved), 0)).where(
            MeetingRequest.engagement_id == engagement.id, MeetingRequest.applied_at.is_not(None)
        )
    )
    return RequestStats(open_count=int(open_count or 0), minutes_saved=int(saved or 0))


def commitments_of(req: MeetingRequest) -> list[Commitment]:
    """The commitments that came from this request, such as the answer a reply by mail promised."""
    query = select(Commitment).where(Commitment.request_id == req.id)
    return list(db.session.scalars(query.order_by(Commitment.due_at, Commitment.id)))


def explanation_of(req: MeetingRequest, language: str | None, *, now: datetime | None = None) -> str:
    """Why the request was decided so, in the reader's language, from its stored decision.

    With `now`, the meetings it names are first looked up among those triage has just read.
    """
    data = req.decision or {}
    ids = {data.get("meeting_id")} | {
        (note.get("params") or {}).get("meeting_id") for note in data.get("notes") or ()
    }
    ids.discard(None)
    named: dict[int, MeetingName] = {}
    if ids and now is not None:
        for info in meeting_infos(req.engagement, now=now):
            if info.id in ids:
                named[info.id] = MeetingName(info.title, info.starts_at)
    if ids - named.keys():
        query = select(Meeting).where(Meeting.id.in_(ids - named.keys()))
        for meeting in db.session.scalars(query):
            named[meeting.id] = MeetingName(meeting.title, meeting.starts_at)
    lines = explain(data, language, zone=req.engagement.timezone, meetings=named)
    return ("" if (language or "").startswith("ja") else " ").join(lines)


def agenda_item_of(req: MeetingRequest) -> AgendaItem | None:
    """The agenda item applying this request created, if it still exists."""
    return db.session.get(AgendaItem, req.agenda_item_id) if req.agenda_item_id else None
