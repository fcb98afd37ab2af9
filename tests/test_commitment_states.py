"""Commitment state changes through the operations, with the engagement's calendar, and page access."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from planner.extensions import db
from planner.models import utcnow
from planner.models.commitments import Commitment
from planner.operations.commitments import (
    attention,
    create_commitment,
    mark_at_risk,
    record_client_told,
    set_status,
    update_commitment,
)

TOKYO = ZoneInfo("Asia/Tokyo")


def test_at_risk_by_time_uses_the_engagement_holidays_and_warning_days(team):
    engagement = team["engagement"]  # Tokyo, JP holidays, warn 2 working days ahead
    due = datetime(2026, 11, 24, 17, 0, tzinfo=TOKYO)  # Tuesday after 勤労感謝の日 (Mon 23 Nov)
    commitment = create_commitment(
        engagement, {"title": "Spec", "due_at": due}, actor=team["owner"], now=utcnow()
    )
    db.session.commit()
    thursday, friday = datetime(2026, 11, 19, 10, tzinfo=TOKYO), datetime(2026, 11, 20, 10, tzinfo=TOKYO)
    assert commitment.current_status(thursday) == "open"
    assert commitment.current_status(friday) == "at_risk"
    assert commitment.current_status(due) == "late"
    engagement.warning_working_days = 3
    assert commitment.current_status(thursday) == "at_risk"
    engagement.country = "US"  # no holiday on the Monday there
    engagement.warning_working_days = 2
    assert commitment.current_status(friday) == "open"


def test_transitions_keep_history(team):
    engagement, owner = team["engagement"], team["owner"]
    now = utcnow()
    c = create_commitment(
        engagement,
        {"title": "Estimate", "due_at": now + timedelta(days=30), "promised_amount": 40.0},
        actor=owner,
        now=now,
    )
    db.session.commit()
    assert c.current_status(now) == "open"
    mark_at_risk(c, reason="Scope grew", revised_due_at=now + timedelta(days=33), actor=owner, now=now)
    assert (c.status, c.marked_at_risk, c.current_status(now)) == ("at_risk", True, "at_risk")
    assert [(a, s) for a, s in attention(engagement, now=now)] == [(c, "at_risk")]
    record_client_told(c, how="phone", actor=owner, now=now)
    assert set_status(c, "done", actor=owner, now=now) is True
    assert set_status(c, "done", actor=owner, now=now) is False  # nothing changed, nothing recorded
    assert c.current_status(now + timedelta(days=60)) == "done"
    set_status(c, "open", actor=owner, now=now)
    assert (c.done_at, c.marked_at_risk) == (None, False)
    assert update_commitment(c, {"title": "Estimate"}, actor=owner, now=now) is False
    update_commitment(c, {"revised_amount": 50.0}, actor=owner, now=now)
    assert c.current_status(now) == "at_risk"  # revised above promised
    db.session.commit()
    kinds = [e.kind for e in db.session.get(Commitment, c.id).events]
    assert kinds == ["edited", "status", "status", "client_told", "status", "edited", "created"]


def test_pages_need_the_right_role_and_bad_input_keeps_what_was_typed(client, login, team):
    engagement, owner = team["engagement"], team["owner"]
    c = create_commitment(
        engagement, {"title": "Spec", "due_at": utcnow() + timedelta(days=9)}, actor=owner, now=utcnow()
    )
    db.session.commit()
    login(client, team["viewer"])
    assert client.get(f"/commitments/{c.id}").status_code == 200
    assert client.get(f"/engagements/{engagement.id}/commitments/new").status_code == 403
    assert client.post(f"/commitments/{c.id}/status", data={"status": "done"}).status_code == 403
    assert client.get(f"/commitments/{c.id}/note").status_code == 403
    client.post("/logout")
    login(client, team["outsider"])
    for url in (
        f"/commitments/{c.id}",
        f"/engagements/{engagement.id}/commitments",
        f"/commitments/{c.id}/edit",
    ):
        assert client.get(url).status_code == 404
    client.post("/logout")
    login(client, team["member"])
    response = client.post(
        f"/engagements/{engagement.id}/commitments/new",
        data={
            "title": "ご依頼の見積書",
            "details": "Two options",
            "owed_by": "us",
            "due_at": "",
            "contact_id": "9999",
        },
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "ご依頼の見積書" in page and "Two options" in page
    assert "A commitment needs a due date and time." in page
    assert db.session.scalar(db.select(db.func.count(Commitment.id))) == 1


def test_from_a_request_and_a_revised_estimate_note_in_english(client, login, team):
    engagement, owner = team["engagement"], team["owner"]
    from planner.operations.contacts import create_contact
    from planner.operations.requests import receive_request

    hans = create_contact(
        engagement, {"name": "Hans Weber", "language": "en", "email": "hans@example.de"}, now=utcnow()
    )
    db.session.commit()
    asked = receive_request(
        engagement, {"topic": "Phase 2 cost", "contact_id": hans.id}, received_via="email", now=utcnow()
    )
    login(client, owner)
    due = (utcnow() + timedelta(days=20)).astimezone(engagement.tz).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/engagements/{engagement.id}/commitments/new?request_id={asked.id}",
        data={
            "title": "Phase 2 estimate",
            "owed_by": "us",
            "contact_id": str(hans.id),
            "due_at": due,
            "promised_amount": "40",
            "revised_amount": "52",
            "amount_unit": "h",
            "reason": "The interface count doubled.",
        },
    )
    assert response.status_code == 302
    c = db.session.scalar(db.select(Commitment).where(Commitment.title == "Phase 2 estimate"))
    assert c.request_id == asked.id and c.current_status(utcnow()) == "at_risk"
    note = client.get(f"/commitments/{c.id}/note").get_data(as_text=True)
    assert "Revised estimate for &#34;Phase 2 estimate&#34;: 52 h instead of 40 h" in note
    assert "Dear Hans Weber," in note and "Why: The interface count doubled." in note
    assert "mailto:hans%40example.de?subject=" in note
    shown = client.get(f"/commitments/{c.id}").get_data(as_text=True)
    assert "estimate raised from 40 h to 52 h (+12 h, +30%): tell the client now." in shown
