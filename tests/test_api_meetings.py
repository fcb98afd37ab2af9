"""API v1: meetings and agendas, with time zones, versions, roles and errors naming fields."""

from __future__ import annotations

import pytest
from api_fixtures import snapshot

from planner.extensions import db
from planner.models import Engagement, Meeting

PLAN = {
    "title": "要件定義ワークショップ",
    "purpose": "受注画面の範囲を合意する",
    "desired_outcome": "Signed-off list of screens",
    "kind": "requirements",
    "starts_at": "2026-12-09T14:00",
    "duration_minutes": 90,
    "status": "confirmed",
    "location": "さくら商事 本社 5F",
    "conference_url": "https://meet.example.com/abc",
    "internal": False,
    "internal_notes": "Bring the RFP annotations",
}


def meetings_url(crew) -> str:
    return f"/api/v1/engagements/{crew.engagement.id}/meetings"


def test_create_meeting_returns_the_meeting_in_the_engagement_zone(client, crew):
    payload = PLAN | {"contact_ids": [crew.contact.id], "user_ids": [crew.member.id]}
    revision = crew.engagement.revision
    response = client.post(meetings_url(crew), json=payload, headers=crew.headers["member"])
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["starts_at"] == "2026-12-09T14:00:00+09:00"
    assert body["ends_at"] == "2026-12-09T15:30:00+09:00"
    assert body["duration_minutes"] == 90
    assert body["uid"].endswith("@planner") and body["sequence"] == 0
    assert body["status"] == "confirmed" and body["internal"] is False
    assert body["agenda"] == [] and body["agenda_minutes"] == 0 and body["free_minutes"] == 90
    assert body["purpose_vague"] is False and body["purpose_missing"] is False
    assert body["contact_ids"] == [crew.contact.id] and body["user_ids"] == [crew.member.id]
    assert body["engagement_id"] == crew.engagement.id
    assert body["url"].endswith(f"/meetings/{body['id']}")
    assert response.headers["Location"] == f"/api/v1/meetings/{body['id']}"
    assert response.headers["ETag"] == f'"{body["version"]}"'
    for key in (
        "title",
        "purpose",
        "desired_outcome",
        "kind",
        "location",
        "conference_url",
        "internal_notes",
    ):
        assert body[key] == PLAN[key]
    db.session.expire_all()
    assert db.session.get(Engagement, crew.engagement.id).revision == revision + 1
    fetched = client.get(f"/api/v1/meetings/{body['id']}", headers=crew.headers["viewer"]).get_json()
    assert fetched == body


def test_offsets_and_dst(client, lone):
    engagement = client.post(
        "/api/v1/engagements", json={"name": "Berlin", "timezone": "Europe/Berlin"}, headers=lone.headers
    ).get_json()
    url = f"/api/v1/engagements/{engagement['id']}/meetings"
    base = {"title": "Review", "purpose": "Approve the design of the import screens"}
    # Without an offset: the engagement's zone, across the spring-forward night.
    body = client.post(
        url, json=base | {"starts_at": "2026-03-29T01:30", "duration_minutes": 90}, headers=lone.headers
    ).get_json()
    assert (body["starts_at"], body["ends_at"]) == ("2026-03-29T01:30:00+01:00", "2026-03-29T04:00:00+02:00")
    # With an offset: that instant, shown in the engagement's zone.
    body = client.post(
        url,
        json=base | {"starts_at": "2026-07-01T09:00:00+09:00", "ends_at": "2026-07-01T10:15+09:00"},
        headers=lone.headers,
    ).get_json()
    assert (body["starts_at"], body["ends_at"]) == ("2026-07-01T02:00:00+02:00", "2026-07-01T03:15:00+02:00")
    assert body["duration_minutes"] == 75
    meeting = db.session.get(Meeting, body["id"])
    assert meeting.starts_at.isoformat() == "2026-07-01T00:00:00+00:00"


def test_vague_purpose_is_flagged(client, crew):
    body = client.post(
        meetings_url(crew), json=PLAN | {"purpose": "定例 打ち合わせ"}, headers=crew.headers["member"]
    ).get_json()
    assert body["purpose_vague"] is True


