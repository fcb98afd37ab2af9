"""The morning digest through a real local SMTP server, in each member's language."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, date, datetime, time, timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from aiosmtpd.controller import Controller

from planner.extensions import db
from planner.models import utcnow
from planner.operations.commitments import create_commitment
from planner.operations.contacts import add_note
from planner.operations.digest import send_digests


class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=default)
        self.messages.append((envelope.rcpt_tos, message["Subject"], message.get_body().get_content()))
        return "250 OK"

    def to(self, address: str):
        return next((m for m in self.messages if address in m[0]), None)


@pytest.fixture
def smtp():
    """An SMTP server on a free loopback port; yields (url, inbox) and stops it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", inbox
    finally:
        controller.stop()
        loop = getattr(controller, "loop", None)
        if isinstance(loop, asyncio.AbstractEventLoop) and not loop.is_closed():
            loop.close()


def today_in(engagement, hour: int) -> datetime:
    local_day = utcnow().astimezone(engagement.tz).date()
    return datetime.combine(local_day, time(hour), tzinfo=engagement.tz).astimezone(UTC)


@pytest.fixture
def morning(team, make_meeting):
    """Today's design review with the client contact, a note about them, and a late commitment of ours."""
    engagement, owner, contact = team["engagement"], team["owner"], team["contact"]
    owner.locale = "ja"
    meeting = make_meeting(
        engagement,
        title="基本設計レビュー",
        purpose="画面遷移を確定する",
        desired_outcome="画面遷移図の承認",
        starts_at=today_in(engagement, 14),
        contact_ids=[contact.id],
    )
    make_meeting(
        engagement, title="Tomorrow's meeting", starts_at=today_in(engagement, 14) + timedelta(days=1)
    )
    now = utcnow()
    add_note(contact, body="役員会は月末に開催", noted_on=date(2026, 11, 2), author=owner, now=now)
    create_commitment(
        engagement,
        {
            "title": "画面モック",
            "owed_by": "us",
            "owner_user_id": owner.id,
            "contact_id": contact.id,
            "due_at": now - timedelta(days=1),
        },
        actor=owner,
        now=now,
    )
    db.session.commit()
    return meeting


def test_digest_mails_each_member_in_their_language(app, smtp, team, morning):
    url, inbox = smtp
    result = send_digests(
        {"SMTP_URL": url, "MAIL_FROM": "planner@example.com", "PUBLIC_URL": "https://planner.example"},
        now=utcnow(),
    )
    assert sorted(result.sent) == ["member@example.com", "owner@example.com"] and result.failed == []
    assert inbox.to("viewer@example.com") is None and inbox.to("outsider@example.com") is None

    _, subject, body = inbox.to("owner@example.com")
    assert subject.startswith("本日の会議 1件 — ")
    assert body.startswith("田中 健さん")
    assert "【遅延・遅延リスクのある約束】" in body
    assert "- [遅延] 画面モック" in body and "(お客様へ未連絡)" in body
    assert (
        "基本設計レビュー" in body
        and "目的: 画面遷移を確定する" in body
        and "期待する成果: 画面遷移図の承認" in body
    )
    assert "佐藤 由美 (情報システム部長, さくら商事, 希望の連絡手段: 電話, 読み手: 委員会で読む)" in body
    assert "役員会は月末に開催" in body
    assert f"https://planner.example/meetings/{morning.id}/brief" in body
    assert "Tomorrow's meeting" not in body
    assert body.index("【遅延・遅延リスクのある約束】") < body.index("【本日の会議】")

    _, subject, body = inbox.to("member@example.com")
    assert subject.startswith("Today: 1 meeting(s) — ")
    assert body.startswith("Good morning Mia Member,")
    assert "- [LATE] 画面モック" in body and "Purpose: 画面遷移を確定する" in body


def test_digest_command_sends_through_smtp(app, smtp, team, morning):
    url, inbox = smtp
    app.config["SMTP_URL"] = url
    result = app.test_cli_runner().invoke(args=["planner", "digest"])
    assert result.exit_code == 0, result.output
    assert "Digest sent to 2 member(s); 0 failed." in result.output
    assert len(inbox.messages) == 2


def test_digest_command_without_smtp_says_so(app, team, morning):
    app.config["SMTP_URL"] = None
    result = app.test_cli_runner().invoke(args=["planner", "digest"])
    assert result.exit_code != 0 and "PLANNER_SMTP_URL" in result.output
    dry = app.test_cli_runner().invoke(args=["planner", "digest", "--dry-run"])
    assert dry.exit_code == 0 and "To: owner@example.com" in dry.output


def test_a_refusing_server_is_reported_not_raised(app, team, morning):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket is closed
    result = send_digests({"SMTP_URL": f"smtp://user:secret@127.0.0.1:{port}"}, now=utcnow())
    assert sorted(result.failed) == ["member@example.com", "owner@example.com"] and result.sent == []


def test_requests_waiting_for_an_answer_are_in_the_digest_until_answered(app, smtp, team):
    from planner.operations.requests import mark_replied, receive_request

    url, inbox = smtp
    engagement, owner = team["engagement"], team["owner"]
    data = {"topic": "帳票レイアウトの相談", "reasons": ["nuance"], "requester_name": "山田 花子"}
    req = receive_request(
        engagement, data | {"expected_minutes": 15, "people": 2}, received_via="phone", now=utcnow()
    )
    db.session.commit()
    config = {"SMTP_URL": url, "PUBLIC_URL": "https://planner.example"}
    result = send_digests(config, now=utcnow())
    assert sorted(result.sent) == ["member@example.com", "owner@example.com"]
    _, subject, body = inbox.to("member@example.com")
    assert subject.startswith("Requests waiting for an answer — ")
    assert "- 帳票レイアウトの相談 — 山田 花子 · received " in body
    assert f"https://planner.example/requests/{req.id}" in body
    mark_replied(req, actor=owner, now=utcnow(), how="by phone")
    db.session.commit()
    assert send_digests(config, now=utcnow()).sent == []
