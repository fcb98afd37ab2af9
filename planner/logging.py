"""Structured logs: one JSON line per request and JSON for every other record, with secrets kept out."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, request
from sqlalchemy import inspect

request_log = logging.getLogger("planner.request")

# A caller's request id is echoed only when it looks like one; anything else could smuggle text into logs.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

# Last line of defence for free text (exception messages, third-party records): the request line itself
# never carries these, because it logs the route template and no header, body or query string.
_SECRETS = (
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 [redacted]"),
    (
        re.compile(
            r"""(?i)\b(password|passwd|secret|token|api_key)(['"]?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s'",&)]+)"""
        ),
        r"\1\2[redacted]",
    ),
    (re.compile(r"/feeds/[^/\s?\"']+\.ics"), "/feeds/[redacted].ics"),
    (re.compile(r"/s/[^/\s?\"']+"), "/s/[redacted]"),
    (re.compile(r"(?i)(://[^:/@\s]+:)[^@\s]+@"), r"\1[redacted]@"),
)


def redact(text: str) -> str:
    """Mask bearer tokens, passwords, feed tokens and URL credentials in free text."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the record's `fields`, and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
            "msg": redact(record.getMessage()),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """One readable line per record, for a person watching `make run`; same redaction as the JSON lines."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S")
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict) and "status" in fields:
            line = f"{fields['method']} {fields['path'] or '-'} {fields['status']} {fields['duration_ms']} ms"
        else:
            line = redact(record.getMessage())
        if record.exc_info:
            line += "\n" + redact(self.formatException(record.exc_info))
        return f"{stamp} {record.levelname.lower():7} {line}"


def _user_id() -> int | None:
    # Only a user this request already loaded, by its identity: reading `user.id` of a user expired by a
    # rollback would reload it, and during a database outage that would cost the request its log line.
    user = g.get("api_user") or g.get("_login_user")
    state = inspect(user, raiseerr=False) if user is not None else None
    if state is None:
        return None
    return state.identity[0] if state.identity else state.dict.get("id")


def init_logging(app: Flask) -> None:
    """Send records as JSON to stderr (unless a host such as gunicorn set logging up) and log each request."""
    level = str(app.config.get("LOG_LEVEL", "INFO")).upper()
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        text = str(app.config.get("LOG_FORMAT", "json")).lower() == "text"
        handler.setFormatter(TextFormatter() if text else JsonFormatter())
        root.addHandler(handler)
        root.setLevel(level)
    logging.getLogger("planner").setLevel(level)
    # Alembic announces its plugins every time an app is built; migrations themselves still log.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    @app.before_request
    def start_timer():
        g.log_started = time.perf_counter()
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex

    @app.after_request
    def log_request(response):
        started = g.get("log_started")
        rule = request.url_rule.rule if request.url_rule is not None else None
        fields = {
            "method": request.method,
            # The route template, never the raw path: feed and client-page paths hold tokens.
            "path": rule,
            "endpoint": request.endpoint,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
            "user_id": _user_id(),
            "request_id": g.get("request_id"),
        }
        response.headers.setdefault("X-Request-ID", g.get("request_id") or "")
        level = logging.ERROR if response.status_code >= 500 else logging.INFO
        # A crash is logged once: this line, with the traceback the error handler kept.
        failure = g.pop("request_failure", None)
        exc_info = (type(failure), failure, failure.__traceback__) if failure is not None else None
        request_log.log(level, "request", extra={"fields": fields}, exc_info=exc_info)
        return response
