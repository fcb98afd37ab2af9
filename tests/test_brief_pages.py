"""The pre-meeting brief on the meeting page and its printable version, from real data."""

from __future__ import annotations

from datetime import date, timedelta

from planner.extensions import db
from planner.models import utcnow
from planner.operations.commitments import create_commitment
from planner.operations.contacts import add_note


def test_brief_panel_and_printable_page(client, login, team, make_meeting):
    engagement, owner, contact = team["engagement"], team["owner"], team["contact"]
    meeting = make_meeting(
        engagement,
        title="基本設計レビュー",
        contact_ids=[contact.id],
        user_ids=[owner.id],
        starts_at=utcnow() + timedelta(days=3),
    )
    now = utcnow()
    add_note(contact, body="予算は3月に見直し", noted_on=date(2026, 10, 1), author=owner, now=now)
    add_note(
        contact,
        body="午前中の電話を好む",
        noted_on=date(2026, 11, 20),
        meeting=meeting,
        author=owner,
        now=now,
    )
    data = {"contact_id": contact.id, "owner_user_id": owner.id}
    create_commitment(
        engagement,
        data | {"title": "Client test data", "owed_by": "client", "due_at": now - timedelta(days=1)},
        actor=owner,
        now=now,
    )
    create_commitment(
        engagement,
        data | {"title": "Screen mockups", "owed_by": "us", "due_at": now + timedelta(days=20)},
        actor=owner,
        now=now,
    )
    create_commitment(
        engagement,
        data | {"title": "API answer", "owed_by": "us", "due_at": now - timedelta(hours=1)},
        actor=owner,
        now=now,
    )
    db.session.commit()
    login(client, team["viewer"])

    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert 'id="brief"' in page
    assert f"/meetings/{meeting.id}/brief" in page

    sheet = client.get(f"/meetings/{meeting.id}/brief").get_data(as_text=True)
    assert "Agree the scope of the order-entry screens" in sheet  # purpose
    assert "A signed-off list of screens" in sheet  # desired outcome
    assert "情報システム部長" in sheet and "Prefers Phone" in sheet and "Read by: A committee" in sheet
    assert sheet.index("午前中の電話を好む") < sheet.index("予算は3月に見直し")  # newest note first
    # Ours first, late first; then the client's.
    assert sheet.index("API answer") < sheet.index("Screen mockups") < sheet.index("Client test data")
    assert "brief-page" in sheet  # the print stylesheet keys off this class
