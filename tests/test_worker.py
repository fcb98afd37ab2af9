"""A real Celery worker runs ``sync_link`` through Redis (only when PLANNER_TEST_BROKER_URL is set)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from caldav_servers import running_server

from planner.extensions import celery_app, db
from planner.models import CalendarLink, utcnow
from planner.operations import calendars as ops

BROKER = os.environ.get("PLANNER_TEST_BROKER_URL")
pytestmark = [
    pytest.mark.caldav,
    pytest.mark.slow,
    pytest.mark.skipif(not BROKER, reason="PLANNER_TEST_BROKER_URL is not set"),
]


@pytest.fixture
def broker_app(app):
    app.config["BROKER_URL"] = BROKER
    # The shared Celery app was bound to memory:// when the app was built: point it at Redis.
    previous = celery_app.conf.broker_url
    celery_app.conf.broker_url = BROKER
    celery_app._pool = None
    yield app
    celery_app.conf.broker_url = previous
    celery_app._pool = None


@pytest.fixture
def worker(broker_app, tmp_path):
    """A `celery worker` subprocess on a private queue, using this test's database and instance."""
    queue = f"planner-test-{uuid.uuid4().hex[:8]}"
    ops.encrypt_password("make sure the key exists")
    engine_options = broker_app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})
    env = {
        **os.environ,
        "PLANNER_BROKER_URL": BROKER,
        "PLANNER_SQLALCHEMY_DATABASE_URI": broker_app.config["SQLALCHEMY_DATABASE_URI"],
        # PostgreSQL tests run in a private schema chosen through the engine options.
        "PLANNER_SQLALCHEMY_ENGINE_OPTIONS": json.dumps(engine_options),
        "PLANNER_INSTANCE_PATH": broker_app.instance_path,
        "PLANNER_SECRET_KEY": broker_app.config["SECRET_KEY"],
        "PLANNER_CALDAV_SECRET_KEY": broker_app.config["CALDAV_SECRET_KEY"],
        "PLANNER_CALDAV_ALLOW_PRIVATE_HOSTS": "true",
    }
    command = [
        str(Path(sys.executable).parent / "celery"),
        "-A",
        "planner.worker",
        "worker",
        "--pool",
        "solo",
        "--queues",
        queue,
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
        "--loglevel",
        "WARNING",
    ]
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 - closed below
    root = Path(__file__).parent.parent
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    try:
        yield proc
    finally:
        celery_app.conf.task_default_queue = previous
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        log.close()


def test_worker_runs_sync_link_through_redis(broker_app, worker, make_engagement, make_meeting, tmp_path):
    from planner.tasks import enqueue_sync

    engagement = make_engagement(name="Worker")
    start = datetime(2027, 2, 1, 1, 0, tzinfo=UTC)
    meetings = [make_meeting(engagement, starts_at=start + timedelta(days=n)) for n in range(3)]
    with running_server("radicale", tmp_path / "radicale") as server:
        link = ops.link_calendar(
            engagement,
            url=server.url,
            username=server.username,
            password=server.password,
            calendar_name="Worker calendar",
            now=utcnow(),
        )
        db.session.commit()
        job_id = enqueue_sync(link.id)
        assert job_id
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            db.session.expire_all()
            link = db.session.get(CalendarLink, link.id)
            if link.last_success_at or link.last_error:
                break
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-2000:]
            time.sleep(0.2)
        log = (tmp_path / "worker.log").read_text()[-2000:]
        assert link.last_success_at is not None, (link.last_error, log)
        assert link.counts["pushed"] == len(meetings)
        assert ops.pending_count(link) == 0
