"""Pooled database connections are checked before use only after they sat idle.

SQLAlchemy's `pool_pre_ping` costs a round trip on every checkout, which on a busy instance is a good part of
a cheap page. A connection that was in use a moment ago is alive; one that sat idle may have been closed by
the server, a restart or a firewall, so it is pinged, and replaced when the ping fails.
"""

from __future__ import annotations

import time

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

IDLE_SINCE = "planner_idle_since"


def ping_after_idle(engine: Engine, seconds: float) -> None:
    """Ping a connection at checkout when it has been idle for `seconds` or more (0: at every checkout)."""

    @event.listens_for(engine, "checkin")
    def remember(dbapi_connection, record) -> None:
        record.info[IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping(dbapi_connection, record, proxy) -> None:
        since = record.info.get(IDLE_SINCE)
        if since is None or time.monotonic() - since < seconds:
            return  # new, or back in the pool only a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
            dbapi_connection.rollback()  # handed out idle, as the pool keeps it
        except Exception as error:
            # The pool throws this connection away and checks out another (three tries).
            raise exc.DisconnectionError(f"idle connection is gone: {error}") from error
