"""Commitment status rules: late, at risk by time across weekends and holidays, revised estimates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from planner.commitments import (
    current_status,
    delay,
    estimate_overrun,
    needs_attention,
    order_commitments,
    working_days_left,
)

TOKYO = ZoneInfo("Asia/Tokyo")
# Due Tuesday 24 November 2026, 17:00 in Tokyo; Monday 23 November is 勤労感謝の日.
DUE = datetime(2026, 11, 24, 17, 0, tzinfo=TOKYO)


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=TOKYO)


def status(now: datetime, *, country: str | None = "JP", stored: str = "open", **extra) -> str:
    kwargs = {"done_at": None, "marked_at_risk": False} | extra
    return current_status(
        stored,
        extra.get("due_at", DUE),
        kwargs["done_at"],
        kwargs["marked_at_risk"],
        now=now,
        warning_working_days=2,
        country=country,
        zone="Asia/Tokyo",
        **{k: v for k, v in extra.items() if k in ("promised_amount", "revised_amount", "revised_due_at")},
    )


@pytest.mark.parametrize(
    ("now", "country", "expected"),
    [
        (at(17), "JP", "open"),  # Tue a week before: plenty of time
        (at(19), "JP", "open"),  # Thu: Fri and Tue remain (Mon is a holiday) = 2
        (at(20), "JP", "at_risk"),  # Fri: only Tue remains, the holiday and weekend do not count
        (at(20), "US", "open"),  # same Friday without the Japanese holiday: Mon and Tue remain
        (at(21), "JP", "at_risk"),  # Saturday
        (at(23), "US", "at_risk"),  # Mon: only Tue remains
        (at(24, 9), "JP", "at_risk"),  # due today
        (at(24, 17), "JP", "late"),  # the due time itself
        (at(25), "JP", "late"),  # the day after
    ],
)
def test_status_by_time_across_weekend_and_holiday(now: datetime, country: str, expected: str) -> None:
    assert status(now, country=country) == expected


@pytest.mark.parametrize(
    ("stored", "extra", "expected"),
    [
        ("done", {}, "done"),
        ("dropped", {}, "dropped"),
        ("open", {"done_at": at(18)}, "done"),
        ("open", {"marked_at_risk": True}, "at_risk"),
        ("at_risk", {}, "at_risk"),
        ("open", {"promised_amount": Decimal("40"), "revised_amount": Decimal("48")}, "at_risk"),
        ("open", {"promised_amount": Decimal("40"), "revised_amount": Decimal("36")}, "open"),
        ("open", {"revised_due_at": at(27)}, "at_risk"),
        ("open", {"due_at": None}, "open"),
        ("open", {"due_at": None, "marked_at_risk": True}, "at_risk"),
    ],
)
def test_status_flags_and_closed(stored: str, extra: dict, expected: str) -> None:
    assert status(at(16), stored=stored, **extra) == expected


def test_closed_commitments_never_turn_late() -> None:
    assert status(at(30), stored="done") == "done"
    assert status(at(30), stored="open", marked_at_risk=True) == "late"


def test_zero_warning_days_only_warns_when_marked() -> None:
    assert (
        current_status(
            "open", DUE, None, False, now=at(24, 9), warning_working_days=0, country="JP", zone="Asia/Tokyo"
        )
        == "open"
    )


def test_working_days_left_uses_the_engagement_zone() -> None:
    # 23:30 UTC on Thursday is already Friday morning in Tokyo.
    now = datetime(2026, 11, 19, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert working_days_left(DUE, now=now, country="JP", zone="Asia/Tokyo") == 1
    assert working_days_left(DUE, now=now, country="JP", zone="UTC") == 2


@pytest.mark.parametrize(
    ("promised", "revised", "flagged"),
    [
        (10, 12, True),
        (10, 10, False),
        (Decimal("10.5"), Decimal("10.25"), False),
        (None, 12, False),
        (10, None, False),
        (1.1, 1.2, True),
    ],
)
def test_estimate_overrun(promised, revised, flagged: bool) -> None:
    assert estimate_overrun(promised, revised) is flagged


def test_needs_attention() -> None:
    assert [s for s in ("open", "at_risk", "late", "done", "dropped") if needs_attention(s)] == [
        "at_risk",
        "late",
    ]


@dataclass
class Item:
    name: str
    owed_by: str
    status: str
    due_at: datetime | None


def test_ordering_ours_first_then_late_at_risk_then_due() -> None:
    items = [
        Item("client late", "client", "late", at(10)),
        Item("ours open later", "us", "open", at(28)),
        Item("ours open sooner", "us", "open", at(26)),
        Item("ours no date", "us", "open", None),
        Item("ours at risk", "us", "at_risk", at(27)),
        Item("ours late", "us", "late", at(12)),
        Item("client open", "client", "open", at(26)),
    ]
    names = [i.name for i in order_commitments(items)]
    assert names == [
        "ours late",
        "ours at risk",
        "ours open sooner",
        "ours open later",
        "ours no date",
        "client late",
        "client open",
    ]


def test_ordering_with_current_status_function() -> None:
    a = Item("a", "us", "open", at(26))
    b = Item("b", "us", "open", at(28))
    assert order_commitments([a, b], status=lambda i: "late" if i is b else "open") == [b, a]


def test_delay_is_never_negative() -> None:
    assert delay(DUE, at(27, 17)).days == 3
    assert delay(DUE, at(20)).total_seconds() == 0
