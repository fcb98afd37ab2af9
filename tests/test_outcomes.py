"""After the meeting: the outcome record, action items as commitments, and carrying undone items forward."""

from __future__ import annotations

from datetime import timedelta

from planner.extensions import db
from planner.models import Meeting, utcnow
from planner.models.commitments import Commitment, MeetingOutcome
from planner.operations.schedule import add_agenda_item, update_agenda_item


def two_status_meetings(engagement, make_meeting):
    past = make_meeting(
        engagement, title="Status 1", kind="status", starts_at=utcnow() - timedelta(days=2, hours=1)
    )
    future = make_meeting(engagement, title="Status 2", kind="status", starts_at=utcnow() + timedelta(days=5))
    other_kind = make_meeting(
        engagement, title="Design", kind="design_review", starts_at=utcnow() + timedelta(days=1)
    )
    now = utcnow()
    done = add_agenda_item(past, title="Progress report", minutes=10, now=now)
    add_agenda_item(past, title="Open issues", minutes=20, notes="three left", now=now)
    add_agenda_item(past, title="Test schedule", minutes=15, now=now)
    update_agenda_item(done, {"done": True}, now=now)
    add_agenda_item(future, title="test schedule ", minutes=15, now=now)  # already there, in other case
    db.session.commit()
    return past, future, other_kind


def local(dt, engagement) -> str:
    return dt.astimezone(engagement.tz).strftime("%Y-%m-%dT%H:%M")


