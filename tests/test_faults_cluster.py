"""The production shape hurt on purpose: two gunicorn instances on PostgreSQL (and Redis), under writes.

PostgreSQL is reached through a proxy of ours that the tests cut (a restart: connections reset, refused a
few seconds, then accepted again) and Redis through one they mute (accepts, never answers); a web instance
is killed with SIGKILL. The shared servers themselves are never touched. Each test counts what writers
that retry with their Idempotency-Key saw: nothing acknowledged is lost, nothing is saved twice, a 5xx is
only ever an answer for a write that was not saved, and writes succeed again within a stated time.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
import uuid
from urllib.parse import urlsplit

import pytest
from fault_fixtures import WriteLog, gunicorn_instances, proxy_to, report, write_meetings
from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import Session

PG_URL = os.environ.get("PLANNER_TEST_DATABASE_URL")
BROKER_URL = os.environ.get("PLANNER_TEST_BROKER_URL")
PASSWORD = "fault-suite-password"
# Stated recovery bounds (seconds from the fault's end to the next saved write).
DATABASE_RECOVERY = 10
INSTANCE_FAILOVER = 5

pytestmark = [
    pytest.mark.faults,
    pytest.mark.slow,
    pytest.mark.skipif(not PG_URL, reason="PLANNER_TEST_DATABASE_URL is not set (needs PostgreSQL)"),
]


def _with_host(url: str, port: int) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    userinfo = netloc[0] + "@" if len(netloc) == 2 else ""
    return parts._replace(netloc=f"{userinfo}127.0.0.1:{port}").geturl()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A private schema reached through a cuttable proxy, two instances, and Redis behind a mutable one."""
    from planner.config import normalise_database_url

    folder = tmp_path_factory.mktemp("faults")
    schema = f"faults_{uuid.uuid4().hex[:8]}"
    base = normalise_database_url(PG_URL)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    pg = urlsplit(base)
    try:
        with proxy_to(pg.hostname or "127.0.0.1", pg.port or 5432) as pg_proxy:
            redis_cm = proxy_to(*_redis_address()) if BROKER_URL else None
            redis_proxy = redis_cm.__enter__() if redis_cm else None
            try:
                yield from _cluster(folder, schema, base, pg_proxy, redis_proxy)
            finally:
                if redis_cm:
                    redis_cm.__exit__(None, None, None)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _redis_address() -> tuple[str, int]:
    parts = urlsplit(BROKER_URL)
    return parts.hostname or "127.0.0.1", parts.port or 6379


def _cluster(folder, schema, base, pg_proxy, redis_proxy):
    direct = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    proxied = _with_host(direct, pg_proxy.port) + "&connect_timeout=2"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_")} | {
        "PLANNER_DATABASE_URL": proxied,
        "PLANNER_SECRET_KEY": uuid.uuid4().hex,
        "PLANNER_CALDAV_SECRET_KEY": "nHcQ3fGvoUZZ9b9kQWqkY6P1vB1rVlTzY5gqgFQqKkI=",
    }
    queue_url = None
    if redis_proxy is not None:
        queue_url = _with_host(BROKER_URL, redis_proxy.port)
        env["PLANNER_BROKER_URL"] = queue_url
        # No worker runs here: the syncs the edits ask for go to a queue of this test's own, dropped after.
        env["PLANNER_CELERY_QUEUE"] = f"planner-faults-{uuid.uuid4().hex[:8]}"
        env["PLANNER_RATELIMIT_KEY_PREFIX"] = f"faults-{uuid.uuid4().hex[:8]}"
    token, ids = _seed(direct, env, folder)
    with gunicorn_instances(env, folder, ["a", "b"]) as instances:
        yield {
            "instances": instances,
            "urls": [i.url for i in instances],
            "token": token,
            "ids": ids,
            "direct": direct,
            "proxied": proxied,
            "env": env,
            "pg_proxy": pg_proxy,
            "redis_proxy": redis_proxy,
            "folder": folder,
        }
    if queue_url:
        _drop_unconsumed_syncs(env["PLANNER_CELERY_QUEUE"])


def _drop_unconsumed_syncs(queue: str) -> None:
    from redis import Redis

    client = Redis.from_url(BROKER_URL)
    client.delete(queue)
    client.close()


