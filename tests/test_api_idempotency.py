"""Every API call that creates something takes an Idempotency-Key: a retry is the first answer, not a copy."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from planner.extensions import db
from planner.models import AgendaItem, Commitment, Contact, Engagement, FeedLink, Meeting


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def _meeting_body(title: str = "Order screens review") -> dict:
    return {
        "title": title,
        "purpose": "Agree which order screens go into the first release",
        "starts_at": "2027-03-10T14:00",
        "duration_minutes": 60,
    }


def test_a_retried_meeting_creation_is_the_meeting_already_created(client, make_engagement, api_headers):
    engagement = make_engagement()
    headers = api_headers(engagement.members[0].user) | {"Idempotency-Key": "plan-review-1"}
    url = f"/api/v1/engagements/{engagement.id}/meetings"

    first = client.post(url, json=_meeting_body(), headers=headers)
    again = client.post(url, json=_meeting_body(), headers=headers)

    assert first.status_code == 201 and again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert again.get_json() == first.get_json()
    assert (
        again.headers["Location"] == first.headers["Location"] == f"/api/v1/meetings/{first.get_json()['id']}"
    )
    assert again.headers["ETag"] == first.headers["ETag"]
    assert _count(Meeting) == 1


def test_the_same_key_with_another_body_is_refused_and_changes_nothing(client, make_engagement, api_headers):
    engagement = make_engagement()
    headers = api_headers(engagement.members[0].user) | {"Idempotency-Key": "plan-review-2"}
    url = f"/api/v1/engagements/{engagement.id}/meetings"
    assert client.post(url, json=_meeting_body(), headers=headers).status_code == 201

    other = client.post(url, json=_meeting_body("Another meeting"), headers=headers)

    assert other.status_code == 422
    assert "Idempotency-Key" in other.get_json()["error"]
    assert _count(Meeting) == 1


def test_without_a_key_each_call_creates_one(client, make_engagement, api_headers):
    engagement = make_engagement()
    headers = api_headers(engagement.members[0].user)
    url = f"/api/v1/engagements/{engagement.id}/meetings"
    assert client.post(url, json=_meeting_body(), headers=headers).status_code == 201
    assert client.post(url, json=_meeting_body(), headers=headers).status_code == 201
    assert _count(Meeting) == 2


def test_a_key_belongs_to_its_caller_and_route(client, make_engagement, make_user, api_headers):
    from planner.operations.people import add_member

    engagement = make_engagement()
    other = make_user("other@example.com")
    add_member(engagement, other, "member")
    db.session.commit()
    url = f"/api/v1/engagements/{engagement.id}/meetings"
    key = {"Idempotency-Key": "same-key"}
    assert (
        client.post(
            url, json=_meeting_body(), headers=api_headers(engagement.members[0].user) | key
        ).status_code
        == 201
    )
    theirs = client.post(url, json=_meeting_body(), headers=api_headers(other) | key)
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs.headers
    assert _count(Meeting) == 2


@pytest.mark.parametrize(
    ("path", "body", "model"),
    [
        ("/engagements/{e}/contacts", {"name": "山田 花子", "email": "hanako@sakura.example"}, Contact),
        (
            "/engagements/{e}/commitments",
            {"title": "Send the order-screen mock-ups", "owed_by": "us", "due_at": "2027-03-12T18:00"},
            Commitment,
        ),
        ("/meetings/{m}/agenda", {"title": "Open questions", "minutes": 10}, AgendaItem),
        (
            "/engagements",
            {"name": "Renewal", "client_name": "Sakura Logistics", "timezone": "Asia/Tokyo"},
            Engagement,
        ),
    ],
)
def test_other_creations_take_a_key_too(
    client, make_engagement, make_meeting, api_headers, path, body, model
):
    engagement = make_engagement()
    meeting = make_meeting(engagement)
    headers = api_headers(engagement.members[0].user) | {"Idempotency-Key": "retry-me"}
    url = "/api/v1" + path.format(e=engagement.id, m=meeting.id)
    before = _count(model)

    first = client.post(url, json=body, headers=headers)
    again = client.post(url, json=body, headers=headers)

    assert first.status_code == 201, first.get_json()
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert _count(model) == before + 1


def test_a_replayed_feed_link_never_shows_its_token_again(client, make_engagement, api_headers):
    engagement = make_engagement()
    headers = api_headers(engagement.members[0].user) | {"Idempotency-Key": "feed-1"}
    url = f"/api/v1/engagements/{engagement.id}/feeds"

    first = client.post(url, json={"label": "Team", "audience": "team"}, headers=headers)
    again = client.post(url, json={"label": "Team", "audience": "team"}, headers=headers)

    assert first.status_code == 201 and first.get_json()["token"]
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["token"] is None and again.get_json()["token_shown"] is False
    assert first.get_json()["token"] not in again.text
    assert _count(FeedLink) == 1


def test_a_malformed_key_is_refused(client, make_engagement, api_headers):
    engagement = make_engagement()
    headers = api_headers(engagement.members[0].user) | {"Idempotency-Key": "x" * 256}
    response = client.post(
        f"/api/v1/engagements/{engagement.id}/meetings", json=_meeting_body(), headers=headers
    )
    assert response.status_code == 400
    assert _count(Meeting) == 0
