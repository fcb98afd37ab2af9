"""With FEED_STATE_TTL on, a member's access is remembered briefly: a kept page then costs no query."""

from __future__ import annotations

import pytest
from test_query_counts import counting

from planner.extensions import db
from planner.models import Engagement, utcnow
from planner.operations.people import add_member, remove_member


@pytest.fixture
def clock(monkeypatch):
    """The monotonic clock the remembered rows age by, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr("planner.web.access_cache.time.monotonic", lambda: now[0])
    monkeypatch.setattr("planner.web.utcnow", lambda moment=utcnow().replace(second=5): moment)
    return now


@pytest.fixture
def scene(make_app, make_user, make_engagement, make_meeting, login, clock):
    app = make_app(FEED_STATE_TTL=5)
    with app.app_context():
        owner, colleague = make_user(), make_user()
        engagement = make_engagement(owner=owner)
        add_member(engagement, colleague, "member")
        db.session.commit()
        make_meeting(engagement, title="Scope workshop")
        client = app.test_client()
        login(client, colleague)
        yield app, client, engagement.id, colleague.id


def test_a_kept_page_within_the_ttl_runs_no_query(scene):
    app, client, engagement_id, _ = scene
    url = f"/engagements/{engagement_id}"
    assert client.get(url).status_code == 200
    db.session.close()
    with counting() as seen:
        page = client.get(url).get_data(as_text=True)
    assert "Scope workshop" in page and seen == []


def test_a_change_in_this_process_is_seen_at_once(scene):
    app, client, engagement_id, colleague_id = scene
    url = f"/engagements/{engagement_id}/week"
    assert "/meetings/new" in client.get(url).get_data(as_text=True)
    engagement = db.session.get(Engagement, engagement_id)
    membership = next(m for m in engagement.members if m.user_id == colleague_id)
    membership.role = "viewer"
    db.session.commit()
    assert "/meetings/new" not in client.get(url).get_data(as_text=True)
    remove_member(db.session.get(Engagement, engagement_id), membership)
    db.session.commit()
    assert client.get(url).status_code == 404


def test_another_process_removing_the_member_is_seen_once_the_ttl_is_over(scene, make_app, clock):
    app, client, engagement_id, colleague_id = scene
    url = f"/engagements/{engagement_id}"
    assert client.get(url).status_code == 200
    other = make_app()
    with other.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        remove_member(engagement, next(m for m in engagement.members if m.user_id == colleague_id))
        db.session.commit()
    db.session.expire_all()
    clock[0] += 4  # within the five seconds this app trusts what it read
    assert client.get(url).status_code == 200
    clock[0] += 1
    assert client.get(url).status_code == 404


def test_a_change_to_other_rows_keeps_the_access_and_shows_on_the_next_page(scene):
    from planner.operations.requests import receive_request

    app, client, engagement_id, _ = scene
    url = f"/engagements/{engagement_id}"
    assert client.get(url).status_code == 200
    engagement = db.session.get(Engagement, engagement_id)
    receive_request(
        engagement,
        {"topic": "帳票の締め日", "reasons": ["nuance"], "expected_minutes": 15, "people": 2},
        received_via="phone",
        now=utcnow(),
    )
    db.session.close()
    with counting() as seen:
        page = client.get(url).get_data(as_text=True)
    assert "帳票の締め日" in page  # rendered again at the counter the commit left
    assert not [s for s in seen if "memberships" in s.lower() and "users" in s.lower()]


def test_no_password_hash_is_kept_in_memory(scene):
    app, client, engagement_id, _ = scene
    assert client.get(f"/engagements/{engagement_id}").status_code == 200
    remembered = list(app.extensions["planner_member_access"]._entries.values())
    assert remembered
    rows = [row for entry in remembered for row in entry.state.rows if row is not None]
    assert {model.__name__ for model, _ in rows} == {"User", "Engagement", "Membership"}
    assert all("password_hash" not in columns for _, columns in rows)
