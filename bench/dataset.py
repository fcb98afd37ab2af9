"""A realistic engagement for benchmarks and tests: meetings with agendas, contacts, a client feed link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from planner.extensions import db
from planner.models import AgendaItem, Engagement, utcnow
from planner.operations.people import create_api_token, create_user
from planner.operations.schedule import create_engagement, create_meeting

PASSWORD = "bench-password-1234"
KINDS = ("requirements", "design_review", "status", "review", "acceptance")
TITLES = ("要件定義ワークショップ", "Design review", "定例会議", "Data model review", "受入テスト計画")
PURPOSES = (
    "受注画面の範囲を合意する",
    "Agree the data model for orders and invoices",
    "進捗と課題を確認し、次の二週間の優先順位を決める",
    "Decide which reports the first release needs",
    "受入テストの観点と日程を確定する",
)
AGENDA = (("前回の宿題の確認", 10), ("Open questions", 20), ("決定事項と次のアクション", 15))


@dataclass
class Dataset:
    """What a benchmark needs to reach the data over HTTP."""

    email: str
    password: str
    engagement_id: int
    meeting_id: int
    feed_token: str | None
    api_token: str
    contact_id: int | None


def working_slots(zone: ZoneInfo, start: datetime, count: int):
    """`count` slots at 10:00 and 14:00 local on working days from `start`'s day on."""
    day = start.astimezone(zone).date()
    made = 0
    while made < count:
        if day.weekday() < 5:
            for hour in (10, 14):
                if made < count:
                    yield datetime.combine(day, time(hour), tzinfo=zone)
                    made += 1
        day += timedelta(days=1)


def build(meetings: int = 200, *, email: str = "bench@example.com", past_days: int = 7) -> Dataset:
    """One user who owns one engagement of `meetings` meetings from a week ago on, in Asia/Tokyo."""
    now = utcnow()
    user = create_user(email, PASSWORD, name="Bench User", locale="en")
    engagement = create_engagement(
        user,
        {"name": "Core system renewal", "client_name": "Sakura Trading", "timezone": "Asia/Tokyo"},
        now=now,
    )
    db.session.flush()
    contact = _contacts(engagement, now)
    zone = engagement.tz
    first = None
    for number, start in enumerate(working_slots(zone, now - timedelta(days=past_days), meetings)):
        meeting = create_meeting(
            engagement,
            {
                "title": f"{TITLES[number % len(TITLES)]} {number + 1}",
                "purpose": PURPOSES[number % len(PURPOSES)],
                "desired_outcome": "合意した内容を議事録に残す / Agreement recorded in the minutes",
                "kind": KINDS[number % len(KINDS)],
                "starts_at": start,
                "duration_minutes": 60,
                "status": "confirmed",
                "location": "Client office, room 3",
                "internal": number % 10 == 9,
                "contact_ids": [contact.id] if contact is not None else None,
                "user_ids": [user.id],
            },
            now=now,
        )
        for position, (title, minutes) in enumerate(AGENDA[: 1 + number % 3], start=1):
            meeting.agenda.append(AgendaItem(title=title, minutes=minutes, position=position, created_at=now))
        first = first or meeting
    feed_token = _feed(engagement, user, contact, now)
    token = create_api_token(user, label="bench", now=now)
    db.session.commit()
    return Dataset(
        email=email,
        password=PASSWORD,
        engagement_id=engagement.id,
        meeting_id=first.id if first else 0,
        feed_token=feed_token,
        api_token=token,
        contact_id=contact.id if contact is not None else None,
    )


def _contacts(engagement: Engagement, now: datetime):
    """Five client contacts; returns the first (the feed's and the requests' contact)."""
    try:
        from planner.operations.contacts import create_contact
    except ImportError:
        return None
    people = [
        {
            "name": "田中 太郎",
            "email": "tanaka@sakura.example.jp",
            "language": "ja",
            "preferred_channel": "phone",
        },
        {
            "name": "佐藤 花子",
            "email": "sato@sakura.example.jp",
            "language": "ja",
            "preferred_channel": "email",
        },
        {
            "name": "Ken Mori",
            "email": "mori@sakura.example.jp",
            "language": "en",
            "preferred_channel": "video",
        },
        {
            "name": "鈴木 一郎",
            "email": "suzuki@sakura.example.jp",
            "language": "ja",
            "preferred_channel": "email",
        },
        {
            "name": "Amy Chen",
            "email": "chen@sakura.example.jp",
            "language": "en",
            "preferred_channel": "chat",
        },
    ]
    contacts = [create_contact(engagement, person, now=now) for person in people]
    db.session.flush()
    return contacts[0]


def _feed(engagement: Engagement, user, contact, now: datetime) -> str | None:
    """A client feed link's token, when feeds exist in this build."""
    try:
        from planner.operations.feeds import create_feed
    except ImportError:
        return None
    _, token = create_feed(engagement, label="Client", audience="client", contact=contact, user=user, now=now)
    return token
