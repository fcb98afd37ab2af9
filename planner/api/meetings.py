"""API v1: meetings, every one with its purpose; times in the engagement's zone."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, g, jsonify, request, url_for

from planner.api import api
from planner.api.agenda import item_json
from planner.api.common import ApiError, api_engagement, api_meeting, form_from_json, iso, json_body
from planner.api.engagements import base_url
from planner.api.idempotency import IDEMPOTENCY_PARAMETER, commit_answer, idempotent
from planner.api.meeting_rows import meetings_answer
from planner.api.openapi import add_paths, error_responses
from planner.api.pagination import PAGE_PARAMETERS, link_next, requested_page
from planner.api.schema import F, check_body, json_content, request_schema
from planner.extensions import db
from planner.forms.schedule import TEXT, MeetingForm
from planner.models import Engagement, Meeting
from planner.models.schedule import KINDS, STATUSES
from planner.operations.schedule import cancel_meeting, create_meeting, update_meeting
from planner.purpose import is_vague

FIELDS = {
    "title": F("string", required=True, max_length=200),
    "purpose": F("text", "What the meeting must decide or produce.", required=True, max_length=TEXT),
    "desired_outcome": F("text", "How everyone knows it worked.", nullable=True, max_length=TEXT),
    "kind": F("string", "Default other.", enum=KINDS),
    "starts_at": F(
        "date-time",
        "ISO 8601; with an offset as given, without one in the engagement's time zone.",
        required=True,
    ),
    "duration_minutes": F(
        "integer", "Length (default 60); give this or ends_at.", nullable=True, minimum=5, maximum=1440
    ),
    "ends_at": F("date-time", "Give this or duration_minutes.", nullable=True),
    "location": F("string", nullable=True, max_length=300),
    "conference_url": F("uri", "An http or https link.", nullable=True, max_length=500),
    "status": F("string", "Default tentative.", enum=STATUSES),
    "internal": F("boolean", "Team only: never shown to the client."),
    "internal_notes": F("text", "Never shown to the client.", nullable=True, max_length=TEXT),
    "contact_ids": F("id-list", "Client attendees: ids of the engagement's contacts."),
    "user_ids": F("id-list", "Team attendees: user ids of the engagement's members."),
    "version": F("integer", "The version you last read; a stale one is refused with 409."),
}
# A new meeting has no version to check against.
CREATE_FIELDS = {name: field for name, field in FIELDS.items() if name != "version"}
READ_ONLY = (
    "id",
    "engagement_id",
    "uid",
    "sequence",
    "agenda",
    "agenda_minutes",
    "free_minutes",
    "purpose_vague",
    "purpose_missing",
    "created_at",
    "updated_at",
    "cancelled_at",
    "url",
)


def meeting_json(meeting: Meeting) -> dict:
    """A meeting as the API shows it; times in the engagement's zone, with the offset."""
    zone = meeting.engagement.tz
    return {
        "id": meeting.id,
        "engagement_id": meeting.engagement_id,
        "uid": meeting.uid,
        "title": meeting.title,
        "purpose": meeting.purpose,
        "purpose_vague": is_vague(meeting.purpose),
        "purpose_missing": meeting.purpose_missing,
        "desired_outcome": meeting.desired_outcome,
        "kind": meeting.kind,
        "starts_at": iso(meeting.starts_at, zone),
        "ends_at": iso(meeting.ends_at, zone),
        "duration_minutes": meeting.duration_minutes,
        "location": meeting.location,
        "conference_url": meeting.conference_url,
        "status": meeting.status,
        "internal": meeting.internal,
        "internal_notes": meeting.internal_notes,
        "contact_ids": sorted(a.contact_id for a in meeting.attendees if a.contact_id),
        "user_ids": sorted(a.user_id for a in meeting.attendees if a.user_id),
        "agenda": [item_json(item) for item in meeting.agenda],
        "agenda_minutes": meeting.agenda_minutes,
        "free_minutes": meeting.free_minutes,
        "sequence": meeting.sequence,
        "version": meeting.version,
        "created_at": iso(meeting.created_at),
        "updated_at": iso(meeting.updated_at),
        "cancelled_at": iso(meeting.cancelled_at),
        "url": base_url() + url_for("meetings.show", meeting_id=meeting.id),
    }


def _meeting_response(meeting: Meeting, status: int = 200):
    response = jsonify(meeting_json(meeting))
    response.status_code = status
    response.headers["ETag"] = f'"{meeting.version}"'
    return response


def _commit_meeting(meeting: Meeting, status: int = 200, headers: dict[str, str] | None = None):
    """Write the change, build the answer from it, then commit: nothing is reloaded after the commit."""
    db.session.flush()
    headers = {"ETag": f'"{meeting.version}"'} | (headers or {})
    return commit_answer(meeting_json(meeting), status, headers)


