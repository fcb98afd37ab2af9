"""What every API module shares: the caller, access checks, JSON errors and JSON-to-form validation."""

from __future__ import annotations

from datetime import datetime

from flask import abort, g, jsonify, make_response, request
from werkzeug.datastructures import MultiDict

from planner.extensions import db
from planner.models import Engagement, Meeting, User
from planner.models.people import ROLES


def api_user() -> User:
    return g.api_user


def json_error(status: int, message: str, fields: dict | None = None):
    body: dict = {"error": message}
    if fields:
        body["fields"] = fields
    return make_response(jsonify(body), status)


class ApiError(Exception):
    """Raised anywhere in an API view to answer with a JSON error."""

    def __init__(self, status: int, message: str, fields: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.fields = status, message, fields


def check_api_role(engagement: Engagement | None, role: str) -> Engagement:
    if engagement is None:
        abort(404, description="Not found.")
    found = engagement.membership_of(api_user())
    if found is None:
        abort(404, description="Not found.")
    if ROLES.index(found.role) < ROLES.index(role):
        abort(403, description=f"Your role on this engagement is {found.role}; this needs {role}.")
    return engagement


def api_engagement(engagement_id: int, role: str = "viewer") -> Engagement:
    return check_api_role(db.session.get(Engagement, engagement_id), role)


def api_meeting(meeting_id: int, role: str = "viewer") -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    check_api_role(meeting.engagement if meeting else None, role)
    return meeting


def json_body() -> dict:
    """The request's JSON object, or a 400 that says what is wrong."""
    try:
        payload = request.get_json(silent=True)
    except RecursionError:
        payload = None  # nested beyond what the parser can read: refused like any unreadable body
    if not isinstance(payload, dict):
        raise ApiError(400, "The body must be a JSON object (Content-Type: application/json).")
    return payload


def _as_form_values(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, bool):
        return ["y"] if value else []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v is not None and not isinstance(v, dict | list)]
    if isinstance(value, dict):
        return ["\x00invalid"]
    if isinstance(value, datetime):
        return [value.isoformat()]
    return [str(value)]


def form_from_json(form_class, payload: dict, **kwargs):
    """Validate a JSON object with a WTForms form; raise a 422 naming each bad field."""
    formdata = MultiDict()
    for key, value in payload.items():
        for item in _as_form_values(value):
            formdata.add(key, item)
    meta = {"csrf": False} | kwargs.pop("meta", {})
    prepare = kwargs.pop("prepare", None)
    form = form_class(formdata=formdata, meta=meta, **kwargs)
    if prepare:
        prepare(form)
    if not form.validate():
        raise ApiError(
            422, "Some fields are not valid.", {k: [str(m) for m in v] for k, v in form.errors.items()}
        )
    return form


def iso(value: datetime | None, zone=None) -> str | None:
    """ISO 8601 with the offset, in the engagement's zone when given."""
    if value is None:
        return None
    return (value.astimezone(zone) if zone else value).isoformat()
