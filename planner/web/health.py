"""Health check for load balancers: the database, and the broker when one is configured."""

from __future__ import annotations

import time

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from planner.extensions import db
from planner.web.public import public

bp = Blueprint("health", __name__)


@bp.route("/healthz")
@public
def healthz():
    checks: dict[str, str] = {}
    ok = True
    started = time.perf_counter()
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 - any failure means unhealthy
        db.session.rollback()
        checks["database"] = "unavailable"
        ok = False
    broker = current_app.config.get("BROKER_URL")
    if broker:
        try:
            from redis import Redis

            Redis.from_url(broker, socket_connect_timeout=1, socket_timeout=1).ping()
            checks["broker"] = "ok"
        except Exception:  # noqa: BLE001
            checks["broker"] = "unavailable"
            ok = False
    checks["ms"] = f"{(time.perf_counter() - started) * 1000:.1f}"
    return jsonify(status="ok" if ok else "unavailable", checks=checks), (200 if ok else 503)


@bp.route("/ping")
@public
def ping():
    """The trivial route benchmarks compare every page to."""
    return "ok", 200, {"Content-Type": "text/plain"}
