"""API v1 for meeting requests: submit one (triaged and by default applied), read it back with its history."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from flask import g, jsonify, request

from planner.api import api
from planner.api.common import (
    ApiError,
    api_engagement_with_contact,
    api_user,
    check_api_role,
    iso,
    json_body,
    json_error,
)
from planner.api.openapi import add_paths, error_responses
from planner.api.request_body import request_values
from planner.extensions import db
from planner.models import Contact, utcnow
from planner.models.requests import IDEMPOTENCY_KEY_MAX, MeetingRequest
from planner.operations.requests import (
    RequestError,
    book_slot,
    booking_url,
    explanation_of,
    request_by_key,
    submit_request,
)
from planner.replies.history import event_text
from planner.triage import REASONS
from planner.web.converters import MAX_ID


def request_json(req: MeetingRequest, *, history: bool = False) -> dict:
    """A request as the API shows it; `reasons_text` is in the caller's language."""
    zone = req.engagement.tz
    language = api_user().locale or "en"
    body = {
        "id": req.id,
        "engagement_id": req.engagement_id,
        "topic": req.topic,
        "details": req.details,
        "reasons": list(req.reasons or []),
        "needed_by": iso(req.needed_by, zone),
        "expected_minutes": req.expected_minutes,
        "people": req.people,
        "preferred_format": req.preferred_format,
        "contact_id": req.contact_id,
        "received_via": req.received_via,
        "submitted_at": iso(req.submitted_at, zone),
        "status": req.status,
        "outcome": req.outcome,
        "decided_outcome": req.decided_outcome,
        "rule": req.rule,
        "reasons_text": explanation_of(req, language, now=utcnow()) or None,
        "meeting_id": req.meeting_id,
        "agenda_item_id": req.agenda_item_id,
        "proposed_call_at": iso(req.proposed_call_at, zone),
        "proposed_meeting_at": iso(req.proposed_meeting_at, zone),
        "format": req.format,
        "booking_url": booking_url(req),
        "proposed_slots": [
            {"starts_at": iso(_utc(slot["starts_at"]), zone), "ends_at": iso(_utc(slot["ends_at"]), zone)}
            for slot in req.proposed_slots or ()
        ],
        "minutes_saved": req.minutes_saved,
        "applied_at": iso(req.applied_at, zone),
        "replied_at": iso(req.replied_at, zone),
        "reply": {"subject": req.reply_subject, "body": req.reply_body, "language": req.reply_language}
        if req.reply_body
        else None,
    }
    if history:
        body["history"] = [
            {
                "kind": e.kind,
                "data": e.data,
                "detail": event_text(e.kind, e.data, language, zone=req.engagement.timezone),
                "actor": e.actor.email if e.actor else None,
                "at": iso(e.created_at, zone),
            }
            for e in req.events
        ]
    return body


