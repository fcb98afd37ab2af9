"""API v1 for the caller's own profile: the name, company, title and phone their replies are signed with."""

from __future__ import annotations

from flask import jsonify

from planner.api import api
from planner.api.common import api_user, json_body
from planner.api.openapi import add_paths, error_responses
from planner.api.schema import F, check_body, json_content, request_schema
from planner.extensions import db
from planner.models import User

FIELDS = {
    "name": F("string", "How replies are signed.", nullable=True, max_length=120),
    "company": F("string", "The company under the signature.", nullable=True, max_length=200),
    "title": F("string", "The title under the signature.", nullable=True, max_length=120),
    "phone": F("string", "The phone number under the signature.", nullable=True, max_length=40),
}
READ_ONLY = ("id", "email", "locale")


def me_json(user: User) -> dict:
    """The caller's profile."""
    return {
        "id": user.id,
        "email": user.email,
        "locale": user.locale,
        **{key: getattr(user, key) or "" for key in FIELDS},
    }


@api.get("/me")
def get_me():
    return jsonify(me_json(api_user()))


@api.patch("/me")
def patch_me():
    payload = json_body()
    check_body(payload, FIELDS, read_only=READ_ONLY)
    user = db.session.get(User, api_user().id)
    for key, value in payload.items():
        setattr(user, key, (value or "").strip())
    db.session.commit()
    return jsonify(me_json(user))


ME_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "email": {"type": "string"},
        "locale": {"type": "string", "nullable": True},
        **{key: {"type": "string"} for key in FIELDS},
    },
}

PROFILE = {"description": "The profile", "content": json_content("Me")}

add_paths(
    {
        "/me": {
            "get": {
                "summary": "The caller's profile (what their replies are signed with)",
                "responses": {
                    "200": {"description": "The profile", "content": json_content("Me")},
                    **error_responses(401),
                },
            },
            "patch": {
                "summary": "Change the name, company, title or phone replies are signed with",
                "requestBody": {
                    "required": True,
                    "content": json_content(request_schema(FIELDS, create=False)),
                },
                "responses": {
                    "200": {"description": "The profile", "content": json_content("Me")},
                    **error_responses(400, 401, 422),
                },
            },
        }
    },
    {"Me": ME_SCHEMA},
)
