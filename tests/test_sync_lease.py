"""A sync's lease is renewed while its run lives; a dead run's lease stops showing as running, then frees."""

from __future__ import annotations

import time
from datetime import timedelta

from planner.extensions import db
from planner.models import CalendarLink, utcnow
from planner.operations.calendars import encrypt_password
from planner.operations.sync_lease import (
    LEASE,
    STALE_AFTER,
    Heartbeat,
    LeaseLost,
    acquire_lease,
    lease_held,
    release_lease,
)


def _link(engagement) -> CalendarLink:
    link = CalendarLink(
        engagement=engagement,
        server_url="http://127.0.0.1:9/",
        calendar_url="http://127.0.0.1:9/cal/",
        username="team",
        secret=encrypt_password("app-password"),
    )
    db.session.add(link)
    db.session.commit()
    return link


def _fresh(link_id: int) -> CalendarLink:
    db.session.expire_all()
    return db.session.get(CalendarLink, link_id)


def test_a_lease_is_running_while_renewed_and_not_once_its_holder_stops(app, make_engagement):
    link = _link(make_engagement())
    now = utcnow()
    assert acquire_lease(link.id, "worker-a", now)
    assert lease_held(_fresh(link.id), now)
    # The holder died right after taking it: after STALE_AFTER it is no longer reported as running...
    later = now + STALE_AFTER + timedelta(seconds=1)
    assert not lease_held(_fresh(link.id), later)
    # ...and once LEASE has passed another worker may take it over.
    assert not acquire_lease(link.id, "worker-b", later)
    assert acquire_lease(link.id, "worker-b", now + LEASE + timedelta(seconds=1))


def test_the_heartbeat_renews_the_lease_and_notices_a_takeover(app, make_engagement):
    link = _link(make_engagement())
    start = utcnow()
    assert acquire_lease(link.id, "worker-a", start)
    first_until = _fresh(link.id).lease_until
    beat = Heartbeat(link.id, "worker-a", every=0.05)
    beat.thread.start()
    try:
        deadline = time.monotonic() + 10
        while _fresh(link.id).lease_until <= first_until:
            assert time.monotonic() < deadline, "the lease was never renewed"
            time.sleep(0.05)
        db.session.rollback()
        # Another worker takes the link over (as after a stall longer than the lease).
        release_lease(link.id, "worker-a")
        assert acquire_lease(link.id, "worker-b", utcnow())
        while not beat.lost:
            assert time.monotonic() < deadline, "the takeover went unnoticed"
            time.sleep(0.05)
        step = beat.watching(None)
        try:
            step(1, 2)
        except LeaseLost:
            pass
        else:
            raise AssertionError("a run whose lease was taken over went on")
    finally:
        beat.stop()
    assert _fresh(link.id).lease_owner == "worker-b"


def test_sync_now_through_the_api_says_a_run_holds_the_lease(app, make_engagement, api_headers):
    engagement = make_engagement()
    link = _link(engagement)
    app.config["BROKER_URL"] = "redis://127.0.0.1:9/0"  # never reached: the lease answers first
    assert acquire_lease(link.id, "worker-a", utcnow())
    response = app.test_client().post(
        f"/api/v1/calendars/{link.id}/sync", headers=api_headers(engagement.members[0].user)
    )
    assert response.status_code == 409
    assert response.get_json()["result"]["busy"] is True
    status = app.test_client().get(
        f"/api/v1/calendars/{link.id}", headers=api_headers(engagement.members[0].user)
    )
    assert status.get_json()["running"] is True
