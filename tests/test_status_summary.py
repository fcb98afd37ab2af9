"""A status summary tells this contact what is agreed with them, and nothing of other people's asks."""

from __future__ import annotations

from datetime import timedelta

from planner.extensions import db
from planner.models import utcnow
from planner.operations.commitments import create_commitment
from planner.operations.contacts import create_contact
from planner.operations.requests import apply_decision, status_summary, submit_request
from planner.operations.schedule import add_agenda_item


def test_only_what_is_agreed_with_this_client_and_none_of_another_contacts_asks(scene, make_meeting):
    now = utcnow()
    start = scene.review.starts_at
    other = create_contact(
        scene.engagement, {"name": "鈴木", "email": "suzuki@sakura.example", "language": "ja"}, now=now
    )
    db.session.flush()
    from planner.models import MeetingAttendee

    scene.review.attendees.append(MeetingAttendee(contact_id=other.id))  # 鈴木 attends the review too
    db.session.flush()
    kickoff = make_meeting(
        scene.engagement, title="受入テスト開始判定", kind="acceptance", starts_at=start + timedelta(days=6)
    )
    internal = make_meeting(
        scene.engagement, title="社内見積レビュー", internal=True, starts_at=start + timedelta(days=1)
    )
    tentative = make_meeting(
        scene.engagement, title="仮の打ち合わせ", status="tentative", starts_at=start + timedelta(days=2)
    )
    call = make_meeting(
        scene.engagement, title="電話：帳票", kind="call", starts_at=start + timedelta(days=3)
    )
    # 鈴木's own request lands on the review's agenda, and his promised answer is ours to keep.
    asked = {
        "topic": "請求書レイアウトの画面設計",
        "reasons": ["nuance"],
        "expected_minutes": 10,
        "people": 1,
    }
    theirs, _ = submit_request(
        scene.engagement, asked | {"contact_id": other.id}, received_via="email", now=now, actor=scene.owner
    )
    create_commitment(
        scene.engagement,
        {
            "title": "鈴木様への回答",
            "owed_by": "us",
            "due_at": now + timedelta(days=2),
            "request_id": theirs.id,
            "contact_id": other.id,
        },
        actor=scene.owner,
        now=now,
    )
    create_commitment(
        scene.engagement,
        {
            "title": "テストデータのご提供",
            "owed_by": "client",
            "due_at": now + timedelta(days=3),
            "contact_id": scene.contact.id,
        },
        actor=scene.owner,
        now=now,
    )
    add_agenda_item(kickoff, title="開始判定基準の確認", minutes=15, now=now)
    db.session.commit()
    assert theirs.outcome == "agenda_item" and theirs.meeting_id == scene.review.id
    apply_decision(theirs, actor=scene.owner, now=now)
    db.session.commit()

    summary = status_summary(scene.engagement, now=now, contact=scene.contact)
    titles = [m.title for m in summary.meetings]
    assert "受入テスト開始判定" in titles and "画面設計レビュー" in titles
    assert not {internal.title, tentative.title, call.title} & set(titles)
    assert next(m for m in summary.meetings if m.title == "受入テスト開始判定").milestone
    items = [item for _title, item in summary.open_items]
    assert "開始判定基準の確認" in items and "請求書レイアウトの画面設計" not in items
    promises = [c.title for c in summary.commitments]
    assert "テストデータのご提供" in promises and "鈴木様への回答" not in promises


def test_a_summary_is_not_sent_until_the_consultant_wrote_the_status_line(client, scene, login):
    from planner.models import MeetingRequest
    from planner.replies.status import FILL_IN

    asked = {"topic": "進捗状況", "reasons": ["status_update"], "expected_minutes": 15, "people": 1}
    req, _ = submit_request(
        scene.engagement,
        asked | {"contact_id": scene.contact.id},
        received_via="email",
        now=utcnow(),
        actor=scene.owner,
    )
    assert req.outcome == "email" and FILL_IN["ja"] in req.reply_body
    login(client, scene.owner)
    form = {"reply_subject": req.reply_subject, "reply_body": req.reply_body, "action": "mark_replied"}
    page = client.post(f"/requests/{req.id}/reply", data=form, follow_redirects=True).get_data(as_text=True)
    assert "Write the overall status and key risks first" in page
    assert db.session.get(MeetingRequest, req.id).replied_at is None
    form["reply_body"] = req.reply_body.replace(
        FILL_IN["ja"], "全体として計画どおりです。移行日程が主なリスクです。"
    )
    client.post(f"/requests/{req.id}/reply", data=form)
    assert db.session.get(MeetingRequest, req.id).replied_at is not None
