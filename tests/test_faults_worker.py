"""Celery workers hurt on purpose: one killed mid-sync, and Redis gone while meetings change.

Real workers (prefork, one process each) on a private queue of this test's Redis database, a real Radicale,
and PostgreSQL (several processes write at once). A worker process killed with SIGKILL gives its task back
at once; the sync completes on another worker process once the dead run's lease has run out, without
waiting for the periodic pull, and the API stops saying `running` soon after the kill.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
import pytest
from caldav_servers import running_server
from fault_fixtures import forget_broker_connections, proxy_to, report

from planner import broker
from planner.caldav_backend import CalDAVBackend, href_path
from planner.extensions import celery_app, db
from planner.models import CalendarLink, SyncState
from planner.operations import calendars as ops
from planner.operations.sync_lease import LEASE, STALE_AFTER

BROKER = os.environ.get("PLANNER_TEST_BROKER_URL")
# Stated bounds: a killed worker's sync is done within two minutes; `running` stops within this.
COMPLETE_WITHIN = 120
RUNNING_STOPS_WITHIN = STALE_AFTER.total_seconds() + 3

pytestmark = [
    pytest.mark.faults,
    pytest.mark.caldav,
    pytest.mark.slow,
    pytest.mark.skipif(not BROKER, reason="PLANNER_TEST_BROKER_URL is not set (needs Redis)"),
]


@pytest.fixture
def pg_app(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("several worker processes write at once: PostgreSQL only")
    return app


@contextmanager
def _broker(app, url: str):
    """Point this app (and the shared Celery app) at `url`, on a private queue."""
    queue = f"planner-faults-{uuid.uuid4().hex[:8]}"
    app.config["BROKER_URL"] = url
    previous = celery_app.conf.broker_url, celery_app.conf.task_default_queue
    celery_app.conf.broker_url = url
    celery_app.conf.task_default_queue = queue
    forget_broker_connections()
    broker.reset()
    try:
        yield queue
    finally:
        celery_app.conf.broker_url, celery_app.conf.task_default_queue = previous
        forget_broker_connections()
        broker.reset()
        from redis import Redis

        client = Redis.from_url(BROKER)
        client.delete(queue)
        client.close()


@contextmanager
def _workers(app, url: str, queue: str, folder: Path, count: int):
    """`count` Celery workers (prefork, one process each) on `queue`, stopped by their PIDs."""
    ops.encrypt_password("make sure the key exists")
    engine_options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})
    env = {
        **os.environ,
        "PLANNER_BROKER_URL": url,
        "PLANNER_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "PLANNER_SQLALCHEMY_ENGINE_OPTIONS": json.dumps(engine_options),
        "PLANNER_INSTANCE_PATH": app.instance_path,
        "PLANNER_SECRET_KEY": app.config["SECRET_KEY"],
        "PLANNER_CALDAV_SECRET_KEY": app.config["CALDAV_SECRET_KEY"],
        "PLANNER_CALDAV_ALLOW_PRIVATE_HOSTS": "true",
    }
    started = []
    root = Path(__file__).parent.parent
    for number in range(count):
        log = open(folder / f"worker-{number}.log", "wb")  # noqa: SIM115 - closed below
        command = [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "planner.worker",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            "1",
            "--hostname",
            f"faults{number}-{uuid.uuid4().hex[:6]}@%h",
            "--queues",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
        ]
        started.append(
            (subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root), log)
        )
    try:
        yield [proc for proc, _ in started]
    finally:
        for proc, _ in started:
            if proc.poll() is None:
                proc.terminate()
        for proc, log in started:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
            log.close()


def _link_state(link_id: int) -> CalendarLink:
    db.session.expire_all()
    link = db.session.get(CalendarLink, link_id)
    db.session.rollback()
    return link


def _pushed(link_id: int) -> int:
    count = (
        db.session.query(SyncState).filter(SyncState.link_id == link_id, SyncState.etag.isnot(None)).count()
    )
    db.session.rollback()
    return count


def _linked_engagement(make_engagement, make_meeting, server, meetings: int):
    engagement = make_engagement(name="Worker faults")
    start = datetime(2027, 2, 1, 1, 0, tzinfo=UTC)
    for n in range(meetings):
        make_meeting(engagement, title=f"Status {n}", starts_at=start + timedelta(days=n))
    link = ops.link_calendar(
        engagement,
        url=server.url,
        username=server.username,
        password=server.password,
        calendar_name=f"Faults {uuid.uuid4().hex[:6]}",
        now=datetime.now(UTC),
    )
    db.session.commit()
    return engagement, link


def test_a_worker_killed_mid_sync_leaves_the_sync_to_another(
    pg_app, make_engagement, make_meeting, api_headers, tmp_path
):
    from planner.tasks import enqueue_sync

    meetings = 60
    with (
        running_server("radicale", tmp_path / "radicale") as server,
        _broker(pg_app, BROKER) as queue,
        _workers(pg_app, BROKER, queue, tmp_path, count=2) as workers,
    ):
        engagement, link = _linked_engagement(make_engagement, make_meeting, server, meetings)
        headers = api_headers(engagement.members[0].user)
        client = pg_app.test_client()
        assert enqueue_sync(link.id)

        # Wait until a run is pushing, then kill the process that holds the lease.
        deadline = time.monotonic() + 60
        while True:
            state = _link_state(link.id)
            if state.lease_owner and _pushed(link.id) >= 3:
                break
            assert time.monotonic() < deadline, [w.poll() for w in workers]
            time.sleep(0.1)
        victim = int(state.lease_owner.split("-")[-2])
        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()
        pushed_at_kill = _pushed(link.id)

        # The API stops saying `running` for the dead run, and the sync completes on another process.
        stale_reports = []
        owners = set()
        while True:
            elapsed = time.monotonic() - killed_at
            state = _link_state(link.id)
            status = client.get(f"/api/v1/calendars/{link.id}", headers=headers).get_json()
            owner = state.lease_owner
            if owner:
                owners.add(owner)
            if status["running"] and (owner is None or int(owner.split("-")[-2]) == victim):
                stale_reports.append(round(elapsed, 1))
            if state.last_success_at is not None and status["pending"] == 0:
                break
            assert elapsed < COMPLETE_WITHIN, (status, [w.poll() for w in workers])
            time.sleep(0.5)
        completed = time.monotonic() - killed_at
        events = {str(event["UID"]) for event in _served(server, link)}

    assert pushed_at_kill < meetings, "the run had finished before the kill; nothing was tested"
    new_owners = {owner for owner in owners if int(owner.split("-")[-2]) != victim}
    assert new_owners, "no other process took the sync over"
    assert stale_reports == [] or max(stale_reports) <= RUNNING_STOPS_WITHIN, stale_reports
    assert len(events) == meetings
    report(
        "a Celery worker killed mid-sync",
        {
            "meetings": meetings,
            "pushed_before_the_kill": pushed_at_kill,
            "completed_seconds_after_kill": round(completed, 1),
            "running_reported_for_the_dead_run_seconds": max(stale_reports, default=0),
            "lease_seconds": LEASE.total_seconds(),
            "events_on_the_server": len(events),
            "duplicated": meetings - len(events),
        },
    )


def _served(server, link) -> list:
    """The events the calendar server holds for the link, as icalendar events."""
    path = href_path(link.calendar_url)
    with CalDAVBackend(
        server.url, server.username, server.password, calendar_url=server.url + path[1:]
    ) as dav:
        items = dav.multiget(dav.list_etags())
    return [next(iter(icalendar.Calendar.from_ical(item.ics).walk("VEVENT"))) for item in items.values()]


def test_syncs_wait_while_redis_is_gone_and_go_out_when_it_returns(
    pg_app, make_engagement, make_meeting, api_headers, tmp_path
):
    from planner.tasks import pull_all

    host, port = BROKER.split("//", 1)[1].split("/", 1)[0].split(":")
    database = BROKER.rsplit("/", 1)[1]
    with (
        running_server("radicale", tmp_path / "radicale") as server,
        proxy_to(host, int(port)) as redis_proxy,
    ):
        url = f"redis://127.0.0.1:{redis_proxy.port}/{database}"
        with _broker(pg_app, url) as queue, _workers(pg_app, url, queue, tmp_path, count=1):
            engagement, link = _linked_engagement(make_engagement, make_meeting, server, 3)
            # The first sync goes out while Redis is there.
            assert pull_all() == 1
            _wait_until_synced(link.id)

            redis_proxy.cut()
            headers = api_headers(engagement.members[0].user)
            client = pg_app.test_client()
            meeting = engagement.meetings[0]
            edited = client.patch(
                f"/api/v1/meetings/{meeting.id}",
                json={"title": "Moved while Redis was gone"},
                headers=headers,
            )
            assert edited.status_code == 200, edited.text[:500]
            status = client.get(f"/api/v1/calendars/{link.id}", headers=headers).get_json()
            assert status["pending"] == 1 and status["running"] is False
            assert (
                client.post(f"/api/v1/calendars/{link.id}/sync", headers=headers).get_json()["queued"]
                is False
            )

            redis_proxy.restore()
            broker.reset()
            returned = time.monotonic()
            # What beat does every five minutes: queue every link that is due.
            pull_all()
            _wait_until_synced(link.id, after=status)
            titles = [str(e["SUMMARY"]) for e in _served(server, link) if "Redis" in str(e["SUMMARY"])]
            assert titles == ["Moved while Redis was gone"]
            report(
                "Redis gone while a meeting changed",
                {
                    "pending_while_gone": status["pending"],
                    "synced_seconds_after_return": round(time.monotonic() - returned, 1),
                },
            )


def _wait_until_synced(link_id: int, after: dict | None = None) -> None:
    deadline = time.monotonic() + 60
    while True:
        link = _link_state(link_id)
        if link.last_success_at is not None and ops.pending_count(link) == 0:
            db.session.rollback()
            return
        db.session.rollback()
        assert time.monotonic() < deadline, (link.last_error, after)
        time.sleep(0.2)
