"""Fixtures: a fresh database per test (SQLite always, PostgreSQL when configured), users and data."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import uuid
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from flask.globals import _cv_app
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from planner import create_app
from planner.extensions import db
from planner.models import utcnow

PASSWORD = "correct horse battery"
# Feature fixture modules, each in its own file next to its tests.
pytest_plugins = ["commitments_fixtures", "requests_fixtures", "browser_fixtures", "api_fixtures"]
PG_URL = os.environ.get("PLANNER_TEST_DATABASE_URL")
DATABASES = ["sqlite"] + (["postgresql"] if PG_URL else [])


# --- nothing leaves the machine ---------------------------------------------------------------

_real_connect = socket.socket.connect


def _loopback_only(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            allowed = ipaddress.ip_address(host).is_loopback
        except ValueError:
            allowed = host == "localhost"
        if not allowed:
            raise ConnectionRefusedError(f"tests may only reach loopback, not {host}")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def loopback_guard():
    from planner import netguard

    socket.socket.connect = _loopback_only
    # Calendar servers in tests live on loopback; tests of the address policy pass their own.
    default, netguard.DEFAULT = netguard.DEFAULT, netguard.Policy(allow_private=True)
    yield
    socket.socket.connect = _real_connect
    netguard.DEFAULT = default


# --- databases ---------------------------------------------------------------------------------


def _migrate(config: dict) -> None:
    app = create_app(config)
    with app.app_context():
        from planner.cli import upgrade_database

        upgrade_database()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """One migrated SQLite file per session; each test gets a copy."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.sqlite"
    _migrate({"TESTING": True, "INSTANCE_PATH": str(folder), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    return path


@pytest.fixture(scope="session")
def pg_schema(tmp_path_factory):
    """A private PostgreSQL schema for this test session, migrated once, dropped at the end."""
    if not PG_URL:
        pytest.skip("PLANNER_TEST_DATABASE_URL is not set")
    from planner.config import normalise_database_url

    schema = f"planner_test_{uuid.uuid4().hex[:10]}"
    url = normalise_database_url(PG_URL)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    options = {"connect_args": {"options": f"-csearch_path={schema}"}}
    folder = tmp_path_factory.mktemp("pg")
    _migrate(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(folder),
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": options,
        }
    )
    engine = create_engine(url, **options)
    with engine.connect() as conn:
        tables = [
            r[0]
            for r in conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = :s AND tablename != 'alembic_version'"
                ),
                {"s": schema},
            )
        ]
        emptying = _emptying_statement(conn, schema, tables)
    yield {
        "url": url,
        "options": options,
        "schema": schema,
        "tables": tables,
        "engine": engine,
        "empty": emptying,
    }
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _emptying_statement(conn, schema: str, tables: list[str]) -> str:
    """SQL that leaves the schema as TRUNCATE ... RESTART IDENTITY CASCADE would: tables empty, ids from 1.

    DELETE on the few rows a test writes takes milliseconds; TRUNCATE of every table costs about 50 ms
    a test on PostgreSQL however little is in them. Children go before their parents (from the foreign
    keys in the catalog), so no reference blocks a DELETE, whatever its ON DELETE rule.
    """
    edges = conn.execute(
        text(
            "SELECT child.relname, parent.relname FROM pg_constraint c"
            " JOIN pg_class child ON child.oid = c.conrelid"
            " JOIN pg_class parent ON parent.oid = c.confrelid"
            " JOIN pg_namespace n ON n.oid = child.relnamespace"
            " WHERE c.contype = 'f' AND n.nspname = :s AND child.oid != parent.oid"
        ),
        {"s": schema},
    ).all()
    # The sequences RESTART IDENTITY restarts: those owned by a column of one of the tables.
    sequences = conn.scalars(
        text(
            "SELECT DISTINCT seq.relname FROM pg_class seq"
            " JOIN pg_depend d ON d.objid = seq.oid AND d.deptype IN ('a', 'i')"
            " JOIN pg_class tab ON tab.oid = d.refobjid"
            " JOIN pg_namespace n ON n.oid = seq.relnamespace"
            " WHERE seq.relkind = 'S' AND n.nspname = :s AND tab.relname = ANY(:tables)"
        ),
        {"s": schema, "tables": tables},
    ).all()
    children = {t: {c for c, p in edges if p == t and c in tables} for t in tables}
    order: list[str] = []
    while len(order) < len(tables):
        ready = [t for t in tables if t not in order and children[t] <= set(order)]
        if not ready:  # a cycle of references: let TRUNCATE sort it out
            names = ", ".join(f'"{t}"' for t in tables)
            return f"TRUNCATE {names} RESTART IDENTITY CASCADE"
        order.extend(sorted(ready))
    statements = [f'DELETE FROM "{t}"' for t in order] + [f'ALTER SEQUENCE "{s}" RESTART' for s in sequences]
    return "; ".join(statements)


