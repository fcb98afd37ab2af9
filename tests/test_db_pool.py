"""Pooled connections are pinged at checkout after sitting idle, and replaced when the server closed them."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, exc, text

from planner.extensions import db

# Needs a server that can close a connection under the app's feet.
on_postgresql = pytest.mark.parametrize("database", ["postgresql"], indirect=True)


def _close_from_the_server(url: str, pid: int) -> None:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    admin.dispose()


def _backend_pid() -> int:
    pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
    db.session.remove()  # back into the pool
    return pid


@contextmanager
def _closed_by_the_server(make_app, database, *, ping_after: int):
    """Inside an app whose one pooled connection the server has just closed; yields that backend's pid."""
    with make_app(DB_PING_AFTER=ping_after).app_context():
        pid = _backend_pid()
        _close_from_the_server(database["SQLALCHEMY_DATABASE_URI"], pid)
        yield pid


@on_postgresql
def test_an_idle_connection_closed_by_the_server_is_replaced_unnoticed(make_app, database):
    with _closed_by_the_server(make_app, database, ping_after=0) as pid:
        assert _backend_pid() != pid


@on_postgresql
def test_a_connection_used_a_moment_ago_is_not_pinged(make_app, database):
    with _closed_by_the_server(make_app, database, ping_after=3600) as pid:
        # No ping, so the first statement meets the closed connection; the pool then starts afresh.
        with pytest.raises(exc.OperationalError):
            _backend_pid()
        db.session.remove()
        assert _backend_pid() != pid


def test_the_app_pings_after_ten_idle_seconds_by_default(app):
    assert app.config["DB_PING_AFTER"] == 10
    assert not db.engine.pool._pre_ping
