"""API v1 for the caller's own profile: the name, company, title and phone their replies are signed with."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import g, jsonify

from planner.api import api
from planner.api.common import ApiError, api_user, iso, json_body
from planner.api.openapi import add_paths, error_responses
from planner.api.schema import F, check_body, json_content, request_schema
from planner.caldav_backend import CalDAVError
from planner.extensions import db
from planner.models import BusyCalendar, User
from planner.operations.busy_calendars import add_busy_calendar, busy_calendars, remove_busy_calendar
from planner.web.converters import MAX_ID

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


BUSY_FIELDS = {
    "url": F("string", "The CalDAV server's address.", required=True, max_length=500),
    "username": F("string", nullable=True, max_length=200),
    "password": F("string", "Stored encrypted, never shown back.", nullable=True, max_length=500),
    "calendar_url": F(
        "string", "The calendar's own address; empty: the server address.", nullable=True, max_length=500
    ),
}


def _web_address(text: str) -> bool:
    try:
        parts = urlsplit(text)
        return parts.scheme in ("http", "https") and bool(parts.hostname) and text.isprintable()
    except ValueError:
        return False


def busy_json(calendar: BusyCalendar) -> dict:
    """A linked personal calendar, without its password."""
    return {
        "id": calendar.id,
        "url": calendar.server_url,
        "username": calendar.username,
        "calendar_url": calendar.calendar_url,
        "created_at": iso(calendar.created_at),
    }


@api.get("/me/busy-calendars")
def list_busy_calendars():
    return jsonify([busy_json(c) for c in busy_calendars(api_user().id)])


@api.post("/me/busy-calendars")
def add_busy_calendar_api():
    payload = json_body()
    check_body(payload, BUSY_FIELDS)
    for key in ("url", "calendar_url"):
        if payload.get(key) and not _web_address(str(payload[key])):
            raise ApiError(422, "Some fields are not valid.", {key: ["An http:// or https:// address."]})
    user = db.session.get(User, api_user().id)
    try:
        calendar = add_busy_calendar(
            user,
            url=str(payload["url"]),
            username=str(payload.get("username") or ""),
            password=str(payload.get("password") or ""),
            calendar_url=str(payload.get("calendar_url") or ""),
            now=g.now,
        )
    except CalDAVError as error:
        raise ApiError(422, str(error), {"url": [str(error)]}) from None
    db.session.commit()
    return jsonify({"id": calendar.id}), 201


@api.delete("/me/busy-calendars/<int:calendar_id>")
def remove_busy_calendar_api(calendar_id: int):
    user = db.session.get(User, api_user().id)
    if calendar_id > MAX_ID or not remove_busy_calendar(user, calendar_id):
        raise ApiError(404, "No such calendar of yours.")
    db.session.commit()
    return "", 204


BUSY_IN = request_schema(BUSY_FIELDS, create=True)
CREATED = {"type": "object", "properties": {"id": {"type": "integer"}}}
CALENDAR_ID = {"name": "calendar_id", "in": "path", "required": True, "schema": {"type": "integer"}}

add_paths(
    {
        "/me/busy-calendars": {
            "get": {
                "summary": "The caller's personal calendars, read for busy times only",
                "responses": {"200": {"description": "The calendars"}, **error_responses(401)},
            },
            "post": {
                "summary": "Link a personal CalDAV calendar; it is read once to check it",
                "requestBody": {
                    "required": True,
                    "content": json_content(request_schema(BUSY_FIELDS, create=True)),
                },
                "responses": {
                    "201": {
                        "description": "Linked",
                        "content": json_content(
                            {"type": "object", "properties": {"id": {"type": "integer"}}}
                        ),
                    },
                    **error_responses(400, 401, 422),
                },
            },
        },
        "/me/busy-calendars/{calendar_id}": {
            "delete": {
                "summary": "Stop reading a personal calendar",
                "parameters": [
                    {"name": "calendar_id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "responses": {"204": {"description": "Removed"}, **error_responses(401, 404)},
            }
        },
    }
)
