"""The requests API end to end: submit, triage, apply, read back with history, and errors naming fields."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from planner.extensions import db
from planner.models import AgendaItem, Meeting, MeetingRequest

URL = "/api/v1/engagements/{}/requests"


def body(**overrides) -> dict:
    data = {
        "topic": "ログイン画面のエラーメッセージ",
        "details": "文言の相談",
        "reasons": ["nuance"],
        "expected_minutes": 15,
        "people": 2,
    }
    data.update(overrides)
    return data


def test_post_triages_applies_and_get_shows_history(client, scene, api_headers):
    headers = api_headers(scene.owner)
    response = client.post(
        URL.format(scene.engagement.id), json=body(contact_id=scene.contact.id), headers=headers
    )
    assert response.status_code == 201, response.json
    data = response.json
    assert (data["outcome"], data["rule"], data["meeting_id"]) == ("agenda_item", "R6", scene.review.id)
    assert data["status"] == "applied" and data["proposed_call_at"] is None
    assert "画面設計レビュー" in data["reasons_text"]
    assert data["reply"]["language"] == "ja" and data["reply"]["body"].split("\n\n")[0].endswith("山田 様")
    item = db.session.scalar(select(AgendaItem).where(AgendaItem.id == data["agenda_item_id"]))
    assert (item.meeting_id, item.title, item.minutes) == (
        scene.review.id,
        "ログイン画面のエラーメッセージ",
        15,
    )

    got = client.get(f"/api/v1/requests/{data['id']}", headers=headers)
    assert got.status_code == 200
    assert [h["kind"] for h in got.json["history"]] == ["received", "triaged", "applied"]
    assert got.json["history"][0]["actor"] == scene.owner.email
    assert {k: got.json[k] for k in ("id", "outcome", "rule", "meeting_id")} == {
        k: data[k] for k in ("id", "outcome", "rule", "meeting_id")
    }


def test_apply_false_only_triages(client, scene, api_headers):
    response = client.post(
        URL.format(scene.engagement.id), json=body(apply=False), headers=api_headers(scene.owner)
    )
    assert response.status_code == 201
    assert (response.json["status"], response.json["agenda_item_id"]) == ("triaged", None)
    db.session.expire_all()
    assert len(db.session.get(Meeting, scene.review.id).agenda) == 1


def test_a_call_offers_times_and_is_made_when_one_is_booked(client, scene, api_headers):
    urgent = body(topic="請求書の宛名", reasons="deadline_pressure,other", expected_minutes=10)
    urgent["needed_by"] = (
        scene.review.starts_at.replace(microsecond=0)
    ).isoformat()  # before the review starts
    headers = api_headers(scene.owner)
    response = client.post(URL.format(scene.engagement.id), json=urgent, headers=headers)
    data = response.json
    assert response.status_code == 201 and data["outcome"] == "call" and data["format"] == "phone"
    assert data["status"] == "applied" and data["meeting_id"] is None  # nothing scheduled before they agree
    assert 2 <= len(data["proposed_slots"]) <= 3
    assert data["proposed_call_at"] == data["proposed_slots"][0]["starts_at"]
    assert all(slot["starts_at"].endswith("+09:00") for slot in data["proposed_slots"])
    assert (
        data["booking_url"].startswith("http://localhost/book/")
        and data["booking_url"] in data["reply"]["body"]
    )
    assert "お電話" in data["reply"]["body"]
    url = f"/api/v1/requests/{data['id']}/booking"
    never = client.post(url, json={"starts_at": "2030-01-01T10:00:00+09:00"}, headers=headers)
    assert never.status_code == 422
    second = data["proposed_slots"][1]
    booked = client.post(url, json={"starts_at": second["starts_at"]}, headers=headers)
    assert booked.status_code == 201, booked.json
    call = db.session.get(Meeting, booked.json["meeting_id"])
    assert (call.kind, call.status, call.duration_minutes) == ("call", "confirmed", 10)
    assert call.starts_at == datetime.fromisoformat(second["starts_at"])
    assert {a.contact_id for a in call.attendees if a.contact_id} == set()  # no contact: only the member
    again = client.get(f"/api/v1/requests/{data['id']}", headers=headers).json
    assert again["meeting_id"] == call.id and again["booking_url"] is None
    assert again["history"][-1]["kind"] == "booked"


def test_status_only_is_answered_by_mail_with_a_summary(client, scene, api_headers):
    response = client.post(
        URL.format(scene.engagement.id),
        json=body(reasons=["status_update"]),
        headers=api_headers(scene.owner),
    )
    data = response.json
    assert (data["rule"], data["outcome"], data["meeting_id"]) == ("R2", "email", None)
    assert "画面設計レビュー" in data["reply"]["body"] and data["minutes_saved"] == 60


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        (body(topic=""), {"topic"}),
        (body(reasons=["bored"]), {"reasons"}),
        (body(reasons=[]), {"reasons"}),
        (body(expected_minutes=0, people=0), {"expected_minutes", "people"}),
        (body(expected_minutes="soon"), {"expected_minutes"}),
        (body(needed_by="tomorrow"), {"needed_by"}),
        (body(needed_by="2020-01-01T10:00:00+09:00"), {"needed_by"}),
        (body(preferred_format="pigeon"), {"preferred_format"}),
        (body(received_via="telepathy"), {"received_via"}),
        (body(requester_email="nope"), {"requester_email"}),
        (body(apply="yes"), {"apply"}),
        (body(contact_id=99999), {"contact_id"}),
    ],
)
def test_invalid_bodies_get_422_naming_the_fields(client, scene, api_headers, payload, fields):
    response = client.post(URL.format(scene.engagement.id), json=payload, headers=api_headers(scene.owner))
    assert response.status_code == 422
    assert set(response.json["fields"]) == fields
    assert db.session.scalar(select(MeetingRequest.id)) is None


def test_access_rules(client, scene, api_headers, make_user, make_engagement):
    from planner.operations.people import add_member

    url = URL.format(scene.engagement.id)
    assert client.post(url, json=body()).status_code == 401
    stranger = make_user()
    assert client.post(url, json=body(), headers=api_headers(stranger)).status_code == 404
    viewer = make_user()
    add_member(scene.engagement, viewer, "viewer")
    db.session.commit()
    assert client.post(url, json=body(), headers=api_headers(viewer)).status_code == 403
    created = client.post(url, json=body(), headers=api_headers(scene.owner)).json
    assert client.get(f"/api/v1/requests/{created['id']}", headers=api_headers(viewer)).status_code == 200
    assert client.get(f"/api/v1/requests/{created['id']}", headers=api_headers(stranger)).status_code == 404
    assert client.get("/api/v1/requests/424242", headers=api_headers(scene.owner)).status_code == 404
    # A contact of another engagement is not accepted.
    other = make_engagement(owner=scene.owner)
    from planner.models import utcnow
    from planner.operations.contacts import create_contact

    foreign = create_contact(other, {"name": "Other"}, now=utcnow())
    db.session.commit()
    response = client.post(url, json=body(contact_id=foreign.id), headers=api_headers(scene.owner))
    assert response.status_code == 422 and "contact_id" in response.json["fields"]


def test_a_policy_fault_still_answers_201_and_keeps_the_request(client, scene, api_headers):
    scene.engagement.urgent_hours = -5
    db.session.commit()
    response = client.post(URL.format(scene.engagement.id), json=body(), headers=api_headers(scene.owner))
    assert response.status_code == 201
    assert (response.json["status"], response.json["outcome"], response.json["reply"]) == (
        "failed_triage",
        None,
        None,
    )
    got = client.get(f"/api/v1/requests/{response.json['id']}", headers=api_headers(scene.owner)).json
    assert [h["kind"] for h in got["history"]] == ["received", "error"]


def test_body_must_be_a_json_object(client, scene, api_headers):
    response = client.post(URL.format(scene.engagement.id), data="topic=x", headers=api_headers(scene.owner))
    assert response.status_code == 400


def test_openapi_describes_both_routes(client, scene, api_headers):
    spec = client.get("/api/v1/openapi.json", headers=api_headers(scene.owner)).json
    assert "post" in spec["paths"]["/engagements/{engagement_id}/requests"]
    assert "get" in spec["paths"]["/requests/{request_id}"]


def test_status_summary_lists_open_commitments_on_both_sides(client, scene, api_headers):
    from datetime import timedelta

    from planner.models import utcnow
    from planner.operations.commitments import create_commitment, set_status

    now = utcnow()
    create_commitment(
        scene.engagement,
        {"title": "見積書の送付", "owed_by": "us", "due_at": now + timedelta(days=3)},
        actor=None,
        now=now,
    )
    create_commitment(
        scene.engagement, {"title": "テストデータのご提供", "owed_by": "client"}, actor=None, now=now
    )
    done = create_commitment(
        scene.engagement, {"title": "議事録の共有", "owed_by": "us"}, actor=None, now=now
    )
    set_status(done, "done", actor=None, now=now)
    db.session.commit()
    response = client.post(
        URL.format(scene.engagement.id),
        json=body(reasons=["status_update"], contact_id=scene.contact.id),
        headers=api_headers(scene.owner),
    )
    reply = response.json["reply"]["body"]
    assert "■対応中の事項" in reply
    assert "・見積書の送付（弊社、期限：" in reply and "・テストデータのご提供（貴社）" in reply
    assert "議事録の共有" not in reply


def test_an_answer_promised_by_mail_becomes_our_commitment(client, scene, api_headers, login):
    from planner.models import Commitment
    from planner.workdays import next_working_day

    headers = api_headers(scene.owner)
    # A topic no planned meeting is about, and "other" alone lets the contact's channel (mail) decide.
    ask = body(topic="請求書の送付先", reasons=["other"], expected_minutes=20, contact_id=scene.contact.id)
    data = client.post(URL.format(scene.engagement.id), json=ask, headers=headers).json
    assert (data["rule"], data["outcome"], data["status"]) == ("R10", "email", "applied")
    promised = db.session.scalars(select(Commitment).where(Commitment.request_id == data["id"])).one()
    tokyo = scene.engagement.tz
    answer_day = next_working_day(datetime.now(tokyo).date(), "JP")
    assert (promised.owed_by, promised.status, promised.contact_id) == ("us", "open", scene.contact.id)
    assert promised.title == "メールで回答：請求書の送付先"
    assert promised.due_at.astimezone(tokyo).replace(tzinfo=None) == datetime.combine(
        answer_day, datetime.min.time().replace(hour=18)
    )
    assert promised.owner_user_id == scene.owner.id
    # The reply promised that very day.
    assert f"{answer_day.month}月{answer_day.day}日" in data["reply"]["body"]
    history = client.get(f"/api/v1/requests/{data['id']}", headers=headers).json["history"]
    assert history[-1]["detail"] == "answer by mail, tracked as our commitment"
    scene.owner.locale = "ja"
    db.session.commit()
    login(client, scene.owner)
    page = client.get(f"/requests/{data['id']}").get_data(as_text=True)
    assert "メールで回答（当社の約束事項に登録）" in page  # the history, in the reader's language
    assert f'href="/commitments/{promised.id}">メールで回答：請求書の送付先</a>' in page

    # A status summary is the answer itself: nothing more is owed.
    status = client.post(
        URL.format(scene.engagement.id), json=body(reasons=["status_update"]), headers=headers
    )
    assert status.json["outcome"] == "email"
    assert (
        db.session.scalars(select(Commitment).where(Commitment.request_id == status.json["id"])).all() == []
    )
    # ... and it lists the promised answer among what is open on our side.
    assert "・メールで回答：請求書の送付先（弊社、期限：" in status.json["reply"]["body"]


def test_a_status_summary_leaves_out_the_series_routine(app, scene, make_meeting):
    from datetime import timedelta

    from planner.models import utcnow
    from planner.operations.requests import status_summary
    from planner.operations.schedule import add_agenda_item

    now = utcnow()
    start = scene.review.starts_at
    weekly = [
        make_meeting(scene.engagement, title=f"定例 第{n}回", starts_at=start + timedelta(days=n))
        for n in (1, 2)
    ]
    for meeting in weekly:
        add_agenda_item(meeting, title="進捗報告", minutes=10, now=now)
    add_agenda_item(weekly[1], title="帳票レイアウトの確認", minutes=15, now=now)
    db.session.commit()
    items = status_summary(scene.engagement, now=now).open_items
    assert ("定例 第2回", "帳票レイアウトの確認") in items and ("画面設計レビュー", "前回の指摘事項") in items
    assert not any(item == "進捗報告" for _title, item in items)
