"""API v1: engagements and contacts, with roles, validation and errors."""

from __future__ import annotations

import pytest
from api_fixtures import snapshot

from planner.extensions import db
from planner.models import Contact, Engagement

NEW = {
    "name": "基幹システム刷新",
    "client_name": "さくら商事",
    "timezone": "Europe/Berlin",
    "starts_on": "2026-03-02",
    "ends_on": "2026-09-30",
}


def test_create_engagement_makes_the_caller_owner(client, lone):
    user, headers = lone.user, lone.headers
    response = client.post("/api/v1/engagements", json=NEW, headers=headers)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["name"] == "基幹システム刷新"
    assert body["timezone"] == "Europe/Berlin"
    assert body["country"] == "DE"  # from the zone when not given
    assert body["role"] == "owner"
    assert body["starts_on"] == "2026-03-02" and body["ends_on"] == "2026-09-30"
    assert response.headers["Location"] == f"/api/v1/engagements/{body['id']}"
    engagement = db.session.get(Engagement, body["id"])
    assert engagement.membership_of(user).role == "owner"

    assert client.get(f"/api/v1/engagements/{body['id']}", headers=headers).get_json() == body
    listed = client.get("/api/v1/engagements", headers=headers).get_json()
    assert [e["id"] for e in listed] == [body["id"]]


def test_list_shows_only_the_callers_engagements(client, crew):
    assert [
        e["id"] for e in client.get("/api/v1/engagements", headers=crew.headers["viewer"]).get_json()
    ] == [crew.engagement.id]
    assert client.get("/api/v1/engagements", headers=crew.headers["stranger"]).get_json() == []


def test_defaults_and_explicit_country_language(client, lone):
    headers = lone.headers
    body = client.post("/api/v1/engagements", json={"name": "Retainer"}, headers=headers).get_json()
    assert (body["timezone"], body["country"], body["language"]) == ("Asia/Tokyo", "JP", "ja")
    body = client.post(
        "/api/v1/engagements",
        json={"name": "US rollout", "timezone": "America/New_York", "country": "us", "language": "en"},
        headers=headers,
    ).get_json()
    assert (body["country"], body["language"]) == ("US", "en")


@pytest.mark.parametrize(
    "payload, fields",
    [
        ({"client_name": "X"}, {"name"}),
        ({"name": "X", "timezone": "Mars/Olympus"}, {"timezone"}),
        ({"name": "X", "starts_on": "2026-13-40"}, {"starts_on"}),
        ({"name": "X", "starts_on": "2026-05-01", "ends_on": "2026-04-01"}, {"ends_on"}),
        ({"name": "X" * 201}, {"name"}),
        ({"name": "X", "country": "Narnia"}, {"country"}),
        ({"name": "X", "language": "fr"}, {"language"}),
        ({"name": ["X"]}, {"name"}),
        ({"name": "X", "revision": 9}, {"revision"}),
        ({"name": "X", "owner": "me"}, {"owner"}),
    ],
)
def test_create_engagement_errors_name_each_field(client, lone, payload, fields):
    headers = lone.headers
    before = snapshot()
    response = client.post("/api/v1/engagements", json=payload, headers=headers)
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == fields
    assert snapshot() == before