@pytest.mark.parametrize(
    "change, fields",
    [
        ({"purpose": ""}, {"purpose"}),
        ({"purpose": None}, {"purpose"}),
        ({"title": "   "}, {"title"}),
        ({"starts_at": "next tuesday"}, {"starts_at"}),
        ({"starts_at": "2026-02-30T10:00"}, {"starts_at"}),
        ({"starts_at": "0001-01-01T00:00+14:00"}, {"starts_at"}),
        ({"duration_minutes": None, "ends_at": "2026-12-09T13:00"}, {"ends_at"}),
        ({"duration_minutes": None, "ends_at": "2026-12-11T13:00"}, {"ends_at"}),
        ({"ends_at": "2026-12-09T15:00"}, {"ends_at", "duration_minutes"}),
        ({"duration_minutes": -30}, {"duration_minutes"}),
        ({"duration_minutes": "60"}, {"duration_minutes"}),
        ({"duration_minutes": 1.5}, {"duration_minutes"}),
        ({"duration_minutes": True}, {"duration_minutes"}),
        ({"title": "x" * 201}, {"title"}),
        ({"purpose": "x" * 4001}, {"purpose"}),
        ({"title": ["Kickoff"]}, {"title"}),
        ({"kind": "party"}, {"kind"}),
        ({"status": "maybe"}, {"status"}),
        ({"internal": "yes"}, {"internal"}),
        ({"conference_url": "javascript:alert(1)"}, {"conference_url"}),
        ({"contact_ids": [999]}, {"contact_ids"}),
        ({"contact_ids": "1"}, {"contact_ids"}),
        ({"user_ids": [0, "x"]}, {"user_ids"}),
        ({"sequence": 5, "colour": "red"}, {"sequence", "colour"}),
    ],
)
def test_create_meeting_errors_name_each_field(client, crew, change, fields):
    before = snapshot()
    response = client.post(meetings_url(crew), json=PLAN | change, headers=crew.headers["member"])
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["error"] and set(body["fields"]) == fields
    assert all(isinstance(m, str) and m for ms in body["fields"].values() for m in ms)
    assert snapshot() == before


def test_attendees_must_belong_to_the_engagement(client, crew, lone):
    other = client.post("/api/v1/engagements", json={"name": "Other"}, headers=lone.headers).get_json()
    their_contact = client.post(
        f"/api/v1/engagements/{other['id']}/contacts", json={"name": "X"}, headers=lone.headers
    ).get_json()
    before = snapshot()
    response = client.post(
        meetings_url(crew),
        json=PLAN | {"contact_ids": [their_contact["id"]], "user_ids": [lone.user.id]},
        headers=crew.headers["member"],
    )
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"contact_ids", "user_ids"}
    assert snapshot() == before


def test_list_meetings_with_filters(client, crew):
    headers = crew.headers["member"]
    for day, status in (
        ("2026-12-01", "confirmed"),
        ("2026-12-15", "tentative"),
        ("2026-12-20", "cancelled"),
    ):
        response = client.post(
            meetings_url(crew), json=PLAN | {"starts_at": f"{day}T09:00", "status": status}, headers=headers
        )
        assert response.status_code == 201
    viewer = crew.headers["viewer"]
    everything = client.get(meetings_url(crew), headers=viewer).get_json()
    starts = [m["starts_at"][:10] for m in everything]
    assert starts == sorted(starts) and len(starts) == 4  # with the crew's 2026-12-08 meeting
    window = client.get(meetings_url(crew) + "?from=2026-12-08&to=2026-12-15", headers=viewer).get_json()
    assert [m["starts_at"][:10] for m in window] == ["2026-12-08", "2026-12-15"]
    timed = client.get(
        meetings_url(crew),
        query_string={"from": "2026-12-08T10:00+09:00", "to": "2026-12-15T09:00"},
        headers=viewer,
    ).get_json()
    assert [m["starts_at"][:10] for m in timed] == ["2026-12-08"]
    cancelled = client.get(meetings_url(crew) + "?status=cancelled", headers=viewer).get_json()
    assert [m["status"] for m in cancelled] == ["cancelled"]
    two = client.get(meetings_url(crew) + "?status=confirmed,tentative", headers=viewer).get_json()
    assert len(two) == 3
    for query, name in (("from=soon", "from"), ("to=2026-99-01", "to"), ("status=lost", "status")):
        response = client.get(meetings_url(crew) + "?" + query, headers=viewer)
        assert response.status_code == 422 and set(response.get_json()["fields"]) == {name}


def test_meeting_json_includes_the_ordered_agenda(client, crew):
    url = f"/api/v1/meetings/{crew.meeting.id}"
    response = client.post(
        url + "/agenda", json={"title": "Open questions", "minutes": 25}, headers=crew.headers["member"]
    )
    assert response.status_code == 201
    item = response.get_json()
    assert item["title"] == "Open questions" and item["minutes"] == 25 and item["position"] == 2
    body = client.get(url, headers=crew.headers["viewer"]).get_json()
    assert [i["title"] for i in body["agenda"]] == ["Screens list", "Open questions"]
    assert body["agenda_minutes"] == 45 and body["free_minutes"] == 15


