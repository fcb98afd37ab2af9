"""API v1: a meeting's agenda items."""

from __future__ import annotations

from flask import g, jsonify

from planner.api import api
from planner.api.common import api_meeting, check_api_role, form_from_json, iso, json_body
from planner.api.idempotency import IDEMPOTENCY_PARAMETER, commit_answer, idempotent
from planner.api.openapi import add_paths, error_responses
from planner.api.schema import F, check_body, json_content, request_schema
from planner.extensions import db
from planner.forms.schedule import TEXT, AgendaItemForm
from planner.models import AgendaItem
from planner.operations.schedule import add_agenda_item, remove_agenda_item, update_agenda_item

ITEM_FIELDS = {
    "title": F("string", required=True, max_length=300),
    "minutes": F("integer", "Default 10.", minimum=1, maximum=480),
    "notes": F("text", nullable=True, max_length=TEXT),
    "done": F("boolean"),
}
ITEM_READ_ONLY = ("id", "meeting_id", "position", "created_at")


def api_agenda_item(item_id: int, role: str = "viewer") -> AgendaItem:
    """The agenda item, if the caller's role on its engagement allows `role`."""
    item = db.session.get(AgendaItem, item_id)
    check_api_role(item.meeting.engagement if item else None, role)
    return item


def item_json(item: AgendaItem) -> dict:
    """An agenda item as the API shows it."""
    return {
        "id": item.id,
        "meeting_id": item.meeting_id,
        "title": item.title,
        "minutes": item.minutes,
        "notes": item.notes,
        "position": item.position,
        "done": item.done,
        "created_at": iso(item.created_at),
    }


@api.post("/meetings/<int:meeting_id>/agenda")
@idempotent
def add_agenda_item_api(meeting_id: int):
    meeting = api_meeting(meeting_id, "member")
    payload = json_body()
    check_body(payload, ITEM_FIELDS, read_only=ITEM_READ_ONLY)
    form = form_from_json(AgendaItemForm, payload)
    item = add_agenda_item(
        meeting,
        title=form.title.data.strip(),
        minutes=form.minutes.data,
        notes=form.notes.data or "",
        now=g.now,
    )
    if payload.get("done"):
        item.done = True
    db.session.flush()
    return commit_answer(item_json(item), 201)


@api.patch("/agenda/<int:item_id>")
def patch_agenda_item(item_id: int):
    item = api_agenda_item(item_id, "member")
    payload = json_body()
    check_body(payload, ITEM_FIELDS, read_only=ITEM_READ_ONLY)
    current = {"title": item.title, "minutes": item.minutes, "notes": item.notes}
    form = form_from_json(AgendaItemForm, current | {k: v for k, v in payload.items() if k != "done"})
    data = {"title": form.title.data.strip(), "minutes": form.minutes.data, "notes": form.notes.data or ""}
    if payload.get("done") is not None:
        data["done"] = payload["done"]
    update_agenda_item(item, data, now=g.now)
    db.session.commit()
    return jsonify(item_json(item))


@api.delete("/agenda/<int:item_id>")
def delete_agenda_item(item_id: int):
    item = api_agenda_item(item_id, "member")
    remove_agenda_item(item, now=g.now)
    db.session.commit()
    return "", 204


ITEM_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "meeting_id": {"type": "integer"},
        "title": {"type": "string"},
        "minutes": {"type": "integer"},
        "notes": {"type": "string"},
        "position": {"type": "integer", "description": "Order in the agenda, from 1."},
        "done": {"type": "boolean"},
        "created_at": {"type": "string", "format": "date-time"},
    },
    "required": ["id", "meeting_id", "title", "minutes", "position", "done"],
}
_ITEM = {"description": "OK", "content": json_content("AgendaItem")}

add_paths(
    {
        "/meetings/{meeting_id}/agenda": {
            "post": {
                "parameters": [IDEMPOTENCY_PARAMETER],
                "summary": "Append an item to the meeting's agenda (member)",
                "requestBody": {
                    "required": True,
                    "content": json_content(request_schema(ITEM_FIELDS, create=True)),
                },
                "responses": {
                    "201": {"description": "Created", "content": json_content("AgendaItem")},
                    **error_responses(400, 401, 403, 404, 422),
                },
            },
        },
        "/agenda/{item_id}": {
            "patch": {
                "summary": "Change an agenda item's title, minutes, notes or done flag (member)",
                "requestBody": {
                    "required": True,
                    "content": json_content(request_schema(ITEM_FIELDS, create=False)),
                },
                "responses": {"200": _ITEM, **error_responses(400, 401, 403, 404, 422)},
            },
            "delete": {
                "summary": "Take an item off the agenda (member)",
                "responses": {"204": {"description": "Removed"}, **error_responses(401, 403, 404)},
            },
        },
    },
    {"AgendaItem": ITEM_SCHEMA},
)
