"""JSON field tables: strict type checks before a form sees the values, and their OpenAPI schemas.

The WTForms forms decide what a value means (required, lengths, choices, dates); this layer makes
sure a value has the JSON type its field expects first, because forms read everything as text and
would quietly accept a list where a string belongs, or "20" where a number belongs.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.api.common import ApiError
from planner.input_guard import MAX_ID

KIND_TYPES = {
    "string": (str,),
    "text": (str,),
    "date": (str,),
    "time": (str,),
    "date-time": (str,),
    "uri": (str,),
    "email": (str,),
    "integer": (int,),
    "boolean": (bool,),
    "id-list": (list,),
}
TYPE_WORDS = {
    "string": "a string",
    "text": "a string",
    "date": "a date string (YYYY-MM-DD)",
    "time": "a time string (HH:MM)",
    "date-time": "an ISO 8601 date-time string",
    "uri": "a URL string",
    "email": "an email address string",
    "integer": "an integer",
    "boolean": "true or false",
    "id-list": "a list of integer ids",
}


@dataclass(frozen=True)
class F:
    """One JSON field: its kind, whether creating needs it, whether null is accepted, and its limits."""

    kind: str
    description: str = ""
    required: bool = False
    nullable: bool = False
    max_length: int | None = None
    enum: tuple[str, ...] | None = None
    minimum: int | None = None
    maximum: int | None = None


def _type_error(name: str, field: F, value) -> str | None:
    if value is None:
        return None if field.nullable else f"Must be {TYPE_WORDS[field.kind]}, not null."
    # bool is an int in Python; JSON keeps them apart and so do we.
    if isinstance(value, bool) and field.kind != "boolean":
        return f"Must be {TYPE_WORDS[field.kind]}, not a boolean."
    if not isinstance(value, KIND_TYPES[field.kind]):
        return f"Must be {TYPE_WORDS[field.kind]}."
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "Contains characters that are not valid Unicode text."
        if "\x00" in value:
            return "Contains a NUL character."
    if field.kind == "id-list":
        if len(value) > 500:
            return "Too many ids."
        if any(isinstance(v, bool) or not isinstance(v, int) for v in value):
            return "Must be a list of integer ids."
    return None


def check_body(
    payload: dict, fields: dict[str, F], *, read_only: tuple[str, ...] = (), also: tuple[str, ...] = ()
) -> None:
    """Refuse unknown or read-only names and values of the wrong JSON type, naming each field (422)."""
    errors: dict[str, list[str]] = {}
    for name, value in payload.items():
        if name in fields:
            message = _type_error(name, fields[name], value)
            if message:
                errors[name] = [message]
        elif name in also:
            continue
        elif name in read_only:
            errors[name] = ["This field is read-only."]
        else:
            errors[str(name)[:100]] = ["Unknown field."]
    if errors:
        raise ApiError(422, "Some fields are not valid.", errors)


def _schema(field: F) -> dict:
    if field.kind == "id-list":
        out: dict = {
            "type": "array",
            "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
            "maxItems": 500,
        }
    elif field.kind in ("integer", "boolean"):
        out = {"type": field.kind}
    else:
        out = {"type": "string"}
        if field.kind in ("date", "date-time", "uri", "email"):
            out["format"] = field.kind
        elif field.kind == "time":
            out["pattern"] = "^[0-2][0-9]:[0-5][0-9]$"
    if field.description:
        out["description"] = field.description
    if field.nullable:
        out["nullable"] = True
    if field.max_length:
        out["maxLength"] = field.max_length
    if field.enum:
        out["enum"] = list(field.enum) + ([None] if field.nullable else [])
    if field.minimum is not None:
        out["minimum"] = field.minimum
    if field.maximum is not None:
        out["maximum"] = field.maximum
    return out


def request_schema(fields: dict[str, F], *, create: bool, extra: dict | None = None) -> dict:
    """The OpenAPI schema of a request body: every field required on create, none on patch."""
    schema: dict = {
        "type": "object",
        "additionalProperties": False,
        "properties": {name: _schema(f) for name, f in fields.items()} | (extra or {}),
    }
    required = [name for name, f in fields.items() if f.required] if create else []
    if required:
        schema["required"] = required
    return schema


def json_content(schema: dict | str) -> dict:
    """An OpenAPI content map for a JSON schema or the name of a component schema."""
    if isinstance(schema, str):
        schema = {"$ref": f"#/components/schemas/{schema}"}
    return {"application/json": {"schema": schema}}
