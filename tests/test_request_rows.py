"""A new request's row, history and activity counter, written without the unit of work."""

from __future__ import annotations

import pytest
from requests_fixtures import request_data
from sqlalchemy import func, select
from test_query_counts import counting

from planner.extensions import db
from planner.models import Engagement, MeetingRequest, RequestEvent, utcnow
from planner.operations.request_rows import row_values, write_request
from planner.operations.requests import submit_request

URL = "/api/v1/engagements/{}/requests"
ASK = {"topic": "帳票レイアウト", "reasons": ["nuance"], "expected_minutes": 15, "people": 2, "apply": False}


def _activity(engagement_id: int) -> int:
    return db.session.scalar(select(Engagement.activity).where(Engagement.id == engagement_id))


def _ints(data: dict) -> dict:
    """The form body with its numbers as a validated form gives them."""
    return data | {"expected_minutes": int(data["expected_minutes"]), "people": int(data["people"])}


def test_a_triaged_request_is_written_with_its_history_and_counted_once(client, scene, api_headers):
    engagement_id = scene.engagement.id
    owner_id, before, headers = scene.owner.id, _activity(engagement_id), api_headers(scene.owner)
    db.session.close()
    with counting() as seen:
        response = client.post(URL.format(engagement_id), json=ASK, headers=headers)
    assert response.status_code == 201, response.json
    tables = ("meeting_requests", "request_events", "update engagements")
    writes = [
        s
        for s in seen
        if any(table in s.lower() for table in tables) and not s.lstrip().upper().startswith("SELECT")
    ]
    # On PostgreSQL the row, its history and the counter go in one statement; elsewhere in three.
    assert len(writes) == (1 if db.engine.dialect.name == "postgresql" else 3)
    db.session.close()
    req = db.session.get(MeetingRequest, response.json["id"])
    assert (req.status, req.outcome, req.topic) == ("triaged", response.json["outcome"], "帳票レイアウト")
    assert [(e.kind, e.actor_id) for e in req.events] == [("received", owner_id), ("triaged", owner_id)]
    assert _activity(engagement_id) == before + 1


def test_the_next_transaction_in_the_session_is_atomic_again(app, scene):
    """A request written on its own leaves the session's next transaction rolling back as a whole."""
    engagement = db.session.get(Engagement, scene.engagement.id)
    db.session.commit()
    req, _refused = submit_request(
        engagement, _ints(request_data()), received_via="client_page", now=utcnow(), apply=False
    )
    assert req.status == "triaged"
    engagement = db.session.get(Engagement, scene.engagement.id)
    events = db.session.scalar(select(func.count()).select_from(RequestEvent))
    db.session.add(RequestEvent(request_id=req.id, kind="error", detail="never kept", created_at=utcnow()))
    engagement.name = "never kept either"
    db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(RequestEvent)) == events
    assert db.session.get(Engagement, scene.engagement.id).name != "never kept either"


def test_a_failed_write_keeps_the_bare_request(app, scene, monkeypatch):
    from planner.operations import requests as operations

    def broken(*_args, **_kwargs):
        raise RuntimeError("the database went away mid-write")

    monkeypatch.setattr(operations, "write_request", broken)
    req, refused = submit_request(
        db.session.get(Engagement, scene.engagement.id),
        _ints(request_data(topic="残したい依頼")),
        received_via="client_page",
        now=utcnow(),
        apply=False,
    )
    db.session.close()
    kept = db.session.get(MeetingRequest, req.id)
    assert refused is None and (kept.topic, kept.status) == ("残したい依頼", "failed_triage")
    assert [e.kind for e in kept.events] == ["received", "error"]


def test_a_fault_while_applying_undoes_the_write_when_nothing_was_read_first(
    make_app, scene, api_token, monkeypatch
):
    """With access and meetings trusted from memory, the write is the transaction's first statement: applying
    must still share its transaction, so that a fault leaves the bare request alone, not two copies."""
    from sqlalchemy.exc import OperationalError

    remembering = make_app(FEED_STATE_TTL=60)
    client, url = remembering.test_client(), URL.format(scene.engagement.id)
    headers = {"Authorization": f"Bearer {api_token(scene.owner)}"}
    assert client.post(url, json=ASK, headers=headers).status_code == 201  # memories warmed

    def lost_connection(*_args, **_kwargs):
        raise OperationalError("INSERT INTO meetings", {}, Exception("server closed the connection"))

    # Nuance and no planned meeting about it: a call, which applying puts on the schedule.
    monkeypatch.setattr("planner.operations.requests.create_meeting", lost_connection)
    response = client.post(url, json=ASK | {"topic": "一度だけ", "apply": True}, headers=headers)
    assert response.status_code == 201 and response.json["status"] == "failed_triage"
    db.session.remove()
    kept = db.session.scalars(select(MeetingRequest).where(MeetingRequest.topic == "一度だけ")).all()
    assert [(r.status, [e.kind for e in r.events]) for r in kept] == [
        ("failed_triage", ["received", "error"])
    ]


@pytest.mark.parametrize(
    ("alone", "before", "own"),
    [(True, None, True), (False, None, False), (True, "read", False), (True, "change", False)],
)
def test_the_write_is_its_own_transaction_only_when_nothing_else_is(app, scene, alone, before, own):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("one statement, and so a transaction of its own, is PostgreSQL's way")
    engagement_id, now = scene.engagement.id, utcnow()
    db.session.remove()
    if before == "read":
        db.session.get(Engagement, engagement_id)
    elif before == "change":
        db.session.get(Engagement, engagement_id).name = "renamed in the same commit"
        db.session.info.clear()  # read, but as if read by an earlier transaction: only the change counts
    values = row_values({"engagement_id": engagement_id, "topic": "一行", "submitted_at": now})
    history = [{"kind": "received", "detail": "via api", "actor_id": None, "created_at": now}]
    write_request(db.session(), values, history, alone=alone)
    assert db.session.connection().connection.driver_connection.autocommit is own
    db.session.rollback()