# --- PATCH ---------------------------------------------------------------------------------------


def current(client, crew) -> dict:
    return client.get(f"/api/v1/meetings/{crew.meeting.id}", headers=crew.headers["viewer"]).get_json()


def test_patch_changes_only_the_given_fields_and_bumps_sequence(client, crew):
    before = current(client, crew)
    revision = crew.engagement.revision
    response = client.patch(
        f"/api/v1/meetings/{crew.meeting.id}",
        json={"title": "Screens, agreed"},
        headers=crew.headers["member"],
    )
    assert response.status_code == 200
    after = response.get_json()
    assert after["title"] == "Screens, agreed"
    assert after["sequence"] == before["sequence"] + 1 and after["version"] > before["version"]
    unchanged = {k: v for k, v in before.items() if k not in ("title", "sequence", "version", "updated_at")}
    assert {k: after[k] for k in unchanged} == unchanged
    db.session.expire_all()
    assert db.session.get(Engagement, crew.engagement.id).revision == revision + 1


def test_patch_times(client, crew):
    url = f"/api/v1/meetings/{crew.meeting.id}"
    headers = crew.headers["member"]
    moved = client.patch(url, json={"starts_at": "2026-12-10T16:00"}, headers=headers).get_json()
    assert (moved["starts_at"], moved["ends_at"]) == (
        "2026-12-10T16:00:00+09:00",
        "2026-12-10T17:00:00+09:00",
    )
    longer = client.patch(url, json={"duration_minutes": 120}, headers=headers).get_json()
    assert longer["ends_at"] == "2026-12-10T18:00:00+09:00"
    ended = client.patch(url, json={"ends_at": "2026-12-10T16:45"}, headers=headers).get_json()
    assert ended["duration_minutes"] == 45
    people = client.patch(
        url, json={"contact_ids": [], "user_ids": [crew.viewer.id]}, headers=headers
    ).get_json()
    assert people["contact_ids"] == [] and people["user_ids"] == [crew.viewer.id]


def test_patch_validates_the_merged_meeting(client, crew):
    url = f"/api/v1/meetings/{crew.meeting.id}"
    headers = crew.headers["member"]
    before = snapshot()
    cases = [
        ({"purpose": ""}, {"purpose"}),
        ({"ends_at": "2026-12-08T09:00"}, {"ends_at"}),
        ({"starts_at": "2026/12/08"}, {"starts_at"}),
        ({"status": None}, {"status"}),
        ({"id": 7, "uid": "x", "agenda": []}, {"id", "uid", "agenda"}),
        ({"purpose_vague": False, "whatever": 1}, {"purpose_vague", "whatever"}),
        ({"internal_notes": "x" * 5000}, {"internal_notes"}),
    ]
    for change, fields in cases:
        response = client.patch(url, json=change, headers=headers)
        assert response.status_code == 422, (change, response.get_json())
        assert set(response.get_json()["fields"]) == fields, change
    assert snapshot() == before


def test_stale_versions_are_refused(client, crew):
    url = f"/api/v1/meetings/{crew.meeting.id}"
    headers = crew.headers["member"]
    seen = current(client, crew)["version"]
    assert client.patch(url, json={"title": "First", "version": seen}, headers=headers).status_code == 200
    before = snapshot()
    response = client.patch(url, json={"title": "Second", "version": seen}, headers=headers)
    assert response.status_code == 409
    assert "version" in response.get_json()["error"]
    response = client.patch(url, json={"title": "Second"}, headers=headers | {"If-Match": f'"{seen}"'})
    assert response.status_code == 409
    assert client.delete(url, headers=headers | {"If-Match": f'"{seen}"'}).status_code == 409
    bad = client.patch(url, json={"title": "Second"}, headers=headers | {"If-Match": "yesterday"})
    assert bad.status_code == 400
    assert snapshot() == before
    fresh = client.get(url, headers=headers)
    response = client.patch(
        url, json={"title": "Second"}, headers=headers | {"If-Match": fresh.headers["ETag"]}
    )
    assert response.status_code == 200 and response.get_json()["title"] == "Second"


def test_delete_cancels_and_keeps_the_meeting(client, crew):
    url = f"/api/v1/meetings/{crew.meeting.id}"
    before = current(client, crew)
    response = client.delete(url, headers=crew.headers["member"])
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "cancelled" and body["cancelled_at"]
    assert body["sequence"] == before["sequence"] + 1
    assert body["uid"] == before["uid"]
    again = client.delete(url, headers=crew.headers["member"]).get_json()
    assert again["sequence"] == body["sequence"]  # cancelling twice changes nothing
    assert client.get(url, headers=crew.headers["viewer"]).get_json()["status"] == "cancelled"
    assert db.session.get(Meeting, crew.meeting.id) is not None


