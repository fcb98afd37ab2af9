"""What no endpoint stores: the one place every API body, form and query string passes through.

A value that no database can hold (NUL, a lone surrogate, an id past the integer column, a number that is not
finite) would fail later, deep inside an operation, as a 500 or as nonsense stored; here it is refused at once
with a 422 that names the field. API bodies are also held to their documented keys.
"""

from __future__ import annotations

import math
import re
from typing import Any

from flask import Flask, current_app, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

# PostgreSQL's integer (ids are integer columns); any other integer must fit SQLite's 64 bits.
MAX_ID = 2**31 - 1
MAX_INT = 2**63 - 1
_RULE_PART = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


class Refused(HTTPException):
    """A 422 naming each refused field."""

    code = 422

    def __init__(self, fields: dict[str, list[str]]):
        super().__init__()
        self.fields = fields


def _is_id(name: str) -> bool:
    return name == "id" or name.endswith(("_id", "_ids"))


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return _("Contains a NUL character, which cannot be stored.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _("Contains characters that are not valid Unicode text.")
    return None


def _value_problem(name: str, value: Any, depth: int = 0) -> str | None:
    """Why a JSON value cannot be taken, or None; `name` is the key it was sent under."""
    if depth > 20:
        return _("Nested too deeply.")
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return _text_problem(value)
    if isinstance(value, int):
        limit = MAX_ID if _is_id(name) else MAX_INT
        if not -limit <= value <= limit:
            return _("Out of range (at most %(max)d).", max=limit)
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else _("Must be a finite number.")
    if isinstance(value, list):
        return next((p for v in value if (p := _value_problem(name, v, depth + 1))), None)
    if isinstance(value, dict):
        for key, item in value.items():
            problem = _text_problem(key) or _value_problem(key, item, depth + 1)
            if problem:
                return problem
    return None


def check_json(payload: Any, allowed: frozenset[str] | None = None) -> None:
    """Refuse (422) a JSON object's unknown keys and any value no database can store, naming each field."""
    if not isinstance(payload, dict):
        return  # not an object: each endpoint answers 400 for that
    errors: dict[str, list[str]] = {}
    for key, value in payload.items():
        label = str(key)[:100].encode("utf-8", "replace").decode("utf-8").replace("\x00", "")
        problem = _text_problem(key)
        if problem is None and allowed is not None and key not in allowed:
            problem = _("Unknown field.")
        problem = problem or _value_problem(key, value)
        if problem:
            errors[label or "?"] = [problem]
    if errors:
        raise Refused(errors)


def check_form() -> None:
    """Refuse (422) form fields and query parameters no database can store, naming each."""
    pairs = list(request.args.items(multi=True))
    if request.method in ("POST", "PUT", "PATCH") and not request.is_json:
        pairs += list(request.form.items(multi=True))
    errors: dict[str, list[str]] = {}
    for key, value in pairs:
        problem = _text_problem(key) or _text_problem(value)
        if problem is None and _is_id(key) and value.strip().isdigit() and int(value) > MAX_ID:
            problem = _("Out of range (at most %(max)d).", max=MAX_ID)
        if problem:
            errors[key.replace("\x00", "")[:100] or "?"] = [problem]
    if errors:
        raise Refused(errors)


def _documented_keys() -> dict[tuple[str, str], frozenset[str]]:
    """(route, method) → the keys its documented JSON body may have, for bodies that list them all."""
    known = current_app.extensions.get("planner_body_keys")
    if known is None:
        from planner.api.openapi import document

        spec = document()
        schemas = spec["components"]["schemas"]
        known = {}
        for path, item in spec["paths"].items():
            for method, operation in item.items():
                if not isinstance(operation, dict) or "requestBody" not in operation:
                    continue
                schema = operation["requestBody"]["content"]["application/json"]["schema"]
                if "$ref" in schema:
                    schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
                if schema.get("additionalProperties") is False:
                    known[(path, method.upper())] = frozenset(schema.get("properties", {}))
        current_app.extensions["planner_body_keys"] = known
    return known


def check_api_body() -> None:
    """The API's JSON body against what no database stores and against its documented keys."""
    if request.method not in ("POST", "PUT", "PATCH") or request.url_rule is None:
        return
    try:
        payload = request.get_json(silent=True)
    except RecursionError:
        return  # unreadable: the endpoint answers 400
    prefix = "/api/v1"
    path = _RULE_PART.sub(r"{\1}", request.url_rule.rule)
    path = path[len(prefix) :] if path.startswith(prefix) else path
    check_json(payload, _documented_keys().get((path, request.method)))


def refused_response(error: Refused):
    """422: JSON for the API, the error page for a form."""
    message = _("Some fields are not valid.")
    if request.path.startswith("/api/"):
        return make_response(jsonify(error=message, fields=error.fields), 422)
    details = "; ".join(f"{name}: {' '.join(problems)}" for name, problems in error.fields.items())
    return render_template("errors/error.html", code=422, message=f"{message} {details}"), 422


def install(app: Flask) -> None:
    """Check every form and query string before any view runs; the API checks its bodies after the token."""
    app.before_request(check_form)
    app.register_error_handler(Refused, refused_response)
