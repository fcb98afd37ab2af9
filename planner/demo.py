"""The demo engagement: a Japanese logistics client's core-system renewal, planned from the SI playbook."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from planner.demo_followups import add_followups
from planner.extensions import db
from planner.models import Contact, Engagement, Meeting, MeetingAttendee, User
from planner.operations.people import add_member, create_user, find_user
from planner.operations.plans import PlanRow, apply_plan
from planner.operations.schedule import add_agenda_item, create_engagement, create_meeting
from planner.playbooks import generate, playbook_by_key
from planner.workdays import add_working_days, is_working_day, local_datetime

DEMO_EMAIL = "demo@example.com"
SECOND_EMAIL = "emma.walker@example.com"
ZONE = "Asia/Tokyo"
COUNTRY = "JP"
TOKYO = ZoneInfo(ZONE)

CONTACTS = [
    {
        "key": "sponsor",
        "name": "佐藤 健一",
        "organisation": "株式会社さくら物流",
        "department": "経営企画部",
        "role": "部長（プロジェクトオーナー）",
        "email": "k.sato@sakura-logi.example.jp",
        "phone": "03-5555-0101",
        "language": "ja",
        "preferred_channel": "in_person",
        "readers": "committee",
        "prefers_format": "diagrams",
        "notes": (
            "決裁者。報告は結論から、A4 1枚の要約と図で。"
            "キックオフで「年度内に東日本センターの在庫差異を解消したい」とお話しされていた。"
            "役員会（毎月第2木曜）の前週までに判断材料がほしいとのこと。"
        ),
    },
    {
        "key": "it_manager",
        "name": "田中 美穂",
        "organisation": "株式会社さくら物流",
        "department": "情報システム課",
        "role": "課長（お客様側プロジェクトマネージャー）",
        "email": "m.tanaka@sakura-logi.example.jp",
        "phone": "03-5555-0142",
        "language": "ja",
        "preferred_channel": "email",
        "readers": "manager",
        "prefers_format": "prose",
        "notes": (
            "日々の窓口。確認事項はメールで一覧にして送ると当日中に回答をいただける。"
            "電話の前にはチャットで一言ほしいとのこと。社内稟議の締切は毎月20日。"
        ),
    },
    {
        "key": "site_leader",
        "name": "鈴木 大輔",
        "organisation": "株式会社さくら物流",
        "department": "東日本物流センター 出荷チーム",
        "role": "現場リーダー",
        "email": "d.suzuki@sakura-logi.example.jp",
        "phone": "048-555-0177",
        "language": "ja",
        "preferred_channel": "phone",
        "call_from": time(14, 0),
        "call_until": time(17, 30),
        "readers": "self",
        "prefers_format": "diagrams",
        "notes": (
            "午前中は出荷のピークのため、打ち合わせは14時以降が希望。"
            "ハンディ端末の操作手順が増えることを心配されている。画面イメージを見せると話が早い。"
        ),
    },
    {
        "key": "overseas",
        "name": "Daniel Hoffmann",
        "organisation": "Sakura Logistics Europe GmbH",
        "department": "Hamburg hub",
        "role": "IT Coordinator",
        "email": "d.hoffmann@sakura-logi.example.de",
        "phone": "+49 40 5555 0199",
        "language": "en",
        "preferred_channel": "video",
        "timezone": "Europe/Berlin",
        "call_from": time(8, 0),
        "call_until": time(10, 0),
        "readers": "self",
        "prefers_format": "prose",
        "notes": (
            "Joins the requirements workshops for the EU shipping interface by video. "
            "Prefers an English summary the same day; takes calls 08:00–10:00 Hamburg time "
            "(16:00–18:00 in Tokyo in winter)."
        ),
    },
]

# Who from the client attends which kind of meeting.
ATTENDING = {
    "kickoff": ("sponsor", "it_manager", "site_leader", "overseas"),
    "status": ("it_manager",),
    "requirements": ("it_manager", "site_leader", "overseas"),
    "design_review": ("it_manager", "site_leader"),
    "review": ("sponsor", "it_manager"),
    "acceptance": ("sponsor", "it_manager", "site_leader"),
}


@dataclass(frozen=True)
class DemoResult:
    engagement: Engagement
    user: User
    password: str | None  # None when the demo user existed already (its password is unchanged)
    client_token: str  # the client's schedule page and feed, shown once


def new_password() -> str:
    """A random password that is readable when printed once."""
    return secrets.token_urlsafe(12)


def _start(today: date) -> date:
    """Three working days ago: the kickoff has been held and the first workshops lie ahead."""
    day = today
    for _ in range(3):
        day -= timedelta(days=1)
        while not is_working_day(day, COUNTRY):
            day -= timedelta(days=1)
    return day


def _user(email: str, name: str, locale: str) -> tuple[User, str | None]:
    found = find_user(email)
    if found is not None:
        return found, None
    password = new_password()
    return create_user(email, password, name=name, locale=locale), password


def load_demo(*, now: datetime) -> DemoResult:
    """Create the demo users (if missing) and one demo engagement; the caller commits what is left.

    The requests in it are submitted as the app submits them, each with its own commit.
    """
    user, password = _user(DEMO_EMAIL, "山本 翔太", "ja")
    colleague, _ = _user(SECOND_EMAIL, "Emma Walker", "en")
    # What their replies are signed with.
    for member, title in ((user, "シニアコンサルタント"), (colleague, "Consultant")):
        member.company = member.company or "株式会社ノースブリッジ・コンサルティング"
        member.title = member.title or title
        member.phone = member.phone or "03-6555-0120"
    db.session.flush()

    today = now.astimezone(TOKYO).date()
    start = _start(today)
    engagement = create_engagement(
        user,
        {
            "name": "基幹システム刷新プロジェクト",
            "client_name": "株式会社さくら物流",
            "description": (
                "受注・在庫・出荷を担う基幹システム（稼働15年）の刷新。"
                "東日本物流センターの在庫差異の解消と、EU拠点との出荷データ連携が主な目的。"
            ),
            "timezone": ZONE,
            "country": COUNTRY,
            "language": "ja",
            "starts_on": start,
            "ends_on": start + timedelta(days=220),
        },
        now=now,
    )
    add_member(engagement, colleague, "member")
    contacts = {}
    for data in CONTACTS:
        values = {k: v for k, v in data.items() if k != "key"}
        contacts[data["key"]] = Contact(engagement=engagement, created_at=now, updated_at=now, **values)
        db.session.add(contacts[data["key"]])

    playbook = playbook_by_key("system_integration")
    planned = generate(
        playbook,
        start=start,
        zone=ZONE,
        country=COUNTRY,
        language="ja",
        cadence="weekly",
        weekday=1,
        meeting_time=time(14, 0),  # the site leader's mornings are the shipping peak
        end=engagement.ends_on,
    )
    rows = [
        PlanRow(m.phase, m.kind, m.title, m.purpose, m.desired_outcome, m.starts_at, m.minutes)
        for m in planned
    ]
    meetings = apply_plan(engagement, playbook, rows, now=now)
    for meeting in meetings:
        # The client agreed the schedule at the kickoff, which has taken place.
        meeting.status = "held" if meeting.ends_at <= now else "confirmed"
        meeting.location = "さくら物流 本社 5F 会議室A" if meeting.kind != "status" else ""
        if meeting.kind in ("status", "requirements"):
            meeting.conference_url = "https://meet.example.com/sakura-core-renewal"
        meeting.attendees.append(MeetingAttendee(user=user))
        for key in ATTENDING.get(meeting.kind, ()):
            meeting.attendees.append(MeetingAttendee(contact=contacts[key]))
    _internal_preparation(engagement, meetings, user, colleague, now=now)
    token = add_followups(engagement, contacts, user, now=now)
    return DemoResult(engagement=engagement, user=user, password=password, client_token=token)


def _internal_preparation(engagement, meetings: list[Meeting], user, colleague, *, now: datetime) -> None:
    """The team's own preparation for the first workshop, never shown to the client."""
    workshop = next((m for m in meetings if m.kind == "requirements" and m.starts_at > now), None)
    if workshop is None:
        return
    day = workshop.local_start.date() - timedelta(days=1)
    while not is_working_day(day, COUNTRY):
        day -= timedelta(days=1)
    if day < now.astimezone(TOKYO).date():
        day = add_working_days(now.astimezone(TOKYO).date(), 0, COUNTRY)
    meeting = create_meeting(
        engagement,
        {
            "title": "社内準備：要件定義ワークショップ 第1回",
            "purpose": (
                "ワークショップで現場に確認する論点（出荷締め時刻、在庫引当のルール、EU向け出荷データの項目）を"
                "3つに絞り、質問リストと当日の進行・書記の分担を確定する。"
            ),
            "desired_outcome": "質問リスト（優先度付き）をお客様へ前日中に送付できる状態。",
            "kind": "other",
            "starts_at": local_datetime(day, time(16, 30), ZONE).astimezone(UTC),
            "duration_minutes": 50,
            "status": "confirmed",
            "internal": True,
            "internal_notes": (
                "佐藤部長は結論から聞きたい方なので、資料の冒頭にA4 1枚の要約を置く。"
                "鈴木さんには画面イメージを見せながら確認する。"
            ),
        },
        now=now,
    )
    meeting.attendees.extend([MeetingAttendee(user=user), MeetingAttendee(user=colleague)])
    for title, minutes in (
        ("現行業務フローの不明点の洗い出し", 20),
        ("質問リストの優先順位付け", 20),
        ("当日の役割分担（進行・書記・タイムキープ）", 10),
    ):
        add_agenda_item(meeting, title=title, minutes=minutes, now=now)
    meeting.sequence = 0


def engagement_count() -> int:
    return db.session.scalar(select(func.count(Engagement.id))) or 0
