"""API v1: linked CalDAV calendars: link one, sync it, read its status."""

from __future__ import annotations

from flask import g, jsonify

from planner.api import api
from planner.api.common import (
    ApiError,
    api_engagement,
    api_user,
    check_api_role,
    form_from_json,
    iso,
    json_body,
)
from planner.api.idempotency import IDEMPOTENCY_PARAMETER, commit_answer, idempotent
from planner.api.openapi import add_paths, error_responses
from planner.api.schema import F, check_body, json_content, request_schema
from planner.caldav_backend import AuthFailed, CalDAVError, CalendarGone
from planner.calendar_texts import sync_error_text, sync_note_text
from planner.extensions import db
from planner.forms.calendars import ApiLinkForm
from planner.models import CalendarLink
from planner.operations.calendars import link_calendar, pending_count
from planner.operations.sync_lease import lease_held
from planner.tasks import broker_configured, enqueue_sync, sync_now

ON_CANCEL = ("status", "delete")
BUSY = "Another sync of this calendar is running."
QUEUE_DOWN = (
    "The job queue cannot be reached at the moment; the calendar is synced by itself once it is back."
)
ID_OBJECT = {"type": "object", "properties": {"id": {"type": "integer"}}}
JOB_OBJECT = {
    "type": "object",
    "properties": {
        "job_id": {"type": "string", "nullable": True},
        "queued": {"type": "boolean", "description": "false: the job queue is unreachable; the sync waits"},
        "message": {"type": "string"},
    },
}
RESULT_OBJECT = {"type": "object", "properties": {"result": {"$ref": "#/components/schemas/SyncResult"}}}
FIELDS = {
    "url": F("uri", "The CalDAV server's address.", required=True, max_length=500),
    "username": F("string", nullable=True, max_length=200),
    "password": F("string", "Password or app password; stored encrypted, never returned.", max_length=500),
    "calendar_url": F("uri", "An existing calendar on that server.", nullable=True, max_length=500),
    "calendar_name": F(
        "string", "Create a new calendar with this name instead.", nullable=True, max_length=200
    ),
    "on_cancel": F(
        "string", "How a cancelled meeting is written (default status).", enum=("status", "delete")
    ),
}


def api_link(link_id: int, role: str = "viewer") -> CalendarLink:
    """The link, if the caller's role on its engagement allows ``role``."""
    link = db.session.get(CalendarLink, link_id)
    check_api_role(link.engagement if link else None, role)
    return link


def link_json(link: CalendarLink) -> dict:
    """A link's status as the API shows it (never the password)."""
    return {
        "id": link.id,
        "engagement_id": link.engagement_id,
        "server_url": link.server_url,
        "username": link.username,
        "calendar_url": link.calendar_url,
        "display_name": link.display_name,
        "on_cancel": link.on_cancel,
        "last_success_at": iso(link.last_success_at),
        "last_error": (
            sync_error_text(link.last_error_code, link.error_params, fallback=link.last_error)
            if link.last_error
            else None
        ),
        "last_error_code": link.last_error_code if link.last_error else None,
        "last_error_at": iso(link.last_error_at),
        "next_attempt_at": iso(link.next_attempt_at),
        "failures": link.failures,
        "pending": pending_count(link),
        "last_run": {
            **link.counts,
            "notes": [sync_note_text(n) for n in link.counts.get("notes", []) if isinstance(n, dict)],
        },
        "running": lease_held(link, g.now),
    }


@api.post("/engagements/<int:engagement_id>/calendars")
@idempotent
def create_calendar_link(engagement_id: int):
    engagement = api_engagement(engagement_id, "member")
    payload = json_body()
    check_body(payload, FIELDS)
    form = form_from_json(ApiLinkForm, payload)
    try:
        link = link_calendar(
            engagement,
            url=form.url.data.strip(),
            username=form.username.data or "",
            password=form.password.data or "",
            calendar_url=form.calendar_url.data or None,
            calendar_name=form.calendar_name.data or None,
            on_cancel=form.on_cancel.data or "status",
            user=api_user(),
            now=g.now,
        )
    except (AuthFailed, CalendarGone) as exc:
        db.session.rollback()
        field = "password" if isinstance(exc, AuthFailed) else "calendar_url"
        words = sync_error_text(exc.code, exc.params, fallback=str(exc))
        raise ApiError(422, words, {field: [words]}) from exc
    except CalDAVError as exc:
        db.session.rollback()
        raise ApiError(502, sync_error_text(exc.code, exc.params, fallback=str(exc))) from exc
    db.session.flush()
    link_id = link.id
    response = commit_answer({"id": link_id}, 201, {"Location": f"/api/v1/calendars/{link_id}"})
    enqueue_sync(link_id)
    return response


