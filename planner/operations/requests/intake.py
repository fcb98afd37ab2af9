"""Receiving a request: what was typed is kept, the same request sent twice is received once."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from planner.extensions import db
from planner.models import Contact, Engagement, User
from planner.models.requests import CHANNELS, FORMATS, MeetingRequest
from planner.operations.requests.common import (
    REQUEST_FIELDS,
    RESUBMIT_MINUTES,
    RequestError,
    commit_keeping_loaded,
    record_event,
)
from planner.operations.requests.decisions import apply_decision, triage_request
from planner.triage import (
    REASONS,
)

log = logging.getLogger(__name__)


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
) -> MeetingRequest:
    """A request exactly as given with its "received" event, not yet in the session."""
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
    req = MeetingRequest(
        engagement=engagement,
        contact=contact,
        received_via=received_via,
        feed_id=feed_id,
        logged_by_id=actor.id if actor else None,
        submitted_at=now,
        updated_at=now,
        status="received",
        **values,
    )
    req.events = []
    record_event(req, "received", {"via": received_via}, actor=actor, now=now)
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


def submit_request(
    engagement: Engagement,
    data: dict[str, Any],
    *,
    received_via: str,
    now: datetime,
    actor: User | None = None,
    feed_id: int | None = None,
    apply: bool = False,
) -> tuple[MeetingRequest, str | None]:
    """Save a request with its triage (and, with `apply`, put it on the schedule) in one transaction.

    The one way a request comes in: the client's page, a member's log and the API. A fault in the policy
    is recorded as `failed_triage` (see `triage_request`); should writing fail, everything is rolled back
    and what was typed is saved on its own with the error in its history. Returns the request and, when
    applying was refused, why (the triaged request is saved all the same).
    """
    ids = (engagement.id, actor.id if actor else None)
    req = _new_request(engagement, data, received_via=received_via, now=now, actor=actor, feed_id=feed_id)
    refused = None
    try:
        # Triage first, so that the request is written once with its decision.
        triage_request(req, now=now, actor=actor)
        db.session.add(req)
        if apply and req.outcome is not None:
            db.session.flush()  # applying links commitments and meetings to the request's id
            try:
                apply_decision(req, actor=actor, now=now)
            except RequestError as error:
                # apply_decision checks before it changes anything, so the triage is still worth keeping.
                refused = str(error)
                record_event(
                    req, "error", {"code": "apply_refused", "message": refused}, actor=actor, now=now
                )
        commit_keeping_loaded()
    except Exception as error:  # whatever failed, what the client typed is kept
        db.session.rollback()
        key = data.get("idempotency_key")
        if key and (sent := request_by_key(ids[0], key)) is not None:
            return sent, None  # the same call, retried at the same moment, was saved first
        log.exception("request for engagement %s could not be saved with its triage", ids[0])
        req = _save_bare(ids, data, received_via=received_via, now=now, feed_id=feed_id, error=error)
        refused = None
    return req, refused


def receive_request(
    engagement: Engagement,
    data: dict[str, Any],
    *,
    received_via: str,
    now: datetime,
    actor: User | None = None,
    feed_id: int | None = None,
) -> MeetingRequest:
    """A request received and triaged, not applied: `submit_request` for the pages, which show it next."""
    req, _refused = submit_request(
        engagement, data, received_via=received_via, now=now, actor=actor, feed_id=feed_id, apply=False
    )
    return req


def _save_bare(
    ids: tuple[int, int | None],
    data: dict[str, Any],
    *,
    received_via: str,
    now: datetime,
    feed_id: int | None,
    error: Exception,
) -> MeetingRequest:
    """After a rollback: the request alone, with its "received" event and the error, committed."""
    engagement = db.session.get(Engagement, ids[0])
    actor = db.session.get(User, ids[1]) if ids[1] else None
    req = _new_request(engagement, data, received_via=received_via, now=now, actor=actor, feed_id=feed_id)
    req.status = "failed_triage"
    message = f"{type(error).__name__}: {error}"
    record_event(req, "error", {"code": "not_saved", "message": message}, actor=actor, now=now)
    db.session.add(req)
    commit_keeping_loaded()
    return req
