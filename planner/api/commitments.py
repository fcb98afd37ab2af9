"""API v1 for commitments: create, list, read and update; `status` is always the current one."""

from __future__ import annotations

from flask import g, jsonify
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

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
from planner.commitments import estimate_overrun
from planner.extensions import db
from planner.forms.commitments import TEXT, ApiCommitmentForm
from planner.forms.fields import FiniteFloatField, ZonedDateTimeField
from planner.input_guard import MAX_ID
from planner.models.commitments import Commitment
from planner.operations.commitments import (
    create_commitment,
    engagement_commitments,
    record_client_told,
    set_status,
    update_commitment,
)

PATCH_STATUSES = ("open", "at_risk", "done", "dropped")


def commitment_json(commitment: Commitment, *, history: bool = False) -> dict:
    """A commitment as JSON, times in the engagement's zone, with its current status."""
    zone = commitment.engagement.tz
    body = {
        "id": commitment.id,
        "engagement_id": commitment.engagement_id,
        "title": commitment.title,
        "details": commitment.details,
        "owed_by": commitment.owed_by,
        "owner_email": commitment.owner.email if commitment.owner else None,
        "owner_name": commitment.owner_name,
        "contact_id": commitment.contact_id,
        "due_at": iso(commitment.due_at, zone),
        "status": commitment.current_status(g.now),
        "marked_at_risk": commitment.marked_at_risk,
        "done_at": iso(commitment.done_at, zone),
        "meeting_id": commitment.meeting_id,
        "request_id": commitment.request_id,
        "promised_amount": commitment.promised_amount,
        "revised_amount": commitment.revised_amount,
        "amount_unit": commitment.amount_unit,
        "estimate_raised": estimate_overrun(commitment.promised_amount, commitment.revised_amount),
        "revised_due_at": iso(commitment.revised_due_at, zone),
        "reason": commitment.reason,
        "client_told_at": iso(commitment.client_told_at, zone),
        "created_at": iso(commitment.created_at, zone),
        "updated_at": iso(commitment.updated_at, zone),
    }
    if history:
        body["history"] = [
            {
                "kind": e.kind,
                "before": e.before,
                "after": e.after,
                "actor_email": e.actor.email if e.actor else None,
                "at": iso(e.created_at, zone),
            }
            for e in commitment.events
        ]
    return body


def _commitment(commitment_id: int, role: str) -> Commitment:
    commitment = db.session.get(Commitment, commitment_id)
    check_api_role(commitment.engagement if commitment else None, role)
    return commitment


class PatchForm(ApiCommitmentForm):
    """PATCH body: any of the create fields, plus status, revised figures, reason and `client_told`."""

    status = StringField("status", validators=[Optional()])
    revised_due_at = ZonedDateTimeField("revised_due_at", validators=[Optional()])
    revised_amount = FiniteFloatField("revised_amount", validators=[Optional(), NumberRange(min=0)])
    reason = TextAreaField("reason", validators=[Optional(), Length(max=TEXT)])

    def validate_status(self, field):
        if field.data and field.data not in PATCH_STATUSES:
            raise ValidationError(f"status must be one of {', '.join(PATCH_STATUSES)} (late is computed).")


@api.route("/engagements/<int:engagement_id>/commitments", methods=["POST"])
@idempotent
def create_commitment_api(engagement_id: int):
    engagement = api_engagement(engagement_id, "member")
    form = form_from_json(
        ApiCommitmentForm, json_body(), engagement=engagement, meta={"zone": engagement.timezone}
    )
    commitment = create_commitment(engagement, form.values(), actor=api_user(), now=g.now)
    db.session.flush()
    return commit_answer(commitment_json(commitment), 201)


@api.route("/engagements/<int:engagement_id>/commitments", methods=["GET"])
def list_commitments_api(engagement_id: int):
    engagement = api_engagement(engagement_id)
    rows = engagement_commitments(engagement, now=g.now)
    return jsonify(commitments=[commitment_json(c) for c, _status in rows])


@api.route("/commitments/<int:commitment_id>", methods=["GET"])
def get_commitment_api(commitment_id: int):
    return jsonify(commitment_json(_commitment(commitment_id, "viewer"), history=True))


@api.route("/commitments/<int:commitment_id>", methods=["PATCH"])
def patch_commitment_api(commitment_id: int):
    commitment = _commitment(commitment_id, "member")
    payload = json_body()
    engagement = commitment.engagement
    if "client_told" in payload and not isinstance(payload["client_told"], bool):
        raise ApiError(
            422, "Some fields are not valid.", {"client_told": ["client_told must be true or false."]}
        )
    # The form checks types; only the keys the caller sent are applied, so a PATCH never blanks a field.
    merged = {"title": commitment.title, "owed_by": commitment.owed_by, "due_at": commitment.due_at} | payload
    form = form_from_json(PatchForm, merged, engagement=engagement, meta={"zone": engagement.timezone})
    values = form.values() | {
        "revised_due_at": form.revised_due_at.data,
        "revised_amount": form.revised_amount.data,
        "reason": (form.reason.data or "").strip(),
    }
    if "owner_email" in payload:
        values["owner_user_id"] = form.owner.id if form.owner else None
    changes = {key: values[key] for key in payload if key in values}
    if "owner_email" in payload:
        changes["owner_user_id"] = values["owner_user_id"]
    update_commitment(commitment, changes, actor=api_user(), now=g.now)
    if form.status.data:
        set_status(commitment, form.status.data, actor=api_user(), now=g.now)
    if payload.get("client_told") is True:
        record_client_told(commitment, how="api", actor=api_user(), now=g.now)
    db.session.commit()
    return jsonify(commitment_json(commitment, history=True))