def _utc(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _peek(key: str):
    """A value of the JSON body before it is checked, or None (the checks come after the access check)."""
    try:
        payload = request.get_json(silent=True)
    except RecursionError:
        return None
    return payload.get(key) if isinstance(payload, dict) else None


def _idempotency_key() -> str | None:
    """The call's Idempotency-Key header, or None; a 400 when it cannot be one."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not 0 < len(key) <= IDEMPOTENCY_KEY_MAX or not key.isascii() or not key.isprintable():
        raise ApiError(400, f"Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_MAX} visible ASCII characters.")
    return key


def _digest(payload: dict) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _same_body(req: MeetingRequest, digest: str | None) -> None:
    if req.body_digest != digest:
        raise ApiError(422, f"This Idempotency-Key was already used for another request (id {req.id}).")


def _not_applied(req_id: int | None, why: str) -> str:
    return f"The request was saved and triaged (id {req_id}) but not applied: {why}"


def _replayed(req: MeetingRequest, digest: str, apply: object):
    """The answer to a retried call: the request its key first made, as it stands now.

    A first call whose applying was refused answered 409, and so does its retry while the request is still
    not applied; the reason is the one its history kept.
    """
    _same_body(req, digest)
    if apply is True and req.outcome is not None and req.applied_at is None:
        errors = [e.data for e in req.events if e.kind == "error"]
        why = (errors[-1].get("message") or errors[-1].get("text")) if errors else None
        why = why or "see its history"
        response = json_error(409, _not_applied(req.id, why))
    else:
        response = jsonify(request_json(req))
        response.status_code = 201
    response.headers["Idempotent-Replayed"] = "true"
    return response


@api.route("/engagements/<int:engagement_id>/requests", methods=["POST"])
def create_request(engagement_id: int):
    # The contact comes joined to the engagement and the caller's membership: one round trip for all three.
    engagement, contact = api_engagement_with_contact(engagement_id, "member", _peek("contact_id"))
    payload = dict(json_body())
    key = _idempotency_key()
    digest = _digest(payload) if key else None
    if key and (sent := request_by_key(engagement.id, key)) is not None:
        return _replayed(sent, digest, payload.get("apply", True))
    apply = payload.pop("apply", True)
    if not isinstance(apply, bool):
        raise ApiError(422, "Some fields are not valid.", {"apply": ["Must be true or false."]})
    values, received_via = request_values(payload, zone=engagement.tz, now=g.now)
    values |= {"idempotency_key": key, "body_digest": digest}
    contact_id = values["contact_id"]
    if contact_id:
        if contact is None or contact.id != contact_id:
            contact = db.session.get(Contact, contact_id) if contact_id <= MAX_ID else None
        if contact is None or contact.engagement_id != engagement.id:
            raise ApiError(
                422, "Some fields are not valid.", {"contact_id": ["No such contact in this engagement."]}
            )
    user = api_user()
    req, refused = submit_request(
        engagement, values, received_via=received_via, now=g.now, actor=user, apply=apply
    )
    _same_body(req, digest)  # a call with this key saved a moment before this one wins
    body = request_json(req)
    if refused:
        raise ApiError(409, _not_applied(req.id, refused))
    return jsonify(body), 201


@api.route("/requests/<int:request_id>")
def get_request(request_id: int):
    req = db.session.get(MeetingRequest, request_id)
    check_api_role(req.engagement if req else None, "viewer")
    return jsonify(request_json(req, history=True))


@api.route("/requests/<int:request_id>/booking", methods=["POST"])
def book_request(request_id: int):
    """Record the time the client picked: the meeting is made, or 409 with fresh times when it was taken."""
    req = db.session.get(MeetingRequest, request_id) if request_id <= MAX_ID else None
    check_api_role(req.engagement if req else None, "member")
    payload = json_body()
    raw = payload.get("starts_at")
    try:
        starts_at = datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        starts_at = None
    invalid = "Some fields are not valid."
    if starts_at is None or starts_at.tzinfo is None:
        raise ApiError(422, invalid, {"starts_at": ["An ISO 8601 time with its offset."]})
    unknown = set(payload) - {"starts_at"}
    if unknown:
        raise ApiError(422, invalid, {key: ["Unknown field."] for key in sorted(unknown)})
    try:
        booked = book_slot(req, starts_at, now=g.now, actor=api_user(), by="member")
    except RequestError as error:
        db.session.rollback()
        raise ApiError(422, str(error)) from None
    db.session.commit()
    zone = req.engagement.tz
    if booked.taken:
        fresh = request_json(req)["proposed_slots"]
        message = "That time is no longer free; pick one of the fresh proposed_slots."
        return jsonify({"error": message, "proposed_slots": fresh}), 409
    meeting = booked.meeting
    body = {
        "meeting_id": meeting.id,
        "starts_at": iso(meeting.starts_at, zone),
        "ends_at": iso(meeting.ends_at, zone),
    }
    return jsonify(body), 201


_REQUEST_IN = {
    "type": "object",
    "additionalProperties": False,
    "required": ["topic", "reasons", "expected_minutes", "people"],
    "properties": {
        "topic": {"type": "string", "maxLength": 300},
        "details": {"type": "string", "maxLength": 4000},
        "reasons": {
            "oneOf": [
                {"type": "array", "items": {"type": "string", "enum": list(REASONS)}, "minItems": 1},
                {"type": "string", "description": "Comma-separated reasons"},
            ]
        },
        "needed_by": {
            "type": "string",
            "format": "date-time",
            "description": "Without an offset: the engagement's zone",
        },
        "expected_minutes": {"type": "integer", "minimum": 5, "maximum": 480},
        "people": {"type": "integer", "minimum": 1, "maximum": 100},
        "preferred_format": {"type": "string", "enum": ["any", "phone", "video", "in_person", "email"]},
        "contact_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        "requester_name": {"type": "string", "maxLength": 120},
        "requester_email": {"type": "string", "format": "email", "maxLength": 254},
        "received_via": {
            "type": "string",
            "enum": ["api", "client_page", "phone", "email", "chat", "in_person"],
        },
        "apply": {"type": "boolean", "default": True, "description": "false: triage only"},
    },
}
_REQUEST_OUT = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "status": {"type": "string", "enum": ["received", "triaged", "applied", "replied", "failed_triage"]},
        "outcome": {"type": "string", "enum": ["call", "email", "agenda_item", "meeting"], "nullable": True},
        "rule": {
            "type": "string",
            "enum": [f"R{n}" for n in range(1, 11)] + ["override"],
            "nullable": True,
        },
        "reasons_text": {"type": "string", "nullable": True},
        "meeting_id": {"type": "integer", "nullable": True},
        "proposed_call_at": {"type": "string", "format": "date-time", "nullable": True},
        "format": {"type": "string", "enum": ["phone", "video", "in_person"], "nullable": True},
        "booking_url": {
            "type": "string",
            "nullable": True,
            "description": "Where the client picks a proposed time (absolute); null when there is none.",
        },
        "proposed_slots": {
            "type": "array",
            "description": "Two or three times, by preference, for a call or meeting; empty otherwise.",
            "items": {
                "type": "object",
                "properties": {
                    "starts_at": {"type": "string", "format": "date-time"},
                    "ends_at": {"type": "string", "format": "date-time"},
                },
            },
        },
        "minutes_saved": {"type": "integer"},
        "reply": {
            "type": "object",
            "nullable": True,
            "properties": {
                "subject": {"type": "string"},
                "body": {"type": "string"},
                "language": {"type": "string", "enum": ["ja", "en"]},
            },
        },
        "history": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "kind": {"type": "string"},
                    "data": {"type": "object", "description": "What happened, as codes and values."},
                    "detail": {
                        "type": "string",
                        "description": "The same in words, in the caller's language.",
                    },
                    "actor": {"type": "string", "nullable": True},
                    "at": {"type": "string", "format": "date-time"},
                },
            },
        },
    },
}

add_paths(
    {
        "/engagements/{engagement_id}/requests": {
            "post": {
                "summary": "Submit a meeting request: triaged at once and, unless apply is false, applied",
                "parameters": [
                    {"name": "engagement_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "description": "A key of your own (a UUID, say): the same call sent again with "
                        "it answers with the request it first made (header Idempotent-Replayed: true) "
                        "instead of making another; sent with another body, 422",
                        "schema": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": IDEMPOTENCY_KEY_MAX,
                            "pattern": "^[!-~]+$",
                        },
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/MeetingRequestIn"}}
                    },
                },
                "responses": {
                    "201": {
                        "description": "Saved and triaged (outcome null: triage failed, the request is kept)",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/MeetingRequest"}}
                        },
                    },
                    **error_responses(400, 401, 403, 404, 409, 422),
                },
            }
        },
        "/requests/{request_id}": {
            "get": {
                "summary": "A meeting request with its decision, drafted reply and history",
                "parameters": [
                    {"name": "request_id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "responses": {
                    "200": {
                        "description": "The request",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/MeetingRequest"}}
                        },
                    },
                    **error_responses(401, 404),
                },
            }
        },
    },
    {"MeetingRequestIn": _REQUEST_IN, "MeetingRequest": _REQUEST_OUT},
)

add_paths(
    {
        "/requests/{request_id}/booking": {
            "post": {
                "summary": "Book one of the request's proposed times: the meeting is made",
                "parameters": [
                    {"name": "request_id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "additionalProperties": False,
                                "required": ["starts_at"],
                                "properties": {"starts_at": {"type": "string", "format": "date-time"}},
                            }
                        }
                    },
                },
                "responses": {
                    "201": {
                        "description": "Booked",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "meeting_id": {"type": "integer"},
                                        "starts_at": {"type": "string", "format": "date-time"},
                                        "ends_at": {"type": "string", "format": "date-time"},
                                    },
                                }
                            }
                        },
                    },
                    "409": {
                        "description": "The time is no longer free; the answer carries fresh proposed_slots",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "error": {"type": "string"},
                                        "proposed_slots": {
                                            "type": "array",
                                            "items": {
                                                "type": "object",
                                                "properties": {
                                                    "starts_at": {"type": "string", "format": "date-time"},
                                                    "ends_at": {"type": "string", "format": "date-time"},
                                                },
                                            },
                                        },
                                    },
                                }
                            }
                        },
                    },
                    **error_responses(400, 401, 403, 404, 422),
                },
            }
        }
    },
    {},
)
