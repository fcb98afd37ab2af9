"""The app with two routes that only reach the database: the floor under any route that does.

It also serves the meetings list as it was before pages (`bench/meetings_before.py`), to compare.

`make bench` serves it (`gunicorn 'bench.reference_app:create()'`) to show what one round trip, and one row
written and committed, cost against /ping on the machine at hand. It is never deployed.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import Connection, text

from planner import create_app
from planner.extensions import csrf, db
from planner.web.public import public

TABLE = "bench_reference_rows"
# Each statement its own transaction, as a new request's write is on PostgreSQL: no BEGIN or COMMIT to send.
OWN = {"isolation_level": "AUTOCOMMIT"}


def select_one():
    """One statement, one round trip: SELECT 1."""
    db.session.connection(execution_options=OWN).execute(text("SELECT 1")).scalar_one()
    return "ok", 200, {"Content-Type": "text/plain"}


def insert_one():
    """One row written and committed in one round trip."""
    insert = text(f"INSERT INTO {TABLE} (note) VALUES (:note)")  # noqa: S608 - a constant name
    db.session.connection(execution_options=OWN).execute(insert, {"note": "bench"})
    return "ok", 201, {"Content-Type": "text/plain"}


def create() -> Flask:
    """The app as wsgi.py makes it, plus GET /bench/select and POST /bench/insert, open to anyone."""
    app = create_app()
    app.add_url_rule("/bench/select", view_func=csrf.exempt(public(select_one)))
    app.add_url_rule("/bench/insert", view_func=csrf.exempt(public(insert_one)), methods=["POST"])
    from bench.meetings_before import list_before

    app.add_url_rule("/bench/meetings-before/<int:engagement_id>", view_func=public(list_before))
    return app


def create_table(connection: Connection) -> None:
    """The table /bench/insert writes to, in the benchmark's private database."""
    key = "BIGSERIAL PRIMARY KEY" if connection.dialect.name == "postgresql" else "INTEGER PRIMARY KEY"
    connection.execute(text(f"CREATE TABLE IF NOT EXISTS {TABLE} (id {key}, note TEXT)"))
