"""The demo engagement and the commands that load it and reset a password."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from planner.demo import DEMO_EMAIL, SECOND_EMAIL, load_demo
from planner.extensions import db
from planner.models import Contact, Engagement, Meeting, User
from planner.models.commitments import Commitment
from planner.models.requests import MeetingRequest
from planner.purpose import is_vague
from planner.workdays import is_working_day


def run(app, *args):
    result = app.test_cli_runner().invoke(args=["planner", *args])
    assert result.exit_code == 0, result.output
    return result.output


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_demo_loads_a_realistic_engagement_and_prints_the_login_once(app, client):
    output = run(app, "demo", "--if-empty")
    match = re.search(r"Log in at http://127\.0\.0\.1:5000/login as demo@example\.com / (\S+)", output)
    assert match, output
    password = match.group(1)
    assert len(password) >= 12
    user = db.session.scalar(select(User).where(User.email == DEMO_EMAIL))
    assert user.check_password(password) and password not in user.password_hash

    engagement = db.session.scalars(select(Engagement)).one()
    assert (engagement.client_name, engagement.timezone, engagement.country, engagement.language) == (
        "株式会社さくら物流",
        "Asia/Tokyo",
        "JP",
        "ja",
    )
    roles = {m.user.email: m.role for m in engagement.members}
    assert roles == {DEMO_EMAIL: "owner", SECOND_EMAIL: "member"}
    contacts = db.session.scalars(select(Contact)).all()
    assert 3 <= len(contacts) <= 4
    assert all(c.role and c.notes and c.preferred_channel for c in contacts)

    meetings = db.session.scalars(select(Meeting).order_by(Meeting.starts_at)).all()
    kinds = {m.kind for m in meetings}
    assert {"kickoff", "requirements", "design_review", "status", "acceptance"} <= kinds
    assert sum(m.internal for m in meetings) == 1
    for meeting in meetings:
        assert not is_vague(meeting.purpose), meeting.title
        assert meeting.desired_outcome
        assert is_working_day(meeting.local_start.date(), "JP")
        assert meeting.agenda and meeting.agenda_minutes <= meeting.duration_minutes
    assert meetings[0].kind == "kickoff" and meetings[0].status == "held"

    # Requests the client sent, triaged by the policy itself: one already on a status meeting's agenda.
    requests = {r.topic: r for r in db.session.scalars(select(MeetingRequest))}
    assert {r.outcome for r in requests.values()} == {"agenda_item", "call", "email"}
    applied = [r for r in requests.values() if r.status == "applied"]
    assert [r.outcome for r in applied] == ["agenda_item"]
    assert applied[0].meeting.kind == "status"
    assert applied[0].topic in [item.title for item in applied[0].meeting.agenda]
    assert all(r.reply_body for r in requests.values())
    # The site leader takes calls only in the afternoon (the morning is the shipping peak): so is the call.
    site_call = requests["ハンディ端末の新しい操作手順について"]
    assert site_call.outcome == "call"
    assert site_call.proposed_call_at.astimezone(engagement.tz).time() >= site_call.contact.call_from
    # The Hamburg coordinator's call falls in his morning, and the reply gives the time in his zone.
    hamburg_call = requests["Field list for the EU shipping interface"]
    assert hamburg_call.outcome == "call" and hamburg_call.contact.timezone == "Europe/Berlin"
    local = hamburg_call.proposed_call_at.astimezone(ZoneInfo("Europe/Berlin")).time()
    assert time(8) <= local < time(10)
    assert re.search(rf"{local:%H:%M}–\d\d:\d\d CES?T", hamburg_call.reply_body), hamburg_call.reply_body
    commitments = db.session.scalars(select(Commitment)).all()
    assert {c.owed_by for c in commitments} == {"us", "client"}
    assert [c.status for c in commitments].count("done") == 1

    # The demo user logs in with the printed password and sees the plan with its purposes.
    assert client.post("/login", data={"email": DEMO_EMAIL, "password": password}).status_code == 302
    page = client.get(f"/engagements/{engagement.id}").get_data(as_text=True)
    assert "基幹システム刷新プロジェクト" in page and "要件定義ワークショップ" in page
    assert "要件定義書（第1版）の提出" in page  # due next working day: on the watch list
    assert "14:00–17:30" in client.get(f"/requests/{site_call.id}").get_data(as_text=True)

    # The client's schedule page, printed once, opens without a login.
    link = re.search(r"schedule page \(no login\): http://127\.0\.0\.1:5000(/s/\S+)", output)
    assert link, output
    shared = app.test_client().get(link.group(1))
    assert shared.status_code == 200 and "要件定義ワークショップ" in shared.get_data(as_text=True)


def test_if_empty_is_idempotent_and_points_to_the_reset_command(app):
    run(app, "demo", "--if-empty")
    before = (count(Engagement), count(Meeting), count(User))
    output = run(app, "demo", "--if-empty")
    assert (count(Engagement), count(Meeting), count(User)) == before
    assert "reset-password demo@example.com" in output
    assert "/ " not in output  # no password is printed again


def test_demo_without_if_empty_adds_an_engagement_and_keeps_the_password(app):
    first = run(app, "demo")
    output = run(app, "demo", "--url", "http://127.0.0.1:8123/")
    assert count(Engagement) == 2 and count(User) == 2
    assert "http://127.0.0.1:8123/login" in output and "password unchanged" in output
    password = re.search(r"demo@example\.com / (\S+)", first).group(1)
    user = db.session.scalar(select(User).where(User.email == DEMO_EMAIL))
    db.session.refresh(user)
    assert user.check_password(password)


def test_if_empty_leaves_an_existing_installation_alone(app, make_engagement):
    make_engagement()
    output = run(app, "demo", "--if-empty")
    assert count(Engagement) == 1 and "engagements exist already" in output
    assert db.session.scalar(select(User).where(User.email == DEMO_EMAIL)) is None


def test_reset_password_prints_a_new_one(app, make_user):
    user = make_user(email="someone@example.com")
    output = run(app, "reset-password", "Someone@example.com")
    password = re.search(r"New password for someone@example\.com: (\S+)", output).group(1)
    db.session.refresh(user)
    assert user.check_password(password)
    output = run(app, "reset-password", "someone@example.com", "--password", "a long passphrase")
    db.session.refresh(user)
    assert user.check_password("a long passphrase") and "a long passphrase" not in output
    result = app.test_cli_runner().invoke(args=["planner", "reset-password", "nobody@example.com"])
    assert result.exit_code != 0 and "No user" in result.output
    result = app.test_cli_runner().invoke(
        args=["planner", "reset-password", user.email, "--password", "short"]
    )
    assert result.exit_code != 0 and "8 characters" in result.output


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 12, 4, 11, 0, tzinfo=UTC),  # Friday 20:00 in Tokyo
        datetime(2026, 12, 4, 17, 0, tzinfo=UTC),  # Saturday 02:00 in Tokyo
        datetime(2026, 11, 22, 3, 0, tzinfo=UTC),  # Sunday, before the Labour Thanksgiving holiday
        datetime(2026, 11, 24, 0, 30, tzinfo=UTC),  # Tuesday morning
    ],
    ids=["friday-evening", "saturday-night", "holiday-weekend", "tuesday"],
)
def test_the_demo_promise_due_next_working_day_is_at_risk_whatever_the_day(app, now):
    load_demo(now=now)
    db.session.commit()
    statuses = {c.title: c.current_status(now) for c in db.session.scalars(select(Commitment))}
    assert statuses == {
        "要件定義書（第1版）の提出": "at_risk",
        "現行帳票のサンプル一式のご提供": "open",
        "EU向け出荷データ項目の一覧": "open",
        "キックオフ議事録の送付": "done",
    }
