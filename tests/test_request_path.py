"""One write path for requests: the client page, a member's log and the API all save a request with its
triage in one transaction, through the ORM."""

from __future__ import annotations

from requests_fixtures import request_data
from sqlalchemy import event, select

from planner.extensions import db
from planner.models import Engagement, MeetingRequest, utcnow
from planner.operations.requests import submit_request

URL = "/api/v1/engagements/{}/requests"
ASK = {"topic": "帳票レイアウト", "reasons": ["nuance"], "expected_minutes": 15, "people": 2, "apply": False}


def _ints(data: dict) -> dict:
    """The form body with its numbers as a validated form gives them."""
    return data | {"expected_minutes": int(data["expected_minutes"]), "people": int(data["people"])}


class Commits:
    """Counts the commits of the database connection while it listens."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, _connection) -> None:
        self.count += 1


def _committed_once(run, *, then: int = 0) -> object:
    """`run()` commits the request with its triage once (and `then` more commits for what follows)."""
    commits = Commits()
    event.listen(db.engine, "commit", commits)
    try:
        result = run()
    finally:
        event.remove(db.engine, "commit", commits)
    assert commits.count == 1 + then
    return result


def test_the_client_page_saves_the_request_and_its_triage_in_one_commit(client, scene):
    # Then the sender's own page link, issued once the request exists.
    response = _committed_once(lambda: client.post(f"/s/{scene.token}/request", data=request_data()), then=1)
    assert response.status_code == 302
    req = db.session.scalars(select(MeetingRequest)).one()
    assert (req.status, req.rule, req.contact_id) == ("triaged", "R6", scene.contact.id)
    assert [(e.kind, e.data) for e in req.events] == [
        ("received", {"via": "client_page"}),
        ("triaged", {"rule": "R6", "outcome": "agenda_item"}),
    ]
    assert req.decision["meeting_id"] == scene.review.id and req.reply_body


def test_a_member_log_and_the_api_go_the_same_way(client, scene, api_headers, login):
    headers = api_headers(scene.owner)
    response = _committed_once(
        lambda: client.post(URL.format(scene.engagement.id), json=ASK, headers=headers)
    )
    assert response.status_code == 201 and response.json["status"] == "triaged"
    login(client, scene.owner)
    form = request_data(topic="電話で受けた依頼", contact_id=str(scene.contact.id), received_via="phone")
    response = _committed_once(
        lambda: client.post(f"/engagements/{scene.engagement.id}/requests/new", data=form)
    )
    assert response.status_code == 302
    kinds = {r.topic: [e.kind for e in r.events] for r in db.session.scalars(select(MeetingRequest)).all()}
    assert kinds == {"帳票レイアウト": ["received", "triaged"], "電話で受けた依頼": ["received", "triaged"]}


def test_a_failed_write_keeps_what_was_typed(app, scene, monkeypatch):
    from planner.operations.requests import decisions

    def broken(*_args, **_kwargs):
        raise RuntimeError("the database went away mid-write")

    monkeypatch.setattr(decisions, "redraft", broken)
    req, refused = submit_request(
        db.session.get(Engagement, scene.engagement.id),
        _ints(request_data(topic="残したい依頼")),
        received_via="client_page",
        now=utcnow(),
    )
    db.session.close()
    kept = db.session.get(MeetingRequest, req.id)
    assert refused is None and (kept.topic, kept.status) == ("残したい依頼", "failed_triage")
    assert [e.kind for e in kept.events] == ["received", "error"]


def test_a_fault_while_applying_leaves_the_bare_request_alone(make_app, scene, api_token, monkeypatch):
    from sqlalchemy.exc import OperationalError

    client, url = make_app().test_client(), URL.format(scene.engagement.id)
    headers = {"Authorization": f"Bearer {api_token(scene.owner)}"}

    def lost_connection(*_args, **_kwargs):
        raise OperationalError("INSERT INTO agenda_items", {}, Exception("server closed the connection"))

    monkeypatch.setattr("planner.operations.requests.decisions.add_agenda_item", lost_connection)
    ask = ASK | {"topic": "ログイン画面の文言", "apply": True, "contact_id": scene.contact.id}
    response = client.post(url, json=ask, headers=headers)
    assert response.status_code == 201 and response.json["status"] == "failed_triage"
    db.session.remove()
    kept = db.session.scalars(
        select(MeetingRequest).where(MeetingRequest.topic == "ログイン画面の文言")
    ).all()
    assert [(r.status, [e.kind for e in r.events]) for r in kept] == [
        ("failed_triage", ["received", "error"])
    ]


def test_the_write_path_has_no_hand_written_sql():
    """Requests are written through the ORM's unit of work only: no Core insert, update or raw SQL."""
    from pathlib import Path

    package = Path(__file__).resolve().parent.parent / "planner" / "operations" / "requests"
    for module in package.glob("*.py"):
        source = module.read_text()
        for written in ("insert(", "delete(", " text(", "sqlalchemy import text", "connection().execute"):
            assert written not in source, (module.name, written)