def test_meeting_roles(client, crew):
    url = f"/api/v1/meetings/{crew.meeting.id}"
    before = snapshot()
    viewer, stranger = crew.headers["viewer"], crew.headers["stranger"]
    assert client.post(meetings_url(crew), json=PLAN, headers=viewer).status_code == 403
    assert client.post(meetings_url(crew), json=PLAN, headers=stranger).status_code == 404
    assert client.get(meetings_url(crew), headers=stranger).status_code == 404
    assert client.get(url, headers=stranger).status_code == 404
    assert client.patch(url, json={"title": "x"}, headers=viewer).status_code == 403
    assert client.patch(url, json={"title": "x"}, headers=stranger).status_code == 404
    assert client.delete(url, headers=viewer).status_code == 403
    assert client.delete(url, headers=stranger).status_code == 404
    assert client.get("/api/v1/meetings/987654", headers=crew.headers["owner"]).status_code == 404
    assert (
        client.get("/api/v1/meetings/98765432109876543210", headers=crew.headers["owner"]).status_code == 404
    )
    assert snapshot() == before


# --- agenda --------------------------------------------------------------------------------------


def test_agenda_minutes_default_to_ten(client, crew):
    url = f"/api/v1/meetings/{crew.meeting.id}/agenda"
    response = client.post(url, json={"title": "Risks", "notes": None}, headers=crew.headers["member"])
    assert response.status_code == 201
    assert (response.get_json()["minutes"], response.get_json()["notes"]) == (10, "")


def test_agenda_item_patch_and_delete(client, crew):
    item_url = f"/api/v1/agenda/{crew.item.id}"
    headers = crew.headers["member"]
    sequence = current(client, crew)["sequence"]
    response = client.patch(item_url, json={"minutes": 35, "done": True}, headers=headers)
    assert response.status_code == 200
    item = response.get_json()
    assert (item["title"], item["minutes"], item["done"], item["notes"]) == (
        "Screens list",
        35,
        True,
        "From the RFP",
    )
    after = current(client, crew)
    assert after["agenda_minutes"] == 35 and after["sequence"] == sequence + 1
    assert client.delete(item_url, headers=headers).status_code == 204
    after = current(client, crew)
    assert after["agenda"] == [] and after["agenda_minutes"] == 0
    assert client.patch(item_url, json={"minutes": 5}, headers=headers).status_code == 404


@pytest.mark.parametrize(
    "payload, fields",
    [
        ({"minutes": 10}, {"title"}),
        ({"title": "Risks", "minutes": -5}, {"minutes"}),
        ({"title": "Risks", "minutes": 0}, {"minutes"}),
        ({"title": "Risks", "minutes": "10"}, {"minutes"}),
        ({"title": "Risks", "minutes": 10, "notes": "x" * 4001}, {"notes"}),
        ({"title": {"ja": "リスク"}, "minutes": 10}, {"title"}),
        ({"title": "Risks", "minutes": 10, "position": 1}, {"position"}),
    ],
)
def test_agenda_errors_name_each_field(client, crew, payload, fields):
    before = snapshot()
    response = client.post(
        f"/api/v1/meetings/{crew.meeting.id}/agenda", json=payload, headers=crew.headers["member"]
    )
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == fields
    assert snapshot() == before


def test_agenda_roles_and_patch_errors(client, crew):
    before = snapshot()
    add = f"/api/v1/meetings/{crew.meeting.id}/agenda"
    item_url = f"/api/v1/agenda/{crew.item.id}"
    viewer, stranger, member = crew.headers["viewer"], crew.headers["stranger"], crew.headers["member"]
    assert client.post(add, json={"title": "R", "minutes": 5}, headers=viewer).status_code == 403
    assert client.post(add, json={"title": "R", "minutes": 5}, headers=stranger).status_code == 404
    assert client.patch(item_url, json={"minutes": 5}, headers=viewer).status_code == 403
    assert client.patch(item_url, json={"minutes": 5}, headers=stranger).status_code == 404
    assert client.delete(item_url, headers=viewer).status_code == 403
    assert client.delete(item_url, headers=stranger).status_code == 404
    response = client.patch(item_url, json={"minutes": 9999, "done": "yes"}, headers=member)
    assert response.status_code == 422 and set(response.get_json()["fields"]) == {"done"}
    response = client.patch(item_url, json={"minutes": 9999}, headers=member)
    assert response.status_code == 422 and set(response.get_json()["fields"]) == {"minutes"}
    assert snapshot() == before
