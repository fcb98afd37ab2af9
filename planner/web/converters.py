"""URL converters: ids in URLs are bounded so that no database is ever asked for an impossible number."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # PostgreSQL's integer; SQLite would overflow past 2**63 - 1


class IdConverter(IntegerConverter):
    """`<int:...>` that no longer matches past MAX_ID, so such a URL is a plain 404."""

    regex = r"\d{1,10}"  # longer numbers never match, so no rule half-matches them either

    def __init__(
        self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID, signed=False
    ):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