def test_patch_engagement_is_for_owners(client, crew):
    url = f"/api/v1/engagements/{crew.engagement.id}"
    revision = crew.engagement.revision
    assert client.patch(url, json={"name": "Renamed"}, headers=crew.headers["member"]).status_code == 403
    assert client.patch(url, json={"name": "Renamed"}, headers=crew.headers["stranger"]).status_code == 404
    response = client.patch(
        url, json={"name": "Renamed", "ends_on": "2027-03-31"}, headers=crew.headers["owner"]
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["name"] == "Renamed" and body["ends_on"] == "2027-03-31"
    assert body["client_name"] == "Sakura Trading"  # untouched fields stay
    assert body["revision"] == revision + 1


def test_patch_engagement_validates_the_merged_values(client, crew):
    url = f"/api/v1/engagements/{crew.engagement.id}"
    owner = crew.headers["owner"]
    assert client.patch(url, json={"starts_on": "2026-06-01"}, headers=owner).status_code == 200
    before = snapshot()
    response = client.patch(url, json={"ends_on": "2026-05-01"}, headers=owner)
    assert response.status_code == 422 and set(response.get_json()["fields"]) == {"ends_on"}
    response = client.patch(url, json={"name": None}, headers=owner)
    assert response.status_code == 422 and set(response.get_json()["fields"]) == {"name"}
    response = client.patch(url, json={"name": ""}, headers=owner)
    assert response.status_code == 422 and set(response.get_json()["fields"]) == {"name"}
    assert snapshot() == before
    # null clears an optional field
    assert client.patch(url, json={"starts_on": None}, headers=owner).get_json()["starts_on"] is None


def test_engagement_not_found_and_no_token(client, crew):
    assert client.get("/api/v1/engagements/999999", headers=crew.headers["owner"]).status_code == 404
    assert (
        client.get(f"/api/v1/engagements/{crew.engagement.id}", headers=crew.headers["stranger"]).status_code
        == 404
    )
    response = client.get(f"/api/v1/engagements/{crew.engagement.id}")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "error" in response.get_json()
    wrong = client.get(f"/api/v1/engagements/{crew.engagement.id}", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


def test_revoked_token_is_refused(client, crew):
    from planner.models import ApiToken, utcnow

    url = f"/api/v1/engagements/{crew.engagement.id}"
    assert client.get(url, headers=crew.headers["viewer"]).status_code == 200
    for row in db.session.query(ApiToken).filter_by(user_id=crew.viewer.id):
        row.revoked_at = utcnow()
    db.session.commit()
    assert client.get(url, headers=crew.headers["viewer"]).status_code == 401


# --- contacts ----------------------------------------------------------------------------------

CONTACT = {
    "name": "鈴木 一郎",
    "organisation": "さくら商事",
    "role": "購買課長",
    "email": "Suzuki@Example.JP",
    "phone": "+81 3 1234 5678",
    "language": "ja",
    "preferred_channel": "phone",
    "readers": "manager",
    "prefers_format": "diagrams",
    "notes": "稟議は月末締め。図で説明すると話が早い。",
}


def test_create_and_read_contact(client, crew):
    url = f"/api/v1/engagements/{crew.engagement.id}/contacts"
    response = client.post(url, json=CONTACT, headers=crew.headers["member"])
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["email"] == "suzuki@example.jp"
    assert {k: body[k] for k in CONTACT if k != "email"} == {k: v for k, v in CONTACT.items() if k != "email"}
    assert body["engagement_id"] == crew.engagement.id
    assert client.get(f"/api/v1/contacts/{body['id']}", headers=crew.headers["viewer"]).get_json() == body
    names = [c["name"] for c in client.get(url, headers=crew.headers["viewer"]).get_json()]
    assert sorted(names) == sorted(["佐藤 由美", "鈴木 一郎"])


def test_contact_roles(client, crew):
    url = f"/api/v1/engagements/{crew.engagement.id}/contacts"
    before = snapshot()
    assert client.post(url, json=CONTACT, headers=crew.headers["viewer"]).status_code == 403
    assert client.post(url, json=CONTACT, headers=crew.headers["stranger"]).status_code == 404
    assert client.get(url, headers=crew.headers["stranger"]).status_code == 404
    one = f"/api/v1/contacts/{crew.contact.id}"
    assert client.get(one, headers=crew.headers["stranger"]).status_code == 404
    assert client.patch(one, json={"phone": "1"}, headers=crew.headers["viewer"]).status_code == 403
    assert client.patch(one, json={"phone": "1"}, headers=crew.headers["stranger"]).status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize(
    "payload, fields",
    [
        ({"email": "a@b.jp"}, {"name"}),
        ({"name": "A", "email": "not an email"}, {"email"}),
        ({"name": "A", "preferred_channel": "fax"}, {"preferred_channel"}),
        ({"name": "A", "language": "de"}, {"language"}),
        ({"name": "A", "readers": "everyone"}, {"readers"}),
        ({"name": "A", "prefers_format": "video"}, {"prefers_format"}),
        ({"name": "A", "notes": "x" * 4001}, {"notes"}),
        ({"name": "A", "phone": 123}, {"phone"}),
        ({"name": "A", "engagement_id": 5}, {"engagement_id"}),
        ({"name": "A", "call_from": "14:00"}, {"call_until"}),
        ({"name": "A", "call_from": "14:00", "call_until": "13:00"}, {"call_until"}),
        ({"name": "A", "call_from": "25:00", "call_until": "26:00"}, {"call_from", "call_until"}),
        ({"name": "A", "call_from": 14, "call_until": "16:00"}, {"call_from"}),
        ({"name": "A", "timezone": "Mars/Olympus"}, {"timezone"}),
    ],
)
def test_contact_errors_name_each_field(client, crew, payload, fields):
    before = snapshot()
    url = f"/api/v1/engagements/{crew.engagement.id}/contacts"
    response = client.post(url, json=payload, headers=crew.headers["member"])
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == fields
    assert snapshot() == before


def test_patch_contact_changes_only_what_is_given(client, crew):
    one = f"/api/v1/contacts/{crew.contact.id}"
    response = client.patch(
        one, json={"preferred_channel": "chat", "notes": "チャット派"}, headers=crew.headers["member"]
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["preferred_channel"] == "chat" and body["notes"] == "チャット派"
    assert body["name"] == "佐藤 由美" and body["email"] == "sato@example.jp"
    db.session.expire_all()
    assert db.session.get(Contact, crew.contact.id).preferred_channel == "chat"
    before = snapshot()
    response = client.patch(one, json={"name": "", "email": "bad"}, headers=crew.headers["member"])
    assert response.status_code == 422 and set(response.get_json()["fields"]) == {"name", "email"}
    assert snapshot() == before
    # null clears an optional field
    assert (
        client.patch(one, json={"organisation": None}, headers=crew.headers["member"]).get_json()[
            "organisation"
        ]
        == ""
    )


def test_call_hours_go_in_and_out_as_wall_clock_times(client, crew):
    one = f"/api/v1/contacts/{crew.contact.id}"
    response = client.patch(
        one, json={"call_from": "14:00", "call_until": "17:30"}, headers=crew.headers["member"]
    )
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["call_from"], response.get_json()["call_until"]) == ("14:00", "17:30")
    # Another change keeps them; null for both clears them.
    assert (
        client.patch(one, json={"phone": "03-1"}, headers=crew.headers["member"]).get_json()["call_from"]
        == "14:00"
    )
    abroad = client.patch(one, json={"timezone": "Europe/Berlin"}, headers=crew.headers["member"])
    assert (abroad.get_json()["timezone"], abroad.get_json()["call_from"]) == ("Europe/Berlin", "14:00")
    cleared = client.patch(one, json={"call_from": None, "call_until": None}, headers=crew.headers["member"])
    assert (cleared.get_json()["call_from"], cleared.get_json()["call_until"]) == (None, None)
    db.session.expire_all()
    assert db.session.get(Contact, crew.contact.id).call_hours is None