_COMMITMENT_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "engagement_id": {"type": "integer"},
        "title": {"type": "string"},
        "details": {"type": "string"},
        "owed_by": {"type": "string", "enum": ["us", "client"]},
        "owner_email": {"type": "string", "nullable": True},
        "owner_name": {"type": "string"},
        "contact_id": {"type": "integer", "nullable": True},
        "due_at": {"type": "string", "format": "date-time", "nullable": True},
        "status": {"type": "string", "enum": ["open", "at_risk", "late", "done", "dropped"]},
        "marked_at_risk": {"type": "boolean"},
        "done_at": {"type": "string", "format": "date-time", "nullable": True},
        "meeting_id": {"type": "integer", "nullable": True},
        "request_id": {"type": "integer", "nullable": True},
        "promised_amount": {"type": "number", "nullable": True},
        "revised_amount": {"type": "number", "nullable": True},
        "amount_unit": {"type": "string"},
        "estimate_raised": {"type": "boolean"},
        "revised_due_at": {"type": "string", "format": "date-time", "nullable": True},
        "reason": {"type": "string"},
        "client_told_at": {"type": "string", "format": "date-time", "nullable": True},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "history": {"type": "array", "items": {"type": "object"}},
    },
}
_NEW_COMMITMENT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["title", "due_at"],
    "properties": {
        "title": {"type": "string", "maxLength": 300},
        "details": {"type": "string", "maxLength": TEXT},
        "owed_by": {"type": "string", "enum": ["us", "client"], "default": "us"},
        "owner_email": {"type": "string", "maxLength": 254, "description": "A member of the engagement."},
        "contact_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        "due_at": {
            "type": "string",
            "format": "date-time",
            "description": "Without an offset: the engagement's zone.",
        },
        "meeting_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        "request_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        "promised_amount": {"type": "number", "minimum": 0},
        "revised_amount": {"type": "number", "minimum": 0},
        "amount_unit": {"type": "string", "maxLength": 20},
    },
}
_PATCH = {
    "type": "object",
    "additionalProperties": False,
    "properties": _NEW_COMMITMENT["properties"]
    | {
        "status": {"type": "string", "enum": list(PATCH_STATUSES)},
        "revised_due_at": {"type": "string", "format": "date-time"},
        "reason": {"type": "string", "maxLength": TEXT},
        "client_told": {"type": "boolean", "description": "true records that the client was told now."},
    },
}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


add_paths(
    {
        "/engagements/{engagement_id}/commitments": {
            "parameters": [
                {"name": "engagement_id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "get": {
                "summary": "The engagement's commitments, ours first and late first, with current status",
                "responses": {
                    "200": {
                        "description": "OK",
                        **_json(
                            {
                                "type": "object",
                                "properties": {
                                    "commitments": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/Commitment"},
                                    }
                                },
                            }
                        ),
                    },
                    **error_responses(401, 404),
                },
            },
            "post": {
                "parameters": [IDEMPOTENCY_PARAMETER],
                "summary": "Record a commitment (by us or by the client)",
                "requestBody": {"required": True, **_json({"$ref": "#/components/schemas/NewCommitment"})},
                "responses": {
                    "201": {"description": "Created", **_json({"$ref": "#/components/schemas/Commitment"})},
                    **error_responses(400, 401, 403, 404, 422),
                },
            },
        },
        "/commitments/{commitment_id}": {
            "parameters": [
                {"name": "commitment_id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "get": {
                "summary": "A commitment with its history",
                "responses": {
                    "200": {"description": "OK", **_json({"$ref": "#/components/schemas/Commitment"})},
                    **error_responses(401, 404),
                },
            },
            "patch": {
                "summary": 'Change a commitment; {"status": "done"} closes it. Changes are kept in history',
                "requestBody": {"required": True, **_json({"$ref": "#/components/schemas/CommitmentPatch"})},
                "responses": {
                    "200": {"description": "OK", **_json({"$ref": "#/components/schemas/Commitment"})},
                    **error_responses(400, 401, 403, 404, 422),
                },
            },
        },
    },
    {"Commitment": _COMMITMENT_SCHEMA, "NewCommitment": _NEW_COMMITMENT, "CommitmentPatch": _PATCH},
)
