"""The demo's first weeks: requests from the client, promises on both sides, the client's schedule link."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from planner.extensions import db
from planner.models import Contact, Engagement, User
from planner.operations.commitments import create_commitment, set_status
from planner.operations.feeds import create_feed
from planner.operations.requests import submit_request
from planner.workdays import local_datetime, next_working_day

# (contact key, came by, apply at once, the request as the contact put it, hours until needed or None)
REQUESTS = [
    (
        "it_manager",
        "email",
        True,
        {
            "topic": "帳票レイアウト案へのご意見",
            "details": "請求書と納品書のレイアウト案について、社内で出た意見をお伝えしたいです。",
            "reasons": ["review_materials", "nuance"],
            "expected_minutes": 15,
            "people": 2,
            "preferred_format": "any",
        },
        None,
    ),
    (
        "site_leader",
        "phone",
        False,
        {
            "topic": "ハンディ端末の新しい操作手順について",
            "details": "出荷チームから、新しい手順では午前のピークに間に合わないのではという声が出ています。",
            "reasons": ["problem_or_complaint", "wants_face_to_face"],
            "expected_minutes": 20,
            "people": 3,
            "preferred_format": "in_person",
        },
        None,
    ),
    (
        "sponsor",
        "email",
        False,
        {
            "topic": "プロジェクトの進捗状況",
            "details": "来月の役員会の前に、現在の進み具合を把握しておきたいです。",
            "reasons": ["status_update"],
            "expected_minutes": 30,
            "people": 2,
            "preferred_format": "in_person",
        },
        None,
    ),
    (
        "overseas",
        "email",
        False,
        {
            "topic": "Field list for the EU shipping interface",
            "details": "Our carrier needs the list of fields the Hamburg hub will send before their cut-off.",
            "reasons": ["deadline_pressure"],
            "expected_minutes": 20,
            "people": 2,
            "preferred_format": "video",
        },
        30,
    ),
]


def add_followups(engagement: Engagement, contacts: dict[str, Contact], user: User, *, now: datetime) -> str:
    """Requests triaged by the policy, commitments, and a client link; returns the link's token.

    Submitting a request commits, as it does in the app, so this runs once everything else is in place.
    """
    _commitments(engagement, contacts, user, now=now)  # first: a status summary lists the open ones
    db.session.flush()
    for key, came_by, apply, data, hours in REQUESTS:
        needed_by = now + timedelta(hours=hours) if hours else None
        values = data | {"contact_id": contacts[key].id, "needed_by": needed_by}
        submit_request(engagement, values, received_via=came_by, now=now, actor=user, apply=apply)
    _, token = create_feed(
        engagement,
        label="さくら物流 ご担当者様",
        audience="client",
        contact=contacts["it_manager"],
        user=user,
        now=now,
    )
    return token


def _commitments(engagement: Engagement, contacts: dict[str, Contact], user: User, *, now: datetime) -> None:
    today = now.astimezone(engagement.tz).date()

    def due(days: int) -> datetime:
        # Counted as the late warning counts them: from a weekend, one working day is the coming Monday.
        day = today
        for _ in range(days):
            day = next_working_day(day, engagement.country)
        return local_datetime(day, time(18, 0), engagement.timezone).astimezone(UTC)

    promises = [
        (
            "us",
            "要件定義書（第1版）の提出",
            "it_manager",
            1,
            "キックオフでお約束した範囲：受注・在庫・出荷。",
        ),
        ("client", "現行帳票のサンプル一式のご提供", "it_manager", 5, "請求書・納品書・ピッキングリスト。"),
        (
            "us",
            "EU向け出荷データ項目の一覧",
            "overseas",
            8,
            "Hamburg hub needs it before the carrier's cut-off.",
        ),
    ]
    for owed_by, title, key, days, details in promises:
        create_commitment(
            engagement,
            {
                "title": title,
                "details": details,
                "owed_by": owed_by,
                "owner_user_id": user.id if owed_by == "us" else None,
                "contact_id": contacts[key].id,
                "due_at": due(days),
            },
            actor=user,
            now=now,
        )
    sent = create_commitment(
        engagement,
        {
            "title": "キックオフ議事録の送付",
            "owed_by": "us",
            "owner_user_id": user.id,
            "contact_id": contacts["sponsor"].id,
            "due_at": now + timedelta(hours=1),
        },
        actor=user,
        now=now,
    )
    set_status(sent, "done", actor=user, now=now)