def _empty(info) -> None:
    with info["engine"].begin() as conn:
        conn.execute(text(info["empty"]))


@pytest.fixture(params=DATABASES)
def database(request, tmp_path, sqlite_template) -> dict:
    """Configuration for a fresh, migrated database of the parametrized kind."""
    if request.param == "sqlite":
        path = tmp_path / "planner.sqlite"
        shutil.copy(sqlite_template, path)
        return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"}
    info = request.getfixturevalue("pg_schema")
    _empty(info)
    return {"SQLALCHEMY_DATABASE_URI": info["url"], "SQLALCHEMY_ENGINE_OPTIONS": info["options"]}


class FreshGlobalsClient(FlaskClient):
    """Each request starts with an empty `g`, as in production.

    The `app` fixture keeps one application context open for the whole test, and Flask reuses it for every
    request, so `g` (the logged-in user, the locale, the request's `now`) would leak from one request into
    the next.
    """

    def open(self, *args, **kwargs):
        ctx = _cv_app.get(None)
        if ctx is not None and ctx.app is self.application:
            ctx.g = self.application.app_ctx_globals_class()
        return super().open(*args, **kwargs)


@pytest.fixture
def make_app(database, tmp_path):
    """Build an app on this test's database, with extra configuration."""
    apps = []

    def build(**config):
        settings = (
            {
                "TESTING": True,
                "INSTANCE_PATH": str(tmp_path / "instance"),
                "SECRET_KEY": "test-secret-" + uuid.uuid4().hex,
                "WTF_CSRF_ENABLED": False,
                "RATELIMIT_ENABLED": False,
                "SERVER_NAME": None,
                # The test calendar servers run on loopback (the address policy has its own tests).
                "CALDAV_ALLOW_PRIVATE_HOSTS": True,
            }
            | database
            | config
        )
        app = create_app(settings)
        app.test_client_class = FreshGlobalsClient
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    """The app with an active application context."""
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


# --- data --------------------------------------------------------------------------------------


# The app hashes passwords with werkzeug's default, scrypt, at about 60 ms a hash and as much again at
# every login: most of the time of a test that makes a team and logs in. Users made by the fixtures get a
# cheap PBKDF2 hash instead (tests of who may do what are not about hashing); every other way into the
# app (sign-up by the CLI, the demo, a password change) hashes as in production, and
# test_passwords.py checks that production hashing is still scrypt.
QUICK_HASH_METHOD = "pbkdf2:sha256:1000"


def quick_password_hash(password: str) -> str:
    from werkzeug.security import generate_password_hash

    return generate_password_hash(password, QUICK_HASH_METHOD)


@pytest.fixture
def make_user(app):
    import planner.models.people
    from planner.operations.people import create_user

    counter = iter(range(1, 10_000))

    def build(email: str | None = None, password: str = PASSWORD, **kwargs):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(planner.models.people, "generate_password_hash", quick_password_hash)
            user = create_user(email or f"user{next(counter)}@example.com", password, **kwargs)
        db.session.commit()
        return user

    return build


@pytest.fixture
def make_engagement(app, make_user):
    from planner.operations.schedule import create_engagement

    def build(owner=None, **overrides):
        owner = owner or make_user()
        data = {
            "name": "Core system renewal",
            "client_name": "Sakura Trading",
            "timezone": "Asia/Tokyo",
        } | overrides
        engagement = create_engagement(owner, data, now=utcnow())
        db.session.commit()
        return engagement

    return build


def next_weekday_at(zone, hour: int = 10, days: int = 1) -> datetime:
    """A weekday `days` or more from today at `hour` in `zone` (aware)."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    day = datetime.now(tz).date() + timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=tz)


@pytest.fixture
def make_meeting(app):
    from planner.operations.schedule import create_meeting

    def build(engagement, **overrides):
        data = {
            "title": "Requirements workshop",
            "purpose": "Agree the scope of the order-entry screens",
            "desired_outcome": "A signed-off list of screens",
            "kind": "requirements",
            "starts_at": next_weekday_at(engagement.timezone, 10, days=3),
            "duration_minutes": 60,
            "status": "confirmed",
        } | overrides
        meeting = create_meeting(engagement, data, now=utcnow())
        db.session.commit()
        return meeting

    return build


@pytest.fixture
def login():
    def do(client, user, password: str = PASSWORD):
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.data[:500]
        return response

    return do


@pytest.fixture
def api_token(app):
    from planner.operations.people import create_api_token

    def make(user) -> str:
        token = create_api_token(user, label="tests", now=utcnow())
        db.session.commit()
        return token

    return make


@pytest.fixture
def api_headers(api_token):
    def make(user) -> dict:
        return {"Authorization": f"Bearer {api_token(user)}"}

    return make
