"""Fixtures for the request tests: an engagement with a design review, a contact, a client link, SMTP."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from datetime import time, timedelta

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from planner.extensions import db
from planner.models import utcnow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Scene:
    owner: object
    engagement: object
    review: object
    contact: object
    token: str
    feed: object


@pytest.fixture(scope="session")
def owner_password_hash() -> str:
    from conftest import PASSWORD, quick_password_hash

    return quick_password_hash(PASSWORD)


@pytest.fixture
def scene(app, owner_password_hash, make_engagement, make_meeting) -> Scene:
    """A Tokyo engagement with a design review in three working days (45 free minutes) and a client link."""
    from planner.models import User
    from planner.operations.contacts import create_contact
    from planner.operations.feeds import create_feed

    # The password hash is computed once per session, and cheap to check at login (see conftest.make_user).
    owner = User(email="sato@example.com", name="佐藤", password_hash=owner_password_hash)
    db.session.add(owner)
    engagement = make_engagement(owner=owner, language="ja", country="JP")
    review = make_meeting(
        engagement,
        title="画面設計レビュー",
        purpose="ログイン画面の設計を確定する",
        kind="design_review",
        starts_at=_working_day_at(engagement, 3, 10),
        duration_minutes=60,
    )
    from planner.operations.schedule import add_agenda_item

    add_agenda_item(review, title="前回の指摘事項", minutes=15, now=utcnow())
    contact = create_contact(
        engagement,
        {"name": "山田", "email": "yamada@sakura.example", "language": "ja", "preferred_channel": "email"},
        now=utcnow(),
    )
    db.session.flush()
    from planner.models import MeetingAttendee

    review.attendees.append(MeetingAttendee(contact_id=contact.id))  # 山田 takes part in the review
    feed, token = create_feed(
        engagement, label="Client", audience="client", contact=contact, user=owner, now=utcnow()
    )
    db.session.commit()
    return Scene(owner, engagement, review, contact, token, feed)


def _working_day_at(engagement, days: int, hour: int):
    from planner.workdays import add_working_days, local_datetime

    today = utcnow().astimezone(engagement.tz).date()
    return local_datetime(add_working_days(today, days, "JP"), time(hour), engagement.timezone)


def request_data(**overrides) -> dict:
    """A form body for a short request about the login screen."""
    data = {
        "requester_name": "山田 花子",
        "requester_email": "hanako@sakura.example",
        "topic": "ログイン画面のエラーメッセージ",
        "details": "表示する文言について相談したいです。",
        "reasons": ["nuance"],
        "expected_minutes": "15",
        "people": "2",
        "preferred_format": "any",
    }
    data.update(overrides)
    return data


# --- a real SMTP server --------------------------------------------------------------------------------


@dataclass
class Mailbox:
    """What the local SMTP server received; `refuse` makes it answer 550 to every recipient."""

    messages: list[Envelope] = field(default_factory=list)
    refuse: bool = False

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options):
        if self.refuse:
            return "550 5.7.1 Relaying denied"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope):
        self.messages.append(envelope)
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    """An aiosmtpd server on a free loopback port; yields (url, mailbox) and stops it afterwards."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", mailbox
    finally:
        controller.stop()
        # aiosmtpd leaves its loop to the garbage collector; close it so no ResourceWarning escapes.
        loop = getattr(controller, "loop", None)
        if isinstance(loop, asyncio.AbstractEventLoop) and not loop.is_closed():
            loop.close()


def later(hours: int):
    return utcnow() + timedelta(hours=hours)
