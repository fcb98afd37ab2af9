"""The OpenAPI 3 description of API v1; a test keeps it true to the URL map."""

from __future__ import annotations

import copy
import re

from flask import jsonify

from planner.api import api
from planner.web.converters import MAX_ID

ERROR = {"$ref": "#/components/schemas/Error"}

SPEC: dict = {
    "openapi": "3.0.3",
    "info": {
        "title": "Planner API",
        "version": "1.0.0",
        "description": "Engagements, meetings with purposes, agendas, feeds, requests and commitments.",
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {
                "type": "object",
                "properties": {
                    "error": {"type": "string"},
                    "fields": {
                        "type": "object",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    },
                },
                "required": ["error"],
            }
        },
    },
    "paths": {
        "/openapi.json": {
            "get": {"summary": "This description", "responses": {"200": {"description": "OK"}}}
        },
    },
}


def add_paths(paths: dict, schemas: dict | None = None) -> None:
    """Feature modules describe their routes here, next to where they define them."""
    SPEC["paths"].update(paths)
    if schemas:
        SPEC["components"]["schemas"].update(schemas)


def error_responses(*codes: int) -> dict:
    """Standard error responses for a path description."""
    words = {
        400: "Bad request",
        401: "No valid token",
        403: "Role too low",
        404: "Not found",
        409: "Conflict",
        422: "Invalid fields",
    }
    return {
        str(c): {"description": words.get(c, "Error"), "content": {"application/json": {"schema": ERROR}}}
        for c in codes
    }


_TEMPLATE = re.compile(r"{(\w+)}")


def document() -> dict:
    """The full description: every path parameter declared, every operation's 401 listed."""
    spec = copy.deepcopy(SPEC)
    for path, item in spec["paths"].items():
        for operation in item.values():
            if isinstance(operation, dict) and "responses" in operation:
                # Every route of the blueprint checks the bearer token first.
                operation["responses"].setdefault("401", error_responses(401)["401"])
        declared = {p.get("name") for p in item.get("parameters", []) if p.get("in") == "path"}
        for name in _TEMPLATE.findall(path):
            if name not in declared:
                kind = "integer" if name == "id" or name.endswith("_id") else "string"
                item.setdefault("parameters", []).append(
                    {"name": name, "in": "path", "required": True, "schema": {"type": kind}}
                )
        for parameter in item.get("parameters", []):
            if parameter.get("in") == "path" and parameter["schema"].get("type") == "integer":
                # The URL converter matches ids of this range only (see planner/web/converters.py).
                parameter["schema"] |= {"minimum": 1, "maximum": MAX_ID}
    return spec


@api.route("/openapi.json")
def openapi_json():
    return jsonify(document())
