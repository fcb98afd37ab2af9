"""Submitting through the API: one commit, few statements, remembered tokens, and nothing lost on a fault."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from planner.extensions import db
from planner.models import AgendaItem, ApiToken, MeetingRequest, utcnow
from planner.tokens import token_hash

URL = "/api/v1/engagements/{}/requests"


def body(**overrides) -> dict:
    data = {
        "topic": "ログイン画面のエラーメッセージ",
        "details": "大事な内容",
        "reasons": ["nuance"],
        "expected_minutes": 15,
        "people": 2,
    }
    data.update(overrides)
    return data


def saved(request_id: int) -> tuple[MeetingRequest, list[str]]:
    db.session.expire_all()
    req = db.session.get(MeetingRequest, request_id)
    return req, [e.kind for e in req.events]


def test_a_raising_policy_still_saves_the_request(client, scene, api_headers, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("policy bug")

    monkeypatch.setattr("planner.operations.requests.decisions.decide", broken)
    response = client.post(URL.format(scene.engagement.id), json=body(), headers=api_headers(scene.owner))
    assert response.status_code == 201
    assert (response.json["status"], response.json["outcome"]) == ("failed_triage", None)
    req, kinds = saved(response.json["id"])
    assert (req.details, kinds) == ("大事な内容", ["received", "error"])
    assert "policy bug" in req.events[1].data["message"]


@pytest.mark.parametrize("apply", [False, True])
def test_a_database_fault_while_storing_the_decision_keeps_the_bare_request(
    client, scene, api_headers, monkeypatch, apply
):
    from planner.operations.requests import decisions as operations

    draft = operations.redraft

    def unstorable(req, **kwargs):
        draft(req, **kwargs)
        req.topic = None  # NOT NULL, no default: the INSERT with the decision fails in the database

    monkeypatch.setattr(operations, "redraft", unstorable)
    response = client.post(
        URL.format(scene.engagement.id), json=body(apply=apply), headers=api_headers(scene.owner)
    )
    assert response.status_code == 201
    assert (response.json["status"], response.json["outcome"]) == ("failed_triage", None)
    req, kinds = saved(response.json["id"])
    assert (req.topic, req.details, kinds) == (
        "ログイン画面のエラーメッセージ",
        "大事な内容",
        ["received", "error"],
    )
    assert req.events[1].data["code"] == "not_saved"
    assert db.session.scalar(select(func.count(MeetingRequest.id))) == 1


def test_a_database_fault_while_applying_keeps_the_bare_request(client, scene, api_headers, monkeypatch):
    items = db.session.scalar(select(func.count(AgendaItem.id)))

    def lost_connection(*_args, **_kwargs):
        raise OperationalError("INSERT INTO agenda_items", {}, Exception("server closed the connection"))

    monkeypatch.setattr("planner.operations.requests.decisions.add_agenda_item", lost_connection)
    ask = body(contact_id=scene.contact.id)  # 山田 attends the review: an agenda item
    response = client.post(URL.format(scene.engagement.id), json=ask, headers=api_headers(scene.owner))
    assert response.status_code == 201 and response.json["status"] == "failed_triage"
    _req, kinds = saved(response.json["id"])
    assert kinds == ["received", "error"]
    assert db.session.scalar(select(func.count(AgendaItem.id))) == items


def test_a_booked_call_invites_the_contact_and_the_member(client, scene, api_headers):
    from planner.models import Meeting

    urgent = body(reasons="deadline_pressure,other", expected_minutes=10, contact_id=scene.contact.id)
    urgent["needed_by"] = scene.review.starts_at.replace(microsecond=0).isoformat()
    headers = api_headers(scene.owner)
    response = client.post(URL.format(scene.engagement.id), json=urgent, headers=headers)
    assert response.status_code == 201 and response.json["outcome"] == "call", response.json
    first = response.json["proposed_slots"][0]["starts_at"]
    booked = client.post(
        f"/api/v1/requests/{response.json['id']}/booking", json={"starts_at": first}, headers=headers
    )
    db.session.expire_all()
    call = db.session.get(Meeting, booked.json["meeting_id"])
    assert {(a.contact_id, a.user_id) for a in call.attendees} == {
        (scene.contact.id, None),
        (None, scene.owner.id),
    }
    _req, kinds = saved(response.json["id"])
    assert kinds == ["received", "triaged", "applied", "booked"]


@pytest.fixture
def counted():
    """Every statement and commit any engine runs while the test looks."""
    seen: dict[str, list] = {"statements": [], "commits": []}

    def statement(_conn, _cursor, sql, *_args):
        seen["statements"].append(sql)

    def commit(conn):
        seen["commits"].append(conn)

    event.listen(Engine, "before_cursor_execute", statement)
    event.listen(Engine, "commit", commit)
    yield seen
    event.remove(Engine, "before_cursor_execute", statement)
    event.remove(Engine, "commit", commit)


def test_triage_only_is_one_commit_and_seven_statements(make_app, scene, api_token, counted):
    remembering = make_app(FEED_STATE_TTL=60)
    headers = {"Authorization": f"Bearer {api_token(scene.owner)}"}
    client = remembering.test_client()
    url = URL.format(scene.engagement.id)
    assert client.post(url, json=body(apply=False, contact_id=scene.contact.id), headers=headers).status_code
    counted["statements"].clear()
    counted["commits"].clear()
    response = client.post(url, json=body(apply=False, contact_id=scene.contact.id), headers=headers)
    assert response.status_code == 201 and response.json["status"] == "triaged"
    # The member's busy times across engagements and the slots offered to other requests, the request,
    # its two events and the activity counter; the engagement, membership, contact and meetings: from memory.
    # (and the list of the member's personal calendars, none here).
    assert len(counted["statements"]) <= 7, [s[:40] for s in counted["statements"]]
    assert len(counted["commits"]) == 1
    assert not any("api_tokens" in s or "FROM users" in s for s in counted["statements"])


def test_a_revoked_token_is_refused_at_once_here_and_within_the_ttl_elsewhere(
    make_app, scene, api_token, monkeypatch
):
    from planner.operations.people import revoke_api_token

    clock = [1000.0]
    monkeypatch.setattr("planner.api.common._clock", lambda: clock[0])
    here, elsewhere = make_app(FEED_STATE_TTL=1), make_app(FEED_STATE_TTL=1)
    token = api_token(scene.owner)
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/api/v1/engagements/{scene.engagement.id}"
    for app in (here, elsewhere):
        assert app.test_client().get(url, headers=headers).status_code == 200
    with here.app_context():
        row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
        revoke_api_token(row, now=utcnow())
        db.session.commit()
    assert here.test_client().get(url, headers=headers).status_code == 401
    assert elsewhere.test_client().get(url, headers=headers).status_code == 200  # remembered for 1 s
    clock[0] += 1.0
    assert elsewhere.test_client().get(url, headers=headers).status_code == 401


def test_an_answer_by_mail_is_due_on_the_day_the_reply_promised(app, scene):
    from datetime import datetime, time

    from planner.models import Commitment
    from planner.operations.requests import apply_decision, submit_request
    from planner.workdays import local_datetime, next_working_day

    zone = scene.engagement.timezone
    drafted_on = next_working_day(datetime.now(scene.engagement.tz).date(), "JP")
    promised = next_working_day(drafted_on, "JP")
    # Reasons that leave the contact's channel (mail) to decide, on a topic no meeting is about.
    ask = body(topic="請求書の送付先", reasons=["other"], expected_minutes=20, contact_id=scene.contact.id)
    req, _refused = submit_request(
        scene.engagement,
        ask,
        received_via="email",
        now=local_datetime(drafted_on, time(17, 0), zone),
        actor=scene.owner,
        apply=False,
    )
    assert req.outcome == "email" and f"{promised.month}月{promised.day}日" in req.reply_body
    # Applied on the promised morning, after the reply went out: the promise stands as the client read it,
    # not a working day later.
    req = db.session.get(MeetingRequest, req.id)
    apply_decision(req, actor=scene.owner, now=local_datetime(promised, time(10, 0), zone))
    db.session.commit()
    commitment = db.session.scalars(select(Commitment).where(Commitment.request_id == req.id)).one()
    assert commitment.due_at == local_datetime(promised, time(18, 0), zone)
