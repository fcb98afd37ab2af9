"""Redis unreachable (a closed port) or silent (accepts, never answers): the planner keeps working.

Writes are saved and answered, login and the client's request form work (rate limits fall back to
memory), health stays up as `degraded`, and a sync that could not be queued says so and waits.
"""

from __future__ import annotations

import logging
import time

import pytest
from fault_fixtures import SilentListener, forget_broker_connections, free_port
from requests_fixtures import request_data

from planner import broker
from planner.extensions import db, limiter
from planner.models import CalendarLink, Meeting, MeetingRequest
from planner.operations.calendars import encrypt_password

pytestmark = pytest.mark.faults

# A broker call on the request path is bounded by seconds (connect 2 s, read 3 s), never gunicorn's 30.
BOUND_SECONDS = 8


@pytest.fixture(params=["closed", "silent"])
def redis_down(request, scene, make_app):
    """An app whose broker and rate-limit storage point at a dead Redis, with a calendar link to sync."""
    if request.param == "closed":
        url, listener = f"redis://127.0.0.1:{free_port()}/0", None
    else:
        listener = SilentListener()
        url = f"redis://127.0.0.1:{listener.port}/0"
    link = CalendarLink(
        engagement=scene.engagement,
        server_url=f"http://127.0.0.1:{free_port()}/",
        calendar_url=f"http://127.0.0.1:{free_port()}/cal/",
        username="team",
        secret=encrypt_password("app-password"),
    )
    db.session.add(link)
    db.session.commit()
    broker.reset()
    # The limiter is one object for every app of the test process: start each case with its storage alive.
    limiter._storage_dead = False
    app = make_app(BROKER_URL=url, RATELIMIT_ENABLED=True, RATELIMIT_KEY_PREFIX="faults")
    forget_broker_connections()
    try:
        yield app, link.id
    finally:
        broker.reset()
        forget_broker_connections()
        if listener is not None:
            listener.close()


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_writes_login_and_the_request_form_work_while_redis_is_down(redis_down, scene, api_headers, caplog):
    app, link_id = redis_down
    caplog.set_level(logging.WARNING)
    client = app.test_client()
    slowest = 0.0

    # Login is rate-limited in Redis: it falls back to memory instead of failing.
    response, took = _timed(
        lambda: client.post("/login", data={"email": scene.owner.email, "password": "correct horse battery"})
    )
    slowest = max(slowest, took)
    assert response.status_code == 302, response.text[:500]

    # The client's request form saves what they typed.
    response, took = _timed(
        lambda: client.post(f"/s/{scene.token}/request", data=request_data(topic="Redis is down"))
    )
    slowest = max(slowest, took)
    assert response.status_code == 302, response.text[:500]
    assert db.session.query(MeetingRequest).filter_by(topic="Redis is down").count() == 1

    # A meeting edit in an engagement with a linked calendar is saved and answered.
    api = app.test_client()
    headers = api_headers(scene.owner)
    response, took = _timed(
        lambda: api.patch(
            f"/api/v1/meetings/{scene.review.id}", json={"title": "Edited without Redis"}, headers=headers
        )
    )
    slowest = max(slowest, took)
    assert response.status_code == 200, response.text[:500]
    assert response.get_json()["title"] == "Edited without Redis"
    db.session.expire_all()
    assert db.session.get(Meeting, scene.review.id).title == "Edited without Redis"

    # A triage request applied through the API puts an agenda item on a meeting, and answers 201.
    body = {
        "topic": "Error wording on the login screen",
        "reasons": ["nuance"],
        "expected_minutes": 10,
        "people": 2,
        "contact_id": scene.contact.id,
    }
    response, took = _timed(
        lambda: api.post(f"/api/v1/engagements/{scene.engagement.id}/requests", json=body, headers=headers)
    )
    slowest = max(slowest, took)
    assert response.status_code == 201, response.text[:500]

    # Pages and feeds read as usual; health keeps the instance in the balancer.
    assert client.get(f"/engagements/{scene.engagement.id}").status_code == 200
    assert client.get(f"/feeds/{scene.token}.ics").status_code == 200
    assert client.get(f"/s/{scene.token}").status_code == 200
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json()["status"] == "degraded"
    assert client.get("/healthz/ready?strict=1").status_code == 503

    # Sync now says the queue is down instead of pretending a sync started.
    page = client.post(f"/calendar-links/{link_id}/sync", follow_redirects=True)
    assert page.status_code == 200
    assert "The job queue cannot be reached at the moment" in page.text
    answer = api.post(f"/api/v1/calendars/{link_id}/sync", headers=headers)
    assert answer.status_code == 202 and answer.get_json()["queued"] is False

    # What waits is still pending, and the API says nothing is running.
    status = api.get(f"/api/v1/calendars/{link_id}", headers=headers).get_json()
    assert status["pending"] >= 1 and status["running"] is False

    assert slowest < BOUND_SECONDS, f"a request waited {slowest:.1f} s on the broker"
    messages = [r.getMessage() for r in caplog.records]
    assert any("falling back to in-memory storage" in m for m in messages), messages
    assert any("job queue cannot be reached" in m for m in messages), messages
    # The only error line is the strict readiness check's own 503.
    errors = [getattr(r, "fields", {}) for r in caplog.records if r.levelno >= logging.ERROR]
    assert [(e.get("path"), e.get("status")) for e in errors] == [("/healthz/ready", 503)], errors


def test_the_login_limit_still_holds_in_memory_while_redis_is_down(redis_down, scene):
    app, _ = redis_down
    client = app.test_client()
    wrong = {"email": scene.owner.email, "password": "not the password"}
    statuses = [client.post("/login", data=wrong).status_code for _ in range(11)]
    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429
