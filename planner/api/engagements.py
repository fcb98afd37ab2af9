"""API v1: engagements (create, list, read, edit by the owner)."""

from __future__ import annotations

from datetime import time

from flask import current_app, g, jsonify, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from planner.api import api
from planner.api.common import api_engagement, api_user, form_from_json, iso, json_body
from planner.api.idempotency import IDEMPOTENCY_PARAMETER, commit_answer, idempotent
from planner.api.openapi import add_paths, error_responses
from planner.api.schema import F, check_body, json_content, request_schema
from planner.extensions import db
from planner.forms.schedule import TEXT, EngagementForm
from planner.models import Engagement, Membership
from planner.operations.schedule import create_engagement, update_engagement

FIELDS = {
    "name": F("string", "What the team calls this piece of work.", required=True, max_length=200),
    "client_name": F("string", "The client organisation.", nullable=True, max_length=200),
    "description": F("text", nullable=True, max_length=TEXT),
    "timezone": F("string", "IANA time zone; every time is shown in it (default Asia/Tokyo).", max_length=64),
    "country": F(
        "string", "ISO country code for public holidays; empty takes it from the zone.", nullable=True
    ),
    "language": F("string", "The client's language.", enum=("ja", "en")),
    "starts_on": F("date", nullable=True),
    "ends_on": F("date", nullable=True),
}
READ_ONLY = ("id", "revision", "role", "settings", "created_at", "updated_at", "url")
SETTINGS = (
    "call_max_minutes",
    "agenda_horizon_days",
    "agenda_lead_hours",
    "urgent_hours",
    "warning_working_days",
    "quiet_days",
    "cancelled_feed_days",
    "simple_question_minutes",
    "many_people",
    "new_work_minutes",
    "estimate_working_days",
    "lunch_from",
    "lunch_until",
)


def _setting(value):
    # The lunch hour is a wall-clock time: "12:00".
    return value.strftime("%H:%M") if isinstance(value, time) else value


def base_url() -> str:
    """Where links point: PUBLIC_URL when configured, else this request's host."""
    return (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")


def engagement_json(engagement: Engagement) -> dict:
    """An engagement as the API shows it, with the caller's role."""
    found = engagement.membership_of(api_user())
    return {
        "id": engagement.id,
        "name": engagement.name,
        "client_name": engagement.client_name,
        "description": engagement.description,
        "timezone": engagement.timezone,
        "country": engagement.country,
        "language": engagement.language,
        "starts_on": engagement.starts_on.isoformat() if engagement.starts_on else None,
        "ends_on": engagement.ends_on.isoformat() if engagement.ends_on else None,
        "revision": engagement.revision,
        "role": found.role if found else None,
        "settings": {key: _setting(getattr(engagement, key)) for key in SETTINGS},
        "created_at": iso(engagement.created_at),
        "updated_at": iso(engagement.updated_at),
        "url": base_url() + url_for("engagements.show", engagement_id=engagement.id),
    }


def _current(engagement: Engagement) -> dict:
    return {
        "name": engagement.name,
        "client_name": engagement.client_name,
        "description": engagement.description,
        "timezone": engagement.timezone,
        "country": engagement.country,
        "language": engagement.language,
        "starts_on": engagement.starts_on.isoformat() if engagement.starts_on else None,
        "ends_on": engagement.ends_on.isoformat() if engagement.ends_on else None,
    }


@api.post("/engagements")
@idempotent
def create_engagement_api():
    payload = json_body()
    check_body(payload, FIELDS, read_only=READ_ONLY)
    form = form_from_json(EngagementForm, payload)
    engagement = create_engagement(api_user(), form.values(), now=g.now)
    db.session.flush()
    return commit_answer(
        engagement_json(engagement), 201, {"Location": f"/api/v1/engagements/{engagement.id}"}
    )


@api.get("/engagements")
def list_engagements():
    rows = db.session.scalars(
        select(Engagement)
        .join(Membership)
        .where(Membership.user_id == api_user().id)
        .options(selectinload(Engagement.members))
        .order_by(Engagement.created_at, Engagement.id)
    ).all()
    return jsonify([engagement_json(e) for e in rows])


@api.get("/engagements/<int:engagement_id>")
def get_engagement(engagement_id: int):
    return jsonify(engagement_json(api_engagement(engagement_id)))


@api.patch("/engagements/<int:engagement_id>")
def patch_engagement(engagement_id: int):
    engagement = api_engagement(engagement_id, "owner")
    payload = json_body()
    check_body(payload, FIELDS, read_only=READ_ONLY)
    # The merged values go through the same form, so a patch cannot leave an invalid engagement.
    form = form_from_json(EngagementForm, _current(engagement) | payload)
    values = form.values()
    if "country" not in payload:
        values["country"] = engagement.country
    update_engagement(engagement, values, now=g.now)
    db.session.commit()
    return jsonify(engagement_json(engagement))


ENGAGEMENT_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "client_name": {"type": "string"},
        "description": {"type": "string"},
        "timezone": {"type": "string"},
        "country": {"type": "string", "nullable": True},
        "language": {"type": "string", "enum": ["ja", "en"]},
        "starts_on": {"type": "string", "format": "date", "nullable": True},
        "ends_on": {"type": "string", "format": "date", "nullable": True},
        "revision": {"type": "integer", "description": "Goes up whenever anything a calendar sees changes."},
        "role": {"type": "string", "enum": ["viewer", "member", "owner"]},
        "settings": {
            "type": "object",
            "description": "Triage and warning thresholds; the lunch hour kept free as HH:MM (null: none).",
            "properties": {
                key: {"type": "string", "nullable": True, "pattern": "^[0-2][0-9]:[0-5][0-9]$"}
                if key.startswith("lunch_")
                else {"type": "integer"}
                for key in SETTINGS
            },
        },
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "url": {"type": "string", "format": "uri", "description": "The engagement's page."},
    },
    "required": ["id", "name", "timezone", "revision", "role"],
}

add_paths(
    {
        "/engagements": {
            "get": {
                "summary": "The engagements the caller is a member of",
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": json_content(
                            {"type": "array", "items": {"$ref": "#/components/schemas/Engagement"}}
                        ),
                    },
                    **error_responses(401),
                },
            },
            "post": {
                "parameters": [IDEMPOTENCY_PARAMETER],
                "summary": "Create an engagement; the caller becomes its owner",
                "requestBody": {
                    "required": True,
                    "content": json_content(request_schema(FIELDS, create=True)),
                },
                "responses": {
                    "201": {"description": "Created", "content": json_content("Engagement")},
                    **error_responses(400, 401, 422),
                },
            },
        },
        "/engagements/{engagement_id}": {
            "get": {
                "summary": "One engagement (viewer)",
                "responses": {
                    "200": {"description": "OK", "content": json_content("Engagement")},
                    **error_responses(401, 404),
                },
            },
            "patch": {
                "summary": "Change any subset of the engagement's fields (owner)",
                "requestBody": {
                    "required": True,
                    "content": json_content(request_schema(FIELDS, create=False)),
                },
                "responses": {
                    "200": {"description": "OK", "content": json_content("Engagement")},
                    **error_responses(400, 401, 403, 404, 422),
                },
            },
        },
    },
    {"Engagement": ENGAGEMENT_SCHEMA},
)