def test_outcome_record_action_items_and_carry_forward(client, login, team, make_meeting):
    engagement = team["engagement"]
    past, future, other_kind = two_status_meetings(engagement, make_meeting)
    login(client, team["member"])

    assert 'id="outcome"' in client.get(f"/meetings/{past.id}").get_data(as_text=True)
    assert 'id="outcome"' not in client.get(f"/meetings/{future.id}").get_data(as_text=True)
    early = client.post(f"/meetings/{future.id}/outcome", data={"reached": "yes"})
    assert early.status_code == 302 and db.session.get(MeetingOutcome, future.id) is None

    # "Partly" needs a line why; nothing is saved without it.
    response = client.post(
        f"/meetings/{past.id}/outcome",
        data={
            "reached": "partly",
            "why": " ",
            "decisions": "決定事項をここに書いた",
            "actions-0-title": "No date",
        },
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "決定事項をここに書いた" in page  # what was typed is shown again
    assert "Say in one line why it was not fully reached." in page
    assert "An action item needs a due date and time." in page
    assert db.session.get(MeetingOutcome, past.id) is None

    sequence = past.sequence
    due = utcnow() + timedelta(days=7)
    response = client.post(
        f"/meetings/{past.id}/outcome",
        data={
            "reached": "partly",
            "why": "予算の承認が次回に持ち越し",
            "decisions": "Phase 1 scope is fixed.",
            "actions-0-title": "Send the revised estimate",
            "actions-0-owed_by": "us",
            "actions-0-due_at": local(due, engagement),
            "actions-1-title": "Provide test data",
            "actions-1-owed_by": "client",
            "actions-1-due_at": local(due, engagement),
            "actions-2-title": "",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/meetings/{past.id}/carry-forward")
    db.session.expire_all()
    outcome = db.session.get(MeetingOutcome, past.id)
    assert (outcome.reached, outcome.why, outcome.decisions) == (
        "partly",
        "予算の承認が次回に持ち越し",
        "Phase 1 scope is fixed.",
    )
    assert outcome.recorded_by_id == team["member"].id
    past = db.session.get(Meeting, past.id)
    assert past.status == "held" and past.sequence == sequence + 1
    actions = db.session.scalars(
        db.select(Commitment).where(Commitment.meeting_id == past.id).order_by(Commitment.id)
    ).all()
    assert [(c.title, c.owed_by) for c in actions] == [
        ("Send the revised estimate", "us"),
        ("Provide test data", "client"),
    ]

    # The confirmation lists only undone items not already on the next meeting of the same kind.
    page = client.get(f"/meetings/{past.id}/carry-forward").get_data(as_text=True)
    assert "Open issues" in page and "Status 2" in page
    assert "Progress report" not in page and "Test schedule" not in page
    open_issues = next(i for i in past.agenda if i.title == "Open issues")
    future_sequence = future.sequence
    response = client.post(f"/meetings/{past.id}/carry-forward", data={"items": [str(open_issues.id)]})
    assert response.status_code == 302
    db.session.expire_all()
    future = db.session.get(Meeting, future.id)
    assert [i.title for i in future.agenda] == ["test schedule ", "Open issues"]
    assert future.agenda[-1].notes == "three left" and future.agenda[-1].minutes == 20
    assert future.sequence == future_sequence + 1
    assert db.session.get(Meeting, other_kind.id).agenda == []
    # Carrying again copies nothing twice.
    client.post(f"/meetings/{past.id}/carry-forward", data={"items": [str(open_issues.id)]})
    db.session.expire_all()
    assert len(db.session.get(Meeting, future.id).agenda) == 2

    share = client.get(f"/engagements/{engagement.id}").get_data(as_text=True)
    assert "0 of 1 held meetings reached their desired outcome (1 partly)." in share


def test_outcome_share_counts_reached(client, login, team, make_meeting):
    engagement = team["engagement"]
    login(client, team["owner"])
    for n, reached in enumerate(["yes", "yes", "no"]):
        meeting = make_meeting(engagement, title=f"M{n}", starts_at=utcnow() - timedelta(days=n + 1))
        data = {"reached": reached, "why": "" if reached == "yes" else "Wrong people in the room"}
        assert client.post(f"/meetings/{meeting.id}/outcome", data=data).status_code == 302
    make_meeting(engagement, title="Held, not recorded", starts_at=utcnow() - timedelta(days=9))
    page = client.get(f"/engagements/{engagement.id}").get_data(as_text=True)
    assert "2 of 3 held meetings reached their desired outcome (0 partly)." in page
    assert "1 held meeting has no outcome recorded yet." in page


def test_viewer_cannot_record_and_stranger_sees_nothing(client, login, team, make_meeting):
    meeting = make_meeting(team["engagement"], starts_at=utcnow() - timedelta(hours=3))
    login(client, team["viewer"])
    assert client.post(f"/meetings/{meeting.id}/outcome", data={"reached": "yes"}).status_code == 403
    client.post("/logout")
    login(client, team["outsider"])
    assert client.post(f"/meetings/{meeting.id}/outcome", data={"reached": "yes"}).status_code == 404
    assert client.get(f"/meetings/{meeting.id}/brief").status_code == 404
    assert client.get(f"/meetings/{meeting.id}/carry-forward").status_code == 404


def test_carry_forward_without_a_next_meeting_says_so(client, login, team, make_meeting):
    meeting = make_meeting(team["engagement"], kind="acceptance", starts_at=utcnow() - timedelta(hours=2))
    add_agenda_item(meeting, title="Sign-off", minutes=10, now=utcnow())
    db.session.commit()
    login(client, team["member"])
    page = client.get(f"/meetings/{meeting.id}/carry-forward").get_data(as_text=True)
    assert "There is no later meeting of the same kind" in page
    response = client.post(f"/meetings/{meeting.id}/outcome", data={"reached": "yes"})
    assert response.headers["Location"].endswith(f"/meetings/{meeting.id}#outcome")


def test_correcting_an_outcome_keeps_the_earlier_version(client, login, team, make_meeting):
    meeting = make_meeting(team["engagement"], starts_at=utcnow() - timedelta(hours=2))
    login(client, team["member"])
    client.post(
        f"/meetings/{meeting.id}/outcome",
        data={"reached": "no", "why": "決裁者が欠席", "decisions": "再設定"},
    )
    client.post(
        f"/meetings/{meeting.id}/outcome", data={"reached": "partly", "why": "Half the screens agreed"}
    )
    db.session.expire_all()
    outcome = db.session.get(MeetingOutcome, meeting.id)
    assert (outcome.reached, outcome.why, outcome.decisions) == ("partly", "Half the screens agreed", "")
    assert [(v["reached"], v["why"], v["decisions"]) for v in outcome.previous] == [
        ("no", "決裁者が欠席", "再設定")
    ]
    assert "決裁者が欠席" in client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
