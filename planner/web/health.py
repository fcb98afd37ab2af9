"""Health checks for load balancers: the database decides; the broker is reported, not required."""

from __future__ import annotations

import time
from contextlib import suppress

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import text

from planner.extensions import db
from planner.web.public import public

bp = Blueprint("health", __name__)


def _database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception:  # noqa: BLE001 - any failure means unreachable
        with suppress(Exception):  # the connection is gone; the pool replaces it
            db.session.rollback()
        return "unavailable"


def _broker() -> str | None:
    broker = current_app.config.get("BROKER_URL")
    if not broker:
        return None
    try:
        from redis import Redis

        client = Redis.from_url(broker, socket_connect_timeout=1, socket_timeout=1)
        try:
            client.ping()
        finally:
            client.close()
        return "ok"
    except Exception:  # noqa: BLE001
        return "unavailable"


def _answer(strict: bool):
    started = time.perf_counter()
    checks: dict[str, str] = {"database": _database()}
    broker = _broker()
    if broker is not None:
        checks["broker"] = broker
    checks["ms"] = f"{(time.perf_counter() - started) * 1000:.1f}"
    if checks["database"] != "ok" or (strict and broker == "unavailable"):
        return jsonify(status="unavailable", checks=checks), 503
    # Without the broker, pages, feeds and edits still work; syncs wait (planner/broker.py).
    status = "degraded" if broker == "unavailable" else "ok"
    return jsonify(status=status, checks=checks), 200


@bp.route("/healthz")
@public
def healthz():
    """For the balancer: 503 only when the database does not answer; a broker outage is `degraded`."""
    return _answer(strict=request.args.get("strict") in ("1", "true"))


@bp.route("/healthz/ready")
@public
def ready():
    """Readiness; `?strict=1` also requires the broker, for deployments that want both."""
    return _answer(strict=request.args.get("strict") in ("1", "true"))


@bp.route("/ping")
@public
def ping():
    """The trivial route benchmarks compare every page to."""
    return "ok", 200, {"Content-Type": "text/plain"}