def _meeting_form(engagement: Engagement, values: dict) -> MeetingForm:
    if values.get("ends_at") is not None and values.get("duration_minutes") is not None:
        message = "Give duration_minutes or ends_at, not both."
        raise ApiError(
            422, "Some fields are not valid.", {"duration_minutes": [message], "ends_at": [message]}
        )
    values = {k: v for k, v in values.items() if k != "version"}
    return form_from_json(
        MeetingForm, values, meta={"zone": engagement.timezone}, prepare=lambda f: f.set_people(engagement)
    )


def _values(form: MeetingForm) -> dict:
    return form.values() | {"contact_ids": form.contact_ids.data, "user_ids": form.user_ids.data}


_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,12})"?\s*$')


def _check_version(meeting: Meeting, payload: dict) -> None:
    """Refuse a change made against an older version (the `version` field, else If-Match)."""
    wanted = payload.get("version")
    header = request.headers.get("If-Match")
    if wanted is None and header and header.strip() != "*":
        found = _ETAG.match(header)
        if not found:
            raise ApiError(400, 'If-Match must be the meeting\'s version, e.g. If-Match: "3".')
        wanted = int(found.group(1))
    if wanted is not None and wanted != meeting.version:
        raise ApiError(
            409,
            f"This meeting changed since version {wanted} (it is now at version {meeting.version}). "
            "Fetch it again and re-apply your change.",
        )


@api.post("/engagements/<int:engagement_id>/meetings")
@idempotent
def create_meeting_api(engagement_id: int):
    engagement = api_engagement(engagement_id, "member")
    payload = json_body()
    check_body(payload, CREATE_FIELDS, read_only=READ_ONLY + ("version",))
    form = _meeting_form(engagement, payload)
    meeting = create_meeting(engagement, _values(form), now=g.now)
    db.session.flush()
    return _commit_meeting(meeting, 201, {"Location": f"/api/v1/meetings/{meeting.id}"})


def _moment(name: str, raw: str, zone: ZoneInfo, *, end: bool) -> datetime:
    """A query bound: a date (its start, or for `to` its end, in the zone) or a date-time."""
    try:
        value = datetime.fromisoformat(raw)
        if len(raw.strip()) <= 10:
            # A plain date covers the whole day: `to=2026-05-12` includes meetings on the 12th.
            value = datetime.combine(value.date(), time(0), tzinfo=zone) + timedelta(days=1 if end else 0)
        elif value.tzinfo is None:
            value = value.replace(tzinfo=zone)
        return value.astimezone(ZoneInfo("UTC"))
    except (ValueError, OverflowError):
        message = "Not a valid date (YYYY-MM-DD) or ISO 8601 date-time."
        raise ApiError(422, "Some query parameters are not valid.", {name: [message]}) from None


@api.get("/engagements/<int:engagement_id>/meetings")
def list_meetings(engagement_id: int):
    engagement = api_engagement(engagement_id)
    conditions = []
    if request.args.get("from"):
        conditions.append(
            Meeting.starts_at >= _moment("from", request.args["from"], engagement.tz, end=False)
        )
    if request.args.get("to"):
        conditions.append(Meeting.starts_at < _moment("to", request.args["to"], engagement.tz, end=True))
    if request.args.get("status"):
        wanted = [s.strip() for s in request.args["status"].split(",") if s.strip()]
        unknown = [s for s in wanted if s not in STATUSES]
        if unknown:
            message = (
                f"Unknown status {', '.join(unknown)[:100]}; use {', '.join(STATUSES)} (comma-separated)."
            )
            raise ApiError(422, "Some query parameters are not valid.", {"status": [message]})
        conditions.append(Meeting.status.in_(wanted))
    answer = meetings_answer(engagement, conditions, requested_page())
    return link_next(current_app.response_class(answer, mimetype="application/json"), answer.next_key)


@api.get("/meetings/<int:meeting_id>")
def get_meeting(meeting_id: int):
    return _meeting_response(api_meeting(meeting_id))


def _current(meeting: Meeting) -> dict:
    zone = meeting.engagement.tz
    return {
        "title": meeting.title,
        "purpose": meeting.purpose,
        "desired_outcome": meeting.desired_outcome,
        "kind": meeting.kind,
        "starts_at": iso(meeting.starts_at, zone),
        "duration_minutes": meeting.duration_minutes,
        "location": meeting.location,
        "conference_url": meeting.conference_url,
        "status": meeting.status,
        "internal": meeting.internal,
        "internal_notes": meeting.internal_notes,
        "contact_ids": [a.contact_id for a in meeting.attendees if a.contact_id],
        "user_ids": [a.user_id for a in meeting.attendees if a.user_id],
    }


@api.patch("/meetings/<int:meeting_id>")
def patch_meeting(meeting_id: int):
    meeting = api_meeting(meeting_id, "member")
    payload = json_body()
    check_body(payload, FIELDS, read_only=READ_ONLY)
    _check_version(meeting, payload)
    merged = _current(meeting)
    if payload.get("ends_at") is not None:
        merged.pop("duration_minutes")
    # The merged values go through the same form: a patch cannot leave a meeting without a purpose.
    form = _meeting_form(meeting.engagement, merged | payload)
    update_meeting(meeting, _values(form), now=g.now)
    return _commit_meeting(meeting)


