"""API v1: an engagement's client contacts and their profiles."""

from __future__ import annotations

from flask import g, jsonify

from planner.api import api
from planner.api.common import api_engagement, check_api_role, form_from_json, iso, json_body
from planner.api.idempotency import IDEMPOTENCY_PARAMETER, commit_answer, idempotent
from planner.api.openapi import add_paths, error_responses
from planner.api.schema import F, check_body, json_content, request_schema
from planner.extensions import db
from planner.forms.contacts import CHANNEL_LABELS, FORMAT_LABELS, LANGUAGE_LABELS, READERS_LABELS, ContactForm
from planner.models import Contact
from planner.operations.contacts import create_contact, update_contact

FIELDS = {
    "name": F("string", required=True, max_length=120),
    "organisation": F("string", nullable=True, max_length=200),
    "department": F(
        "string", "Their department, for the address block of replies.", nullable=True, max_length=200
    ),
    "role": F("string", "Role or title.", nullable=True, max_length=120),
    "email": F("email", nullable=True, max_length=254),
    "phone": F("string", nullable=True, max_length=40),
    "language": F("string", "Language to write to them in (default ja).", enum=tuple(LANGUAGE_LABELS)),
    "preferred_channel": F(
        "string", "How they like to be reached (default email).", enum=tuple(CHANNEL_LABELS)
    ),
    "readers": F("string", "Who reads what we send them.", nullable=True, enum=tuple(READERS_LABELS)),
    "prefers_format": F("string", nullable=True, enum=tuple(FORMAT_LABELS)),
    "notes": F("text", "Background that stays true about them.", nullable=True, max_length=4000),
    "timezone": F(
        "string", "Where they are, an IANA name; empty: the engagement's zone.", nullable=True, max_length=64
    ),
    "call_from": F("time", "They take calls from (in their zone); both or neither.", nullable=True),
    "call_until": F("time", "They take calls until (in their zone).", nullable=True),
}
READ_ONLY = ("id", "engagement_id", "created_at", "updated_at")


def api_contact(contact_id: int, role: str = "viewer") -> Contact:
    """The contact, if the caller's role on its engagement allows `role`."""
    contact = db.session.get(Contact, contact_id)
    check_api_role(contact.engagement if contact else None, role)
    return contact


def contact_json(contact: Contact) -> dict:
    """A contact as the API shows it."""
    return {
        "id": contact.id,
        "engagement_id": contact.engagement_id,
        **{key: getattr(contact, key) for key in FIELDS if key not in ("call_from", "call_until")},
        "call_from": contact.call_from.strftime("%H:%M") if contact.call_from else None,
        "call_until": contact.call_until.strftime("%H:%M") if contact.call_until else None,
        "created_at": iso(contact.created_at),
        "updated_at": iso(contact.updated_at),
    }


@api.post("/engagements/<int:engagement_id>/contacts")
@idempotent
def create_contact_api(engagement_id: int):
    engagement = api_engagement(engagement_id, "member")
    payload = json_body()
    check_body(payload, FIELDS, read_only=READ_ONLY)
    form = form_from_json(ContactForm, payload)
    contact = create_contact(engagement, form.values(), now=g.now)
    db.session.flush()
    return commit_answer(contact_json(contact), 201, {"Location": f"/api/v1/contacts/{contact.id}"})


@api.get("/engagements/<int:engagement_id>/contacts")
def list_contacts(engagement_id: int):
    engagement = api_engagement(engagement_id)
    return jsonify([contact_json(c) for c in engagement.contacts])


@api.get("/contacts/<int:contact_id>")
def get_contact(contact_id: int):
    return jsonify(contact_json(api_contact(contact_id)))


@api.patch("/contacts/<int:contact_id>")
def patch_contact(contact_id: int):
    contact = api_contact(contact_id, "member")
    payload = json_body()
    check_body(payload, FIELDS, read_only=READ_ONLY)
    current = {key: getattr(contact, key) for key in FIELDS}
    form = form_from_json(ContactForm, current | payload)
    update_contact(contact, form.values(), now=g.now)
    db.session.commit()
    return jsonify(contact_json(contact))


CONTACT_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "engagement_id": {"type": "integer"},
        "name": {"type": "string"},
        "organisation": {"type": "string"},
        "department": {"type": "string"},
        "role": {"type": "string"},
        "email": {"type": "string"},
        "phone": {"type": "string"},
        "language": {"type": "string", "enum": list(LANGUAGE_LABELS)},
        "preferred_channel": {"type": "string", "enum": list(CHANNEL_LABELS)},
        "readers": {"type": "string", "nullable": True, "enum": [*READERS_LABELS, None]},
        "prefers_format": {"type": "string", "nullable": True, "enum": [*FORMAT_LABELS, None]},
        "notes": {"type": "string"},
        "timezone": {"type": "string", "description": "IANA name; empty: the engagement's zone"},
        "call_from": {"type": "string", "nullable": True, "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
        "call_until": {"type": "string", "nullable": True, "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
    },
    "required": ["id", "engagement_id", "name", "language", "preferred_channel"],
}

add_paths(
    {
        "/engagements/{engagement_id}/contacts": {
            "get": {
                "summary": "The engagement's contacts, by name (viewer)",
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": json_content(
                            {"type": "array", "items": {"$ref": "#/components/schemas/Contact"}}
                        ),
                    },
                    **error_responses(401, 404),
                },
            },
            "post": {
                "parameters": [IDEMPOTENCY_PARAMETER],
                "summary": "Add a client contact (member)",
                "requestBody": {
                    "required": True,
                    "content": json_content(request_schema(FIELDS, create=True)),
                },
                "responses": {
                    "201": {"description": "Created", "content": json_content("Contact")},
                    **error_responses(400, 401, 403, 404, 422),
                },
            },
        },
        "/contacts/{contact_id}": {
            "get": {
                "summary": "One contact (viewer)",
                "responses": {
                    "200": {"description": "OK", "content": json_content("Contact")},
                    **error_responses(401, 404),
                },
            },
            "patch": {
                "summary": "Change any subset of a contact's profile (member); null clears an optional field",
                "requestBody": {
                    "required": True,
                    "content": json_content(request_schema(FIELDS, create=False)),
                },
                "responses": {
                    "200": {"description": "OK", "content": json_content("Contact")},
                    **error_responses(400, 401, 403, 404, 422),
                },
            },
        },
    },
    {"Contact": CONTACT_SCHEMA},
)
