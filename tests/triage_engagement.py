"""A realistic engagement for policy tests: a logistics client's core-system renewal, two weeks in.

Now is Tuesday 12 May 2026, 10:00 in Tokyo. The answering member also works for another client, whose
meetings fill this afternoon from 13:00 to 15:00 and Thursday morning.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from planner.triage import MeetingInfo, RequestInfo, TriageSettings, lunch_for

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 5, 12, 1, 0, tzinfo=UTC)  # Tue 12 May, 10:00 JST
SETTINGS = TriageSettings(zone="Asia/Tokyo", country="JP", lunch=lunch_for("JP"))

# Contacts (ids): 佐藤 (情報システム部 部長, mail), 田中 (物流部 課長, phone), 鈴木 (経理部, mail),
# Emma Clarke (London, takes calls 09:00–17:00), Lim Wei (Singapore, video), Hans Becker (Hamburg,
# takes calls 08:00–10:00), 山本 (倉庫センター長, in person).
SATO, TANAKA, SUZUKI, EMMA, LIM, HANS, YAMAMOTO = 1, 2, 3, 4, 5, 6, 7
CONTACTS = {
    SATO: {"contact_channel": "email"},
    TANAKA: {"contact_channel": "phone"},
    SUZUKI: {"contact_channel": "email"},
    EMMA: {"contact_channel": "email", "contact_zone": "Europe/London", "call_hours": (time(9), time(17))},
    LIM: {"contact_channel": "video", "contact_zone": "Asia/Singapore"},
    HANS: {"contact_channel": "phone", "contact_zone": "Europe/Berlin", "call_hours": (time(8), time(10))},
    YAMAMOTO: {"contact_channel": "in_person"},
}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in Tokyo in May 2026, as UTC."""
    return datetime(2026, 5, day, hour, minute, tzinfo=TOKYO).astimezone(UTC)


def _m(id, title, purpose, kind, start, minutes, agenda=0, titles=(), contacts=(), **kw) -> MeetingInfo:
    return MeetingInfo(
        id=id,
        title=title,
        purpose=purpose,
        kind=kind,
        starts_at=start,
        duration_minutes=minutes,
        agenda_minutes=agenda,
        agenda_titles=tuple(titles),
        contact_ids=frozenset(contacts),
        **kw,
    )


STATUS_PURPOSE = "進捗・課題・リスクを共有し、今週決めるべき事項を決定する"
MEETINGS = (
    _m(
        100,
        "定例進捗会議",
        STATUS_PURPOSE,
        "status",
        at(13, 10),
        60,
        45,
        ("進捗報告", "課題・リスク"),
        (SATO, TANAKA),
    ),
    _m(
        101,
        "定例進捗会議",
        STATUS_PURPOSE,
        "status",
        at(14, 10),
        60,
        45,
        ("進捗報告", "課題・リスク"),
        (SATO, TANAKA),
    ),
    _m(
        102,
        "定例進捗会議",
        STATUS_PURPOSE,
        "status",
        at(21, 10),
        60,
        45,
        ("進捗報告", "課題・リスク"),
        (SATO, TANAKA),
    ),
    _m(
        103,
        "画面設計レビュー 第2回",
        "受注入力・出荷指示画面の設計を確定する",
        "design_review",
        at(15, 14),
        120,
        90,
        ("受注入力画面", "出荷指示画面"),
        (SATO, TANAKA),
    ),
    _m(
        104,
        "AWS infrastructure review",
        "Agree the AWS network, backup and disaster recovery design for production",
        "design_review",
        at(18, 16),
        60,
        30,
        ("VPC layout", "Backup retention"),
        (LIM, SATO),
    ),
    _m(105, "MTG", "MTG", "other", at(20, 15), 60, 0, (), (SATO, SUZUKI)),
    _m(
        106,
        "在庫引当ロジックの確認",
        "在庫引当ロジックの仕様を決定する",
        "other",
        at(18, 10),
        60,
        0,
        (),
        (TANAKA,),
        for_request=900,  # made by triage for 田中's request last week
    ),
    _m(
        107,
        "見積 社内レビュー",
        "追加見積の前提と工数を社内で確認する",
        "other",
        at(13, 16),
        60,
        0,
        (),
        (),
        internal=True,
    ),
    _m(
        108,
        "データ移行リハーサル",
        "旧システムからのデータ移行手順を通しで検証する",
        "other",
        at(19, 10),
        120,
        0,
        (),
        (SATO,),
        cancelled=True,
    ),
    _m(
        109,
        "データ移行計画レビュー",
        "データ移行の手順と切替判定基準を確定する",
        "design_review",
        at(19, 13),
        120,
        120,
        ("移行手順", "切替判定基準"),
        (SATO,),
    ),
    _m(
        110,
        "受入テスト計画レビュー",
        "受入テストのシナリオと合否基準を合意する",
        "review",
        at(25, 10),
        90,
        60,
        ("テストシナリオ", "合否基準"),
        (SATO, TANAKA),
    ),
    _m(
        111,
        "Billing and invoice layout review",
        "Agree the invoice and delivery note layouts for the new system",
        "design_review",
        at(22, 15),
        60,
        30,
        ("Invoice layout", "Delivery note"),
        (EMMA, SUZUKI),
    ),
)
# The member's other client: this afternoon and Thursday morning are taken.
OTHER_ENGAGEMENT = ((at(12, 13), at(12, 15)), (at(14, 9), at(14, 12)))


def busy() -> list[tuple[datetime, datetime]]:
    """The answering member's busy times: this engagement's meetings and the other client's."""
    own = [(m.starts_at, m.ends_at) for m in MEETINGS if not m.cancelled]
    return own + list(OTHER_ENGAGEMENT)


def ask(topic: str, contact: int | None = None, **values) -> RequestInfo:
    """A request as the intake form or a member gives it, with the contact's profile."""
    base = {"topic": topic, "reasons": ("other",), "expected_minutes": 15, "people": 1, "contact_id": contact}
    base |= CONTACTS.get(contact, {}) if contact else {}
    base |= values
    if isinstance(base.get("needed_by"), tuple):
        base["needed_by"] = at(*base["needed_by"])
    base["reasons"] = tuple(base["reasons"])
    return RequestInfo(**base)


def later(hours: float) -> datetime:
    """Now plus some hours."""
    return NOW + timedelta(hours=hours)
