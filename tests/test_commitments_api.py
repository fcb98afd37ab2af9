"""Commitments API end to end: create, list, read, patch, current status and errors naming fields."""

from __future__ import annotations

from datetime import timedelta

from planner.models import utcnow
from planner.operations.requests import receive_request


def test_create_list_get_and_close(client, api_headers, team, make_meeting):
    engagement, owner, contact = team["engagement"], team["owner"], team["contact"]
    meeting = make_meeting(engagement)
    asked = receive_request(
        engagement, {"topic": "Phase 2 cost", "contact_id": contact.id}, received_via="phone", now=utcnow()
    )
    headers = api_headers(owner)
    due = (utcnow() + timedelta(days=20)).astimezone(engagement.tz).replace(second=0, microsecond=0)
    response = client.post(
        f"/api/v1/engagements/{engagement.id}/commitments",
        json={
            "title": "Estimate for phase 2",
            "owed_by": "us",
            "owner_email": "MEMBER@example.com",
            "contact_id": contact.id,
            "due_at": due.strftime("%Y-%m-%dT%H:%M"),
            "meeting_id": meeting.id,
            "request_id": asked.id,
            "promised_amount": 40,
        },
        headers=headers,
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "open"
    assert body["owner_email"] == "member@example.com"
    assert body["due_at"] == due.isoformat()  # naive input is read in the engagement's zone
    assert (body["meeting_id"], body["request_id"], body["promised_amount"]) == (meeting.id, asked.id, 40.0)
    cid = body["id"]

    listed = client.get(f"/api/v1/engagements/{engagement.id}/commitments", headers=headers).json
    assert [c["id"] for c in listed["commitments"]] == [cid]

    # A revised estimate above the promised amount turns it at risk, and is flagged.
    patched = client.patch(f"/api/v1/commitments/{cid}", json={"revised_amount": 52}, headers=headers).json
    assert (patched["status"], patched["estimate_raised"], patched["promised_amount"]) == (
        "at_risk",
        True,
        40.0,
    )
    assert patched["title"] == "Estimate for phase 2"  # untouched fields stay

    closed = client.patch(f"/api/v1/commitments/{cid}", json={"status": "done"}, headers=headers)
    assert closed.status_code == 200
    assert closed.json["status"] == "done" and closed.json["done_at"]
    got = client.get(f"/api/v1/commitments/{cid}", headers=headers).json
    assert [h["kind"] for h in got["history"]] == ["status", "edited", "created"]
    assert got["history"][1]["before"] == {"revised_amount": None}
    assert got["history"][1]["after"] == {"revised_amount": 52.0}


def test_status_is_current_late_after_due(client, api_headers, team):
    engagement, owner = team["engagement"], team["owner"]
    headers = api_headers(owner)
    past = (utcnow() - timedelta(hours=2)).isoformat()
    response = client.post(
        f"/api/v1/engagements/{engagement.id}/commitments",
        json={"title": "Test data from the client", "owed_by": "client", "due_at": past},
        headers=headers,
    )
    assert response.status_code == 201
    assert response.json["status"] == "late"
    bad = client.patch(f"/api/v1/commitments/{response.json['id']}", json={"status": "late"}, headers=headers)
    assert bad.status_code == 422 and "status" in bad.json["fields"]


def test_errors_name_fields_and_change_nothing(client, api_headers, team):
    engagement, owner = team["engagement"], team["owner"]
    headers = api_headers(owner)
    url = f"/api/v1/engagements/{engagement.id}/commitments"
    response = client.post(
        url,
        json={
            "owed_by": "someone",
            "owner_email": "outsider@example.com",
            "contact_id": 9999,
            "due_at": "next tuesday",
            "meeting_id": 9999,
            "promised_amount": -1,
            "request_id": 9999,
        },
        headers=headers,
    )
    assert response.status_code == 422
    assert set(response.json["fields"]) >= {
        "title",
        "owed_by",
        "owner_email",
        "contact_id",
        "due_at",
        "meeting_id",
        "promised_amount",
        "request_id",
    }
    assert client.get(url, headers=headers).json["commitments"] == []
    assert (
        client.post(url, data="nope", headers=headers | {"Content-Type": "application/json"}).status_code
        == 400
    )
    assert client.patch("/api/v1/commitments/1", json={"status": "done"}, headers=headers).status_code == 404


def test_roles_and_strangers(client, api_headers, team):
    engagement = team["engagement"]
    url = f"/api/v1/engagements/{engagement.id}/commitments"
    payload = {"title": "X", "due_at": (utcnow() + timedelta(days=9)).isoformat()}
    assert client.post(url, json=payload).status_code == 401
    assert client.post(url, json=payload, headers=api_headers(team["viewer"])).status_code == 403
    assert client.get(url, headers=api_headers(team["outsider"])).status_code == 404
    created = client.post(url, json=payload, headers=api_headers(team["member"]))
    assert created.status_code == 201
    cid = created.json["id"]
    assert client.get(f"/api/v1/commitments/{cid}", headers=api_headers(team["viewer"])).status_code == 200
    viewer_patch = client.patch(
        f"/api/v1/commitments/{cid}", json={"status": "done"}, headers=api_headers(team["viewer"])
    )
    assert viewer_patch.status_code == 403
    assert client.get(f"/api/v1/commitments/{cid}", headers=api_headers(team["outsider"])).status_code == 404


def test_openapi_describes_the_routes(client, api_headers, team):
    spec = client.get("/api/v1/openapi.json", headers=api_headers(team["owner"])).json
    assert set(spec["paths"]["/engagements/{engagement_id}/commitments"]) >= {"get", "post"}
    assert set(spec["paths"]["/commitments/{commitment_id}"]) >= {"get", "patch"}