def _seed(url: str, env: dict, folder) -> tuple[str, dict]:
    from planner import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(folder / "seed"),
            "SECRET_KEY": env["PLANNER_SECRET_KEY"],
            "CALDAV_SECRET_KEY": env["PLANNER_CALDAV_SECRET_KEY"],
        }
    )
    with app.app_context():
        from planner.cli import upgrade_database
        from planner.extensions import db
        from planner.models import CalendarLink, utcnow
        from planner.operations.calendars import encrypt_password
        from planner.operations.people import create_api_token, create_user
        from planner.operations.schedule import create_engagement

        upgrade_database()
        now = utcnow()
        user = create_user("oncall@example.com", PASSWORD, name="On call")
        engagement = create_engagement(user, {"name": "Renewal", "timezone": "Asia/Tokyo"}, now=now)
        db.session.flush()
        # A linked calendar, so that every edit also asks for a sync (through Redis when it is set).
        db.session.add(
            CalendarLink(
                engagement=engagement,
                server_url="http://127.0.0.1:9/",
                calendar_url="http://127.0.0.1:9/cal/",
                username="team",
                secret=encrypt_password("app-password"),
            )
        )
        token = create_api_token(user, label="fault suite", now=now)
        db.session.commit()
        ids = {"engagement": engagement.id, "user": user.id}
        db.session.remove()
        db.engine.dispose()
    return token, ids


def _saved(cluster, prefix: str) -> dict[str, int]:
    """Title -> how many meetings carry it, straight from the database."""
    engine = create_engine(cluster["direct"])
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT title, count(*) FROM meetings WHERE title LIKE :p GROUP BY title"),
            {"p": f"{prefix}-%"},
        ).all()
    engine.dispose()
    return {title: count for title, count in rows}


def _check_and_report(name: str, cluster, prefix: str, log: WriteLog, fault_end: float, bound: float) -> dict:
    saved = _saved(cluster, prefix)
    acknowledged = log.acknowledged()
    lost = sorted(key for key in acknowledged if saved.get(key, 0) == 0)
    duplicated = sorted(title for title, count in saved.items() if count > 1)
    recovery = log.first_success_after(fault_end)
    figures = {
        "writes_acknowledged": len(acknowledged),
        "attempts": len(log.attempts),
        "unanswered": sum(1 for a in log.attempts if a.status is None),
        "unanswered_then_replayed": log.unanswered_replayed(),
        "server_errors": len(log.server_errors()),
        "server_error_statuses": sorted({a.status for a in log.server_errors()}),
        "server_errors_for_saved_writes": len(log.replays_after_5xx()),
        "lost": len(lost),
        "duplicated": len(duplicated),
        "recovery_seconds": round(recovery, 2) if recovery is not None else None,
    }
    report(name, figures)
    start = min(a.at - a.took for a in log.attempts)
    figures["timeline"] = [
        (a.key, round(a.at - a.took - start, 2), round(a.took, 2), a.status, a.replayed) for a in log.attempts
    ]
    assert acknowledged, figures
    # Every 5xx keeps its shape: the API's JSON error, never a server's HTML page.
    assert all(isinstance(a.body, dict) and a.body.get("error") for a in log.server_errors()), figures
    assert lost == [], figures
    assert duplicated == [], figures
    assert log.replays_after_5xx() == [], ("a 5xx answered a write that was saved", figures)
    assert recovery is not None and recovery < bound, figures
    del figures["timeline"]
    return figures


