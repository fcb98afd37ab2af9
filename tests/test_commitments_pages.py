"""Commitment pages: create, edit with history, status, the drafted note and the engagement panel."""

from __future__ import annotations

from datetime import timedelta

from planner.extensions import db
from planner.models import utcnow
from planner.models.commitments import Commitment


def local(dt, engagement) -> str:
    return dt.astimezone(engagement.tz).strftime("%Y-%m-%dT%H:%M")


def test_create_edit_keeps_history_and_shows_on_engagement_page(client, login, team):
    engagement, owner, contact = team["engagement"], team["owner"], team["contact"]
    login(client, owner)
    due = utcnow() + timedelta(days=30)
    response = client.post(
        f"/engagements/{engagement.id}/commitments/new",
        data={
            "title": "Basic design document",
            "owed_by": "us",
            "owner_user_id": str(owner.id),
            "contact_id": str(contact.id),
            "due_at": local(due, engagement),
        },
    )
    assert response.status_code == 302, response.data[:2000]
    commitment = db.session.scalar(db.select(Commitment))
    assert commitment.title == "Basic design document"
    assert commitment.current_status(utcnow()) == "open"

    new_due = due + timedelta(days=3)
    response = client.post(
        f"/commitments/{commitment.id}/edit",
        data={
            "title": "Basic design document v1",
            "owed_by": "us",
            "owner_user_id": str(owner.id),
            "contact_id": str(contact.id),
            "due_at": local(due, engagement),
            "revised_due_at": local(new_due, engagement),
            "reason": "外部APIの仕様確認に時間を要しているため。",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    commitment = db.session.get(Commitment, commitment.id)
    assert commitment.current_status(utcnow()) == "at_risk"
    kinds = [e.kind for e in commitment.events]
    assert kinds == ["edited", "created"]
    edited = commitment.events[0]
    assert edited.before["title"] == "Basic design document"
    assert edited.after["title"] == "Basic design document v1"
    assert edited.before["reason"] == ""

    page = client.get(f"/commitments/{commitment.id}").get_data(as_text=True)
    assert "Basic design document v1" in page and "Basic design document" in page

    engagement_page = client.get(f"/engagements/{engagement.id}").get_data(as_text=True)
    assert 'id="attention"' in engagement_page
    assert "Basic design document v1" in engagement_page
    assert f"/commitments/{commitment.id}/note" in engagement_page

    note = client.get(f"/commitments/{commitment.id}/note").get_data(as_text=True)
    assert "【ご報告とお詫び】「Basic design document v1」の期日について" in note
    assert "佐藤 由美様" in note
    assert "mailto:sato%40example.jp?subject=" in note

    assert client.post(f"/commitments/{commitment.id}/told", data={"how": "電話"}).status_code == 302
    db.session.expire_all()
    commitment = db.session.get(Commitment, commitment.id)
    assert commitment.client_told_at is not None
    assert commitment.events[0].kind == "client_told"

    assert client.post(f"/commitments/{commitment.id}/status", data={"status": "done"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Commitment, commitment.id).current_status(utcnow()) == "done"
    assert "Basic design document v1" not in client.get(f"/engagements/{engagement.id}/commitments").get_data(
        as_text=True
    )
    everything = client.get(f"/engagements/{engagement.id}/commitments?all=1").get_data(as_text=True)
    assert "Basic design document v1" in everything
