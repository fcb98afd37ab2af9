"""The JSON body of a new meeting request, checked field by field without a form.

It is the API's busiest call, and building a form cost more than triaging the request. The bounds and most
messages are the web forms' (planner/forms/requests.py); the values are those the forms give
`submit_request`, and each field must have its JSON type (a number as a number, a list as a list).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from planner.api.common import ApiError
from planner.forms.fields import zoned_datetime
from planner.forms.requests import EMAIL_MESSAGE, EMAIL_PATTERN
from planner.models.requests import (
    CHANNELS,
    DETAILS_MAX,
    EMAIL_MAX,
    FORMATS,
    MINUTES_RANGE,
    NAME_MAX,
    PEOPLE_RANGE,
    TOPIC_MAX,
)
from planner.triage import REASONS

_EMAIL = re.compile(EMAIL_PATTERN)


class _Invalid(ValueError):
    """A field's value is refused; the message is in the caller's language."""


def _text(value: Any, limit: int, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _Invalid(_("Must be text."))
    text = str(value).strip()
    if required and not text:
        raise _Invalid(_("This field is required."))
    if len(text) > limit:
        raise _Invalid(_("At most %(max)d characters.", max=limit))
    return text


def _whole(value: Any, bounds: tuple[int, int] | None = None) -> int:
    # As everywhere in the API, a number is a JSON number: "20" is refused like true.
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid(_("Must be a whole number."))
    if bounds and not bounds[0] <= value <= bounds[1]:
        raise _Invalid(_("Must be between %(min)d and %(max)d.", min=bounds[0], max=bounds[1]))
    return value


def _choice(value: Any, choices: tuple[str, ...], default: str) -> str:
    if value is None or value == "":
        return default
    if value not in choices:
        raise _Invalid(_("Not a valid choice."))
    return value


def _reasons(value: Any) -> list[str]:
    if isinstance(value, str):  # "nuance,deadline_pressure"
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not value:
        raise _Invalid(_("Choose at least one reason."))
    unknown = [str(v) for v in value if v not in REASONS]
    if unknown:
        raise _Invalid(_("Not a valid choice: %(values)s", values=", ".join(unknown)))
    return list(value)


def _needed_by(value: Any, zone: ZoneInfo, now: datetime) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _Invalid(_("Not a valid date and time (expected e.g. 2026-05-12T10:00)."))
    try:
        when = zoned_datetime(value, zone)
    except ValueError as error:
        raise _Invalid(str(error)) from None
    if when <= now:
        raise _Invalid(_("This time has already passed."))
    return when


def _email(value: Any) -> str:
    address = _text(value, EMAIL_MAX)
    if address and not _EMAIL.match(address):
        raise _Invalid(str(EMAIL_MESSAGE))
    return address


def request_values(payload: dict[str, Any], *, zone: ZoneInfo, now: datetime) -> tuple[dict[str, Any], str]:
    """The request's values for `submit_request` and the channel it came by; a 422 names each bad field."""
    checks = {
        "topic": lambda v: _text(v, TOPIC_MAX, required=True),
        "details": lambda v: _text(v, DETAILS_MAX),
        "reasons": _reasons,
        "needed_by": lambda v: _needed_by(v, zone, now),
        "expected_minutes": lambda v: _whole(15 if v is None else v, MINUTES_RANGE),
        "people": lambda v: _whole(1 if v is None else v, PEOPLE_RANGE),
        "preferred_format": lambda v: _choice(v, FORMATS, "any"),
        "contact_id": lambda v: None if v in (None, "", 0) else _whole(v),
        "requester_name": lambda v: _text(v, NAME_MAX),
        "requester_email": _email,
        "received_via": lambda v: _choice(v, CHANNELS, "api"),
    }
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, check in checks.items():
        try:
            values[name] = check(payload.get(name))
        except _Invalid as error:
            errors[name] = [str(error)]
    if errors:
        raise ApiError(422, "Some fields are not valid.", errors)
    return values, values.pop("received_via")