def test_a_database_gone_right_after_the_commit_still_gets_its_answer(cluster):
    """The commit went through; the connection drops before the answer is built: 201, from memory."""
    from planner import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": cluster["proxied"],
            "INSTANCE_PATH": str(cluster["folder"] / "inprocess"),
            "SECRET_KEY": cluster["env"]["PLANNER_SECRET_KEY"],
            "CALDAV_SECRET_KEY": cluster["env"]["PLANNER_CALDAV_SECRET_KEY"],
            "SHOW_ERROR_PAGE": True,
        }
    )
    proxy = cluster["pg_proxy"]
    armed = threading.Event()

    def cut_after_commit(session) -> None:
        if armed.is_set():
            armed.clear()
            proxy.cut()

    event.listen(Session, "after_commit", cut_after_commit)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {cluster['token']}"}
    url = f"/api/v1/engagements/{cluster['ids']['engagement']}/meetings"
    body = {
        "title": "gone-after-commit-1",
        "purpose": "Agree the order screens before the design freeze",
        "starts_at": "2027-05-10T10:00",
        "duration_minutes": 60,
    }
    try:
        armed.set()
        created = client.post(url, json=body, headers=headers | {"Idempotency-Key": "gone-after-commit-1"})
        proxy.restore()
        assert created.status_code == 201, created.text[:1000]
        assert created.get_json()["title"] == "gone-after-commit-1" and created.headers["X-Request-ID"]
        meeting_id = created.get_json()["id"]

        armed.set()
        edited = client.patch(
            f"/api/v1/meetings/{meeting_id}", json={"title": "gone-after-commit-2"}, headers=headers
        )
        proxy.restore()
        assert edited.status_code == 200, edited.text[:1000]
        assert edited.get_json()["title"] == "gone-after-commit-2"
        assert edited.get_json()["version"] == created.get_json()["version"] + 1
    finally:
        event.remove(Session, "after_commit", cut_after_commit)
        proxy.restore()
        with app.app_context():
            from planner.extensions import db

            db.engine.dispose()
    assert _saved(cluster, "gone-after-commit") == {"gone-after-commit-2": 1}


def test_postgresql_restarted_during_writes(cluster):
    """Connections reset and refused for 3 s mid-run: writers retry with their keys; none lost or doubled."""
    log = WriteLog()
    proxy = cluster["pg_proxy"]
    moments: dict[str, float] = {}

    def restart() -> None:
        time.sleep(2)
        proxy.cut()
        time.sleep(3)
        proxy.restore()
        moments["end"] = time.monotonic()

    fault = threading.Thread(target=restart)
    fault.start()
    write_meetings(
        cluster["urls"],
        cluster["token"],
        cluster["ids"]["engagement"],
        prefix="pgrestart",
        seconds=9,
        log=log,
    )
    fault.join()
    _check_and_report(
        "PostgreSQL restarted during writes", cluster, "pgrestart", log, moments["end"], DATABASE_RECOVERY
    )
    _no_unanswered_crash(cluster)


@pytest.mark.skipif(not BROKER_URL, reason="PLANNER_TEST_BROKER_URL is not set (needs Redis)")
def test_redis_silent_during_writes(cluster):
    """Redis accepts and never answers for 6 s: every write is saved and answered, none with a 5xx."""
    log = WriteLog()
    proxy = cluster["redis_proxy"]
    moments: dict[str, float] = {}

    def hang() -> None:
        time.sleep(1)
        proxy.mute()
        time.sleep(6)
        proxy.restore()
        moments["end"] = time.monotonic()

    fault = threading.Thread(target=hang)
    fault.start()
    write_meetings(
        cluster["urls"],
        cluster["token"],
        cluster["ids"]["engagement"],
        prefix="redismute",
        seconds=9,
        log=log,
    )
    fault.join()
    figures = _check_and_report(
        "Redis silent during writes", cluster, "redismute", log, moments["end"], DATABASE_RECOVERY
    )
    assert figures["server_errors"] == 0 and figures["unanswered"] == 0, figures
    _no_unanswered_crash(cluster)


def _no_unanswered_crash(cluster) -> None:
    """No worker was killed for a stuck request, and every 5xx that was answered is in JSON (no HTML)."""
    for instance in cluster["instances"]:
        if instance.process.poll() is not None:
            continue
        text_ = instance.log.read_text()
        assert "WORKER TIMEOUT" not in text_, text_[-3000:]


def test_an_instance_killed_during_writes(cluster):
    """SIGKILL of one instance (its master and workers) mid-run: writers move on to the other instance."""
    log = WriteLog()
    victim = cluster["instances"][0]
    moments: dict[str, float] = {}

    def kill() -> None:
        time.sleep(2)
        children = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(victim.process.pid)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        victim.process.send_signal(signal.SIGKILL)
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
        victim.process.wait()
        moments["end"] = time.monotonic()

    fault = threading.Thread(target=kill)
    fault.start()
    write_meetings(
        cluster["urls"],
        cluster["token"],
        cluster["ids"]["engagement"],
        prefix="instancekill",
        seconds=7,
        log=log,
    )
    fault.join()
    figures = _check_and_report(
        "a web instance killed during writes", cluster, "instancekill", log, moments["end"], INSTANCE_FAILOVER
    )
    assert figures["server_errors"] == 0, figures
