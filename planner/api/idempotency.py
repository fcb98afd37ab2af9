"""Idempotency-Key on API calls that create or change something, and answers built before the commit.

A view marked ``@idempotent`` answers a retried call (same caller, route and key) with the first call's
answer, marked ``Idempotent-Replayed: true``; the same key with another body gets 422. The view builds its
answer from what it just wrote and hands it to ``commit_answer``, which keeps it (when a key was sent) in
the same transaction as the change and commits: nothing is read after the commit, so a database that drops
right after it cannot turn a saved change into an error.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from functools import wraps

from flask import g, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError

from planner.api.common import ApiError, api_user
from planner.extensions import db
from planner.models import IdempotentAnswer
from planner.models.idempotency import KEY_MAX

# Seconds a call whose commit lost its connection waits for the database, to learn whether it was saved.
CONFIRM_SECONDS = 5.0
UNKNOWN = (
    "The database stopped answering while this was being saved, so it may or may not have been saved. "
    "Send the same call again with the same Idempotency-Key: it is saved once, whatever happened."
)
NOT_SAVED = "The database stopped answering while this was being saved. Nothing was saved; send it again."


def idempotency_key() -> str | None:
    """The call's Idempotency-Key header, or None; a 400 when it cannot be one."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not 0 < len(key) <= KEY_MAX or not key.isascii() or not key.isprintable():
        raise ApiError(400, f"Idempotency-Key must be 1 to {KEY_MAX} visible ASCII characters.")
    return key


def _digest() -> str:
    payload = request.get_json(silent=True)
    if payload is None:
        return hashlib.sha256(request.get_data()).hexdigest()
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _kept(scope: str, key: str) -> IdempotentAnswer | None:
    return db.session.scalar(
        select(IdempotentAnswer).where(
            IdempotentAnswer.user_id == api_user().id,
            IdempotentAnswer.scope == scope,
            IdempotentAnswer.key == key,
        )
    )


def _replay(kept: IdempotentAnswer, digest: str):
    if kept.body_digest != digest:
        raise ApiError(422, "This Idempotency-Key was already used for a call with another body.")
    response = jsonify(json.loads(kept.body))
    response.status_code = kept.status
    for name, value in json.loads(kept.headers or "{}").items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def idempotent(view: Callable) -> Callable:
    """Answer a retried call with the first call's answer instead of doing the work again."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = idempotency_key()
        g.idempotency = None
        if key is not None:
            scope = f"{request.method} {request.path}"[:300]
            digest = _digest()
            kept = _kept(scope, key)
            if kept is not None:
                return _replay(kept, digest)
            g.idempotency = (scope, key, digest)
        return view(*args, **kwargs)

    return wrapper


def commit_answer(
    body: dict,
    status: int = 200,
    headers: dict[str, str] | None = None,
    *,
    kept_body: dict | None = None,
):
    """Commit the change with its answer (kept for retries when a key was sent), then send that answer."""
    headers = headers or {}
    pending = g.pop("idempotency", None)
    if pending is not None:
        scope, key, digest = pending
        db.session.add(
            IdempotentAnswer(
                user_id=api_user().id,
                scope=scope,
                key=key,
                body_digest=digest,
                status=status,
                body=json.dumps(body if kept_body is None else kept_body, ensure_ascii=False, default=str),
                headers=json.dumps(headers),
            )
        )
    try:
        db.session.commit()
    except IntegrityError:
        # The same call, retried while the first was being written, got there first: answer as it did.
        db.session.rollback()
        kept = _kept(pending[0], pending[1]) if pending is not None else None
        if kept is None:
            raise
        return _replay(kept, pending[2])
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        # The connection went away during the commit: it may or may not have been applied. With a key,
        # look once the database answers again (for a few seconds) and say which; otherwise say so.
        return _after_lost_commit(pending)
    response = jsonify(body)
    response.status_code = status
    for name, value in headers.items():
        response.headers[name] = value
    return response


def _after_lost_commit(pending: tuple[str, str, str] | None):
    deadline = time.monotonic() + CONFIRM_SECONDS
    while pending is not None:
        try:
            db.session.rollback()
            kept = _kept(pending[0], pending[1])
        except DBAPIError:
            if time.monotonic() > deadline:
                break
            time.sleep(0.5)
            continue
        if kept is not None:
            return _replay(kept, pending[2])
        return database_unavailable(NOT_SAVED, saved=False)
    return database_unavailable(UNKNOWN, saved=None)


def database_unavailable(message: str, *, saved: bool | None):
    """503 while the database does not answer; `saved` says what became of the call (None: unknown)."""
    response = jsonify(error=message, saved="unknown" if saved is None else saved)
    response.status_code = 503
    response.headers["Retry-After"] = "5"
    return response


IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "A key of your own: a retry with the same key and body gets the first answer again "
    "(header Idempotent-Replayed: true) instead of creating a second one; the same key with another body "
    "gets 422.",
    # Visible ASCII, as the check above takes it (spaces inside are taken too, but not described).
    "schema": {"type": "string", "minLength": 1, "maxLength": KEY_MAX, "pattern": "^[!-~]+$"},
}
