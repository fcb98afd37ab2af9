"""Commitment rules: current status, early warning, revised estimates and ordering (no Flask)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from planner.workdays import working_days_between

OWED_BY = ("us", "client")
# Stored statuses a person can set; `late` and `at_risk` are also computed from time.
STATUSES = ("open", "at_risk", "late", "done", "dropped")
CLOSED = frozenset({"done", "dropped"})
# Ordering of statuses on every list: what needs action first.
_STATUS_RANK = {"late": 0, "at_risk": 1, "open": 2, "done": 3, "dropped": 4}

Amount = Decimal | int | float


def estimate_overrun(promised: Amount | None, revised: Amount | None) -> bool:
    """True when a revised estimate is above the promised amount (the client must be told at once)."""
    if promised is None or revised is None:
        return False
    return Decimal(str(revised)) > Decimal(str(promised))


def working_days_left(due_at: datetime, *, now: datetime, country: str | None, zone: str) -> int:
    """Working days after today up to and including the due day, both in the engagement's zone."""
    tz = ZoneInfo(zone)
    return working_days_between(now.astimezone(tz).date(), due_at.astimezone(tz).date(), country)


def current_status(
    stored_status: str,
    due_at: datetime | None,
    done_at: datetime | None,
    marked_at_risk: bool,
    *,
    now: datetime,
    warning_working_days: int,
    country: str | None,
    zone: str,
    promised_amount: Amount | None = None,
    revised_amount: Amount | None = None,
    revised_due_at: datetime | None = None,
) -> str:
    """The status as of `now`: closed stays closed, past due is late, near or flagged is at risk."""
    if stored_status in CLOSED:
        return stored_status
    if done_at is not None:
        return "done"
    if due_at is not None and now >= due_at:
        return "late"
    if marked_at_risk or stored_status == "at_risk":
        return "at_risk"
    if estimate_overrun(promised_amount, revised_amount):
        return "at_risk"
    if due_at is None:
        return "open"
    # A new date beyond the promised one means we already know it will be late.
    if revised_due_at is not None and revised_due_at > due_at:
        return "at_risk"
    if working_days_left(due_at, now=now, country=country, zone=zone) < warning_working_days:
        return "at_risk"
    return "open"


def is_open(status: str) -> bool:
    """True while something is still owed (open, at risk or late)."""
    return status not in CLOSED


def needs_attention(status: str) -> bool:
    """True for what the engagement page and the digest put at the top."""
    return status in ("late", "at_risk")


class Ordered(Protocol):
    """What the ordering helpers read from a commitment (a model row or plain data)."""

    @property
    def owed_by(self) -> str: ...

    @property
    def due_at(self) -> datetime | None: ...


T = TypeVar("T", bound=Ordered)


def sort_key(owed_by: str, status: str, due_at: datetime | None) -> tuple[int, int, float]:
    """Ours first, then late, at risk, open, closed; then the earliest due (no due date last)."""
    due = due_at.timestamp() if due_at is not None else float("inf")
    return (0 if owed_by == "us" else 1, _STATUS_RANK.get(status, 5), due)


def order_commitments(items: Iterable[T], status: Callable[[T], str] | None = None) -> list[T]:
    """Sort commitments for a list or brief; `status` gives an item's current status (default `.status`)."""

    def key(item: T) -> tuple[int, int, float]:
        current = status(item) if status else getattr(item, "status", "open")
        return sort_key(item.owed_by, current, item.due_at)

    return sorted(items, key=key)


def delay(due_at: datetime, new_due_at: datetime) -> timedelta:
    """How much later the new date is than the promised one (never negative)."""
    return max(new_due_at - due_at, timedelta(0))