@api.get("/calendars/<int:link_id>")
def get_calendar_link(link_id: int):
    return jsonify(link_json(api_link(link_id)))


@api.post("/calendars/<int:link_id>/sync")
def sync_calendar_link(link_id: int):
    link = api_link(link_id, "member")
    if broker_configured():
        if lease_held(link, g.now):
            return jsonify({"result": {"link_id": link.id, "busy": True, "error": BUSY}}), 409
        job_id = enqueue_sync(link.id)
        if job_id is None:
            # Nothing is lost: what is pending stays pending and goes out once the queue is back.
            return jsonify({"job_id": None, "queued": False, "message": QUEUE_DOWN}), 202
        return jsonify({"job_id": job_id, "queued": True}), 202
    result = result_in_words(sync_now(link.id))
    return jsonify({"result": result}), 409 if result.get("busy") else 200


def result_in_words(result: dict) -> dict:
    """A run's result with its error and notes written in the reader's language."""
    shown = dict(result)
    if shown.get("error"):
        shown["error"] = sync_error_text(shown.get("error_code"), shown.get("error_params"), shown["error"])
    shown["notes"] = [sync_note_text(note) for note in shown.get("notes", [])]
    shown.pop("error_params", None)
    return shown


LINK_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "engagement_id": {"type": "integer"},
        "server_url": {"type": "string"},
        "username": {"type": "string"},
        "calendar_url": {"type": "string"},
        "display_name": {"type": "string"},
        "on_cancel": {"type": "string", "enum": ["status", "delete"]},
        "last_success_at": {"type": "string", "format": "date-time", "nullable": True},
        "last_error": {"type": "string", "nullable": True, "description": "The last failure, in words"},
        "last_error_code": {"type": "string", "nullable": True, "description": "The last failure, as a code"},
        "last_error_at": {"type": "string", "format": "date-time", "nullable": True},
        "next_attempt_at": {"type": "string", "format": "date-time", "nullable": True},
        "failures": {"type": "integer", "description": "Consecutive failures (back-off grows with them)"},
        "pending": {"type": "integer", "description": "Meetings the calendar has not caught up with"},
        "last_run": {"type": "object", "description": "Counts of the last run"},
        "running": {"type": "boolean"},
    },
    "required": ["id", "engagement_id", "calendar_url", "pending", "running"],
}
RESULT_SCHEMA = {
    "type": "object",
    "properties": {
        "link_id": {"type": "integer"},
        "pushed": {"type": "integer"},
        "pulled": {"type": "integer"},
        "imported": {"type": "integer"},
        "conflicts": {"type": "integer"},
        "removed": {"type": "integer"},
        "deleted": {"type": "integer"},
        "skipped_items": {"type": "integer"},
        "refused": {"type": "integer", "description": "Meetings the server would not store (retried later)"},
        "requests": {"type": "integer"},
        "busy": {"type": "boolean"},
        "error": {"type": "string", "nullable": True},
        "error_code": {"type": "string", "nullable": True},
        "retryable": {"type": "boolean"},
        "notes": {"type": "array", "items": {"type": "string"}},
    },
}

add_paths(
    {
        "/engagements/{engagement_id}/calendars": {
            "post": {
                "parameters": [IDEMPOTENCY_PARAMETER],
                "summary": "Link a CalDAV calendar (member): an existing one by calendar_url, "
                "or a new one by calendar_name; the first sync starts at once",
                "requestBody": {
                    "required": True,
                    "content": json_content(request_schema(FIELDS, create=True)),
                },
                "responses": {
                    "201": {
                        "description": "Linked",
                        "content": json_content(
                            {"type": "object", "properties": {"id": {"type": "integer"}}}
                        ),
                    },
                    **error_responses(400, 401, 403, 404, 422),
                    "502": {"description": "The calendar server could not be reached or failed"},
                },
            }
        },
        "/calendars/{link_id}": {
            "get": {
                "summary": "A linked calendar's status: last success, last error in words, pending, last run",
                "responses": {
                    "200": {"description": "OK", "content": json_content("CalendarLink")},
                    **error_responses(401, 404),
                },
            }
        },
        "/calendars/{link_id}/sync": {
            "post": {
                "summary": "Sync now (member): the run's result, or a job id when a broker runs it",
                "responses": {
                    "200": {
                        "description": "Ran",
                        "content": json_content(
                            {
                                "type": "object",
                                "properties": {"result": {"$ref": "#/components/schemas/SyncResult"}},
                            }
                        ),
                    },
                    "202": {
                        "description": "Queued",
                        "content": json_content(
                            {"type": "object", "properties": {"job_id": {"type": "string"}}}
                        ),
                    },
                    **error_responses(401, 403, 404, 409),
                },
            }
        },
    },
    {"CalendarLink": LINK_SCHEMA, "SyncResult": RESULT_SCHEMA},
)
