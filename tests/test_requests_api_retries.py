"""A retried POST of a meeting request with the same Idempotency-Key is the request already received."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

import planner.api.requests as request_api
import planner.operations.requests as requests_operations
from planner.extensions import db
from planner.models import AgendaItem, MeetingRequest

URL = "/api/v1/engagements/{}/requests"
BODY = {
    "topic": "ログイン画面のエラーメッセージ",
    "details": "文言の相談",
    "reasons": ["nuance"],
    "expected_minutes": 15,
    "people": 2,
}


def _counts(engagement_id: int) -> tuple[int, int]:
    db.session.remove()
    requests = db.session.scalar(
        select(func.count()).select_from(MeetingRequest).where(MeetingRequest.engagement_id == engagement_id)
    )
    items = db.session.scalar(select(func.count()).select_from(AgendaItem))
    return requests, items


def test_a_retried_call_is_received_and_applied_once(client, scene, api_headers):
    headers = api_headers(scene.owner) | {"Idempotency-Key": "9f0c2b1e-retry"}
    body = BODY | {"contact_id": scene.contact.id}  # 山田 attends the review
    first = client.post(URL.format(scene.engagement.id), json=body, headers=headers)
    assert first.status_code == 201 and first.json["outcome"] == "agenda_item"
    assert "Idempotent-Replayed" not in first.headers
    before = _counts(scene.engagement.id)
    again = client.post(URL.format(scene.engagement.id), json=dict(reversed(body.items())), headers=headers)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert (again.json["id"], again.json["agenda_item_id"]) == (
        first.json["id"],
        first.json["agenda_item_id"],
    )
    assert _counts(scene.engagement.id) == before  # no second request, no second agenda item


def test_the_same_key_with_another_body_is_refused(client, scene, api_headers):
    headers = api_headers(scene.owner) | {"Idempotency-Key": "k-1"}
    first = client.post(URL.format(scene.engagement.id), json=BODY | {"apply": False}, headers=headers)
    before = _counts(scene.engagement.id)
    other = client.post(URL.format(scene.engagement.id), json=BODY | {"topic": "別件"}, headers=headers)
    assert other.status_code == 422 and f"(id {first.json['id']})" in other.json["error"]
    assert _counts(scene.engagement.id) == before


def test_without_a_key_or_with_another_one_each_call_is_a_request(client, scene, api_headers):
    headers = api_headers(scene.owner)
    before = _counts(scene.engagement.id)[0]
    for extra in ({}, {}, {"Idempotency-Key": "a"}, {"Idempotency-Key": "b"}):
        response = client.post(
            URL.format(scene.engagement.id), json=BODY | {"apply": False}, headers=headers | extra
        )
        assert response.status_code == 201
    assert _counts(scene.engagement.id)[0] == before + 4


def test_a_key_belongs_to_one_engagement(client, scene, api_headers, make_engagement):
    other = make_engagement(scene.owner, name="Another client")
    headers = api_headers(scene.owner) | {"Idempotency-Key": "shared"}
    ids = {
        client.post(URL.format(engagement_id), json=BODY | {"apply": False}, headers=headers).json["id"]
        for engagement_id in (scene.engagement.id, other.id, scene.engagement.id)
    }
    assert len(ids) == 2


@pytest.mark.parametrize("key", ["x" * 256, "tab\tinside", "日本語のキー", " "])
def test_a_key_that_cannot_be_one_is_a_400_and_saves_nothing(client, scene, api_headers, key):
    before = _counts(scene.engagement.id)
    headers = api_headers(scene.owner) | {"Idempotency-Key": key.encode().decode("latin-1")}
    response = client.post(URL.format(scene.engagement.id), json=BODY, headers=headers)
    assert response.status_code == 400 and "Idempotency-Key" in response.json["error"]
    assert _counts(scene.engagement.id) == before


def test_a_call_that_loses_the_race_answers_with_the_winner(client, scene, api_headers, monkeypatch):
    headers = api_headers(scene.owner) | {"Idempotency-Key": "raced"}
    first = client.post(URL.format(scene.engagement.id), json=BODY | {"apply": False}, headers=headers)
    before = _counts(scene.engagement.id)
    # The second call looked before the first was committed: only the unique key stops its write.
    monkeypatch.setattr(request_api, "request_by_key", lambda *_args: None)
    second = client.post(URL.format(scene.engagement.id), json=BODY | {"apply": False}, headers=headers)
    assert second.status_code == 201 and second.json["id"] == first.json["id"]
    assert _counts(scene.engagement.id) == before


def test_a_retried_call_whose_applying_was_refused_is_refused_alike(client, scene, api_headers, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise requests_operations.RequestError("The chosen meeting is gone or cancelled; choose another one.")

    headers = api_headers(scene.owner) | {"Idempotency-Key": "refused-once"}
    with monkeypatch.context() as patched:
        patched.setattr(requests_operations.intake, "apply_decision", refuse)
        first = client.post(URL.format(scene.engagement.id), json=BODY, headers=headers)
    assert first.status_code == 409 and "gone or cancelled" in first.json["error"]
    request_id = int(first.json["error"].split("(id ")[1].split(")")[0])
    history = client.get(f"/api/v1/requests/{request_id}", headers=api_headers(scene.owner)).json["history"]
    assert [e["kind"] for e in history][-1] == "error" and "gone or cancelled" in history[-1]["detail"]
    before = _counts(scene.engagement.id)
    again = client.post(URL.format(scene.engagement.id), json=BODY, headers=headers)
    assert (again.status_code, again.json["error"]) == (409, first.json["error"])
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _counts(scene.engagement.id) == before
