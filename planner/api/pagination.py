"""API lists in pages: ``?limit=`` (default 100, at most 500) and an opaque ``?cursor=``.

The body stays the list itself; when more follows, the answer carries ``Link: <…>; rel="next"`` (RFC 8288),
the same URL with the cursor of the page's last row. A cursor is the sort key of that row, so a page never
repeats or skips a row when others are added or removed meanwhile.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import request

from planner.api.common import ApiError

DEFAULT_LIMIT = 100
MAX_LIMIT = 500


@dataclass(frozen=True)
class Page:
    """What the caller asked for: how many rows, after which sort key (None: from the start)."""

    limit: int
    after: list | None


def _invalid(name: str, message: str) -> ApiError:
    return ApiError(422, "Some query parameters are not valid.", {name: [message]})


def requested_page() -> Page:
    """The page asked for in the query string; 422 naming the parameter when it cannot be one."""
    raw = request.args.get("limit", "").strip()
    limit = DEFAULT_LIMIT
    if raw:
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
            raise _invalid("limit", f"A whole number from 1 to {MAX_LIMIT}.")
        limit = int(raw)
    cursor = request.args.get("cursor")
    if not cursor:
        return Page(limit, None)
    try:
        after = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii") + b"=" * (-len(cursor) % 4)))
    except (ValueError, UnicodeError, binascii.Error):
        after = None
    if not isinstance(after, list) or not after:
        raise _invalid("cursor", "Not a cursor this list gave out; start again without one.")
    return Page(limit, after)


def cursor_of(key: list) -> str:
    """The opaque cursor for a row's sort key (JSON values)."""
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def link_next(response, next_key: list | None):
    """Add the `next` link for the row after which the next page starts (none on the last page)."""
    if next_key is not None:
        args = [(k, v) for k, v in request.args.items(multi=True) if k != "cursor"]
        url = request.base_url + "?" + urlencode([*args, ("cursor", cursor_of(next_key))])
        response.headers["Link"] = f'<{url}>; rel="next"'
    return response


PAGE_PARAMETERS = [
    {
        "name": "limit",
        "in": "query",
        "description": f"Rows per page (default {DEFAULT_LIMIT}, at most {MAX_LIMIT}).",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
    },
    {
        "name": "cursor",
        "in": "query",
        "description": 'Where the page starts: from the `Link: <…>; rel="next"` header of the page before.',
        "schema": {"type": "string"},
    },
]
