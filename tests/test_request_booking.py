"""The client picks one of the proposed times: the meeting is made then, a time taken meanwhile is refused
with fresh ones, and two picks at once never make two meetings."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from requests_fixtures import request_data
from sqlalchemy import func, select

from planner.extensions import db
from planner.models import Meeting, MeetingRequest

API = "/api/v1/engagements/{}/requests"


def _call_request(client, scene, api_headers, **extra) -> dict:
    """A 20-minute question with nuance and no meeting about it: a call with times to pick."""
    ask = {
        "topic": "マスタ項目の定義",
        "reasons": ["nuance"],
        "expected_minutes": 20,
        "people": 2,
        "contact_id": scene.contact.id,
    } | extra
    response = client.post(API.format(scene.engagement.id), json=ask, headers=api_headers(scene.owner))
    assert response.status_code == 201 and response.json["outcome"] == "call", response.json
    return response.json


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def test_the_client_books_on_the_page_and_the_meeting_is_made(client, scene, api_headers):
    data = _call_request(client, scene, api_headers)
    page = client.get(_path(data["booking_url"]))
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "マスタ項目の定義" in text
    assert text.count('name="starts_at"') == len(data["proposed_slots"])
    chosen = data["proposed_slots"][1]["starts_at"]
    booked = client.post(_path(data["booking_url"]), data={"starts_at": chosen}, follow_redirects=True)
    assert booked.status_code == 200 and 'id="booked"' in booked.get_data(as_text=True)
    req = db.session.get(MeetingRequest, data["id"])
    meeting = db.session.get(Meeting, req.meeting_id)
    assert meeting.status == "confirmed" and meeting.starts_at == datetime.fromisoformat(chosen)
    assert meeting.engagement.revision > 1  # feeds and calendars follow
    assert req.events[-1].kind == "booked" and req.events[-1].data["by"] == "client"
    # The other times are released: a new request of the same member may be offered them.
    again = _call_request(client, scene, api_headers, topic="帳票の項目")
    offered = {s["starts_at"] for s in again["proposed_slots"]}
    assert data["proposed_slots"][0]["starts_at"] in offered


def test_a_time_taken_meanwhile_is_refused_with_fresh_times(client, scene, api_headers, make_meeting):
    data = _call_request(client, scene, api_headers)
    first = data["proposed_slots"][0]
    start = datetime.fromisoformat(first["starts_at"])
    # The member accepts another meeting over the first time before the client answers.
    make_meeting(
        scene.engagement, title="社内レビュー", starts_at=start - timedelta(minutes=10), duration_minutes=60
    )
    url = f"/api/v1/requests/{data['id']}/booking"
    refused = client.post(url, json={"starts_at": first["starts_at"]}, headers=api_headers(scene.owner))
    assert refused.status_code == 409
    fresh = refused.json["proposed_slots"]
    assert 2 <= len(fresh) <= 3
    taken = (start - timedelta(minutes=10), start + timedelta(minutes=50))
    for slot in fresh:
        begin, end = datetime.fromisoformat(slot["starts_at"]), datetime.fromisoformat(slot["ends_at"])
        assert not (begin < taken[1] and taken[0] < end)
    booked = client.post(url, json={"starts_at": fresh[0]["starts_at"]}, headers=api_headers(scene.owner))
    assert booked.status_code == 201
    kinds = [e.kind for e in db.session.get(MeetingRequest, data["id"]).events]
    assert kinds[-2:] == ["error", "booked"]


def test_two_picks_at_once_make_one_meeting(make_app, scene, api_headers):
    app = make_app()
    setup = app.test_client()
    data = _call_request(setup, scene, api_headers)
    path = _path(data["booking_url"])
    before = db.session.scalar(select(func.count(Meeting.id)))
    db.session.remove()
    answers: list[int] = []
    start = threading.Barrier(2)

    def pick(slot: dict) -> None:
        with app.test_client() as browser:
            start.wait()
            answers.append(browser.post(path, data={"starts_at": slot["starts_at"]}).status_code)

    threads = [threading.Thread(target=pick, args=(slot,)) for slot in data["proposed_slots"][:2]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    db.session.remove()
    assert sorted(answers) == [302, 409]
    assert db.session.scalar(select(func.count(Meeting.id))) == before + 1
    req = db.session.get(MeetingRequest, data["id"])
    assert [e.kind for e in req.events].count("booked") == 1


def test_a_time_never_proposed_and_an_unknown_link_are_refused(client, scene, api_headers):
    data = _call_request(client, scene, api_headers)
    url = f"/api/v1/requests/{data['id']}/booking"
    later = (datetime.now(UTC) + timedelta(days=40)).isoformat()
    assert client.post(url, json={"starts_at": later}, headers=api_headers(scene.owner)).status_code == 422
    assert client.post(url, json={"starts_at": "soon"}, headers=api_headers(scene.owner)).status_code == 422
    assert client.get("/book/not-a-real-key").status_code == 404
    email = client.post(
        API.format(scene.engagement.id),
        json={"topic": "URLを教えてください", "reasons": ["other"], "expected_minutes": 5, "people": 1},
        headers=api_headers(scene.owner),
    ).json
    assert email["outcome"] == "email" and email["booking_url"] is None and email["proposed_slots"] == []
    no_slots = client.post(
        f"/api/v1/requests/{email['id']}/booking", json={"starts_at": later}, headers=api_headers(scene.owner)
    )
    assert no_slots.status_code == 422


def test_the_client_may_ask_for_other_times(client, scene, api_headers):
    data = _call_request(client, scene, api_headers)
    path = _path(data["booking_url"])
    client.post(path, data={"other_times": "1", "wish": "来週の午後でお願いします"})
    req = db.session.get(MeetingRequest, data["id"])
    assert req.meeting_id is None and req.events[-1].kind == "other_times"
    assert req.events[-1].data == {"message": "来週の午後でお願いします"}


def test_a_client_page_request_through_the_contacts_link_is_theirs(client, scene):
    client.post(f"/s/{scene.token}/request", data=request_data(topic="帳票の件", expected_minutes="20"))
    req = db.session.scalars(select(MeetingRequest)).one()
    assert req.contact_id == scene.contact.id and req.reply_to == "yamada@sakura.example"


@pytest.mark.parametrize("path", ["/request", ""])
def test_the_contacts_own_link_prefills_who_is_asking(client, scene, path):
    page = client.get(f"/s/{scene.token}{path}").get_data(as_text=True)
    assert 'value="山田"' in page and 'value="yamada@sakura.example"' in page