@api.delete("/meetings/<int:meeting_id>")
def delete_meeting(meeting_id: int):
    meeting = api_meeting(meeting_id, "member")
    _check_version(meeting, {})
    # Cancelling keeps the row so that every calendar learns of it; doing it twice changes nothing.
    cancel_meeting(meeting, now=g.now)
    return _commit_meeting(meeting)


MEETING_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "engagement_id": {"type": "integer"},
        "uid": {"type": "string", "description": "The stable iCalendar UID."},
        "title": {"type": "string"},
        "purpose": {"type": "string"},
        "purpose_vague": {"type": "boolean", "description": "The purpose says nothing on its own."},
        "purpose_missing": {"type": "boolean", "description": "Imported without a purpose."},
        "desired_outcome": {"type": "string"},
        "kind": {"type": "string", "enum": list(KINDS)},
        "starts_at": {"type": "string", "format": "date-time", "description": "In the engagement's zone."},
        "ends_at": {"type": "string", "format": "date-time", "description": "In the engagement's zone."},
        "duration_minutes": {"type": "integer"},
        "location": {"type": "string"},
        "conference_url": {"type": "string"},
        "status": {"type": "string", "enum": list(STATUSES)},
        "internal": {"type": "boolean"},
        "internal_notes": {"type": "string"},
        "contact_ids": {"type": "array", "items": {"type": "integer"}},
        "user_ids": {"type": "array", "items": {"type": "integer"}},
        "agenda": {"type": "array", "items": {"$ref": "#/components/schemas/AgendaItem"}},
        "agenda_minutes": {"type": "integer"},
        "free_minutes": {"type": "integer", "description": "Length minus the agenda's minutes."},
        "sequence": {"type": "integer", "description": "Goes up on every change a calendar sees."},
        "version": {"type": "integer", "description": "Send it back (field or If-Match) to edit safely."},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "cancelled_at": {"type": "string", "format": "date-time", "nullable": True},
        "url": {"type": "string", "format": "uri", "description": "The meeting's page."},
    },
    "required": [
        "id",
        "engagement_id",
        "uid",
        "title",
        "purpose",
        "starts_at",
        "ends_at",
        "status",
        "sequence",
    ],
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": 'The version you last read, e.g. "3"; a stale one is refused with 409.',
    "schema": {"type": "string"},
}
_MEETING = {"description": "OK", "content": json_content("Meeting")}

add_paths(
    {
        "/engagements/{engagement_id}/meetings": {
            "get": {
                "summary": "The engagement's meetings by start time (viewer), a page at a time: "
                'more follow when the answer has a Link: <…>; rel="next" header',
                "parameters": [
                    {
                        "name": "from",
                        "in": "query",
                        "description": "Meetings starting at or after: a date (in the engagement's zone) "
                        "or an ISO 8601 date-time.",
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "to",
                        "in": "query",
                        "description": "Meetings starting before: a date (through its end) or a date-time.",
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "status",
                        "in": "query",
                        "description": "Only these statuses, comma-separated.",
                        "schema": {"type": "string"},
                    },
                    *PAGE_PARAMETERS,
                ],
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": json_content(
                            {"type": "array", "items": {"$ref": "#/components/schemas/Meeting"}}
                        ),
                    },
                    **error_responses(401, 404, 422),
                },
            },
            "post": {
                "parameters": [IDEMPOTENCY_PARAMETER],
                "summary": "Plan a meeting; its purpose is required (member)",
                "requestBody": {
                    "required": True,
                    "content": json_content(request_schema(CREATE_FIELDS, create=True)),
                },
                "responses": {
                    "201": {"description": "Created", "content": json_content("Meeting")},
                    **error_responses(400, 401, 403, 404, 422),
                },
            },
        },
        "/meetings/{meeting_id}": {
            "get": {
                "summary": "One meeting with its agenda (viewer); the ETag is its version",
                "responses": {"200": _MEETING, **error_responses(401, 404)},
            },
            "patch": {
                "summary": "Change any subset of a meeting's fields (member); the whole result is validated",
                "parameters": [IF_MATCH],
                "requestBody": {
                    "required": True,
                    "content": json_content(request_schema(FIELDS, create=False)),
                },
                "responses": {"200": _MEETING, **error_responses(400, 401, 403, 404, 409, 422)},
            },
            "delete": {
                "summary": "Cancel the meeting (member): status cancelled, sequence bumped, the meeting kept",
                "parameters": [IF_MATCH],
                "responses": {"200": _MEETING, **error_responses(400, 401, 403, 404, 409)},
            },
        },
    },
    {"Meeting": MEETING_SCHEMA},
)
