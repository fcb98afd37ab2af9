"""Quiet contacts: nothing with them for the engagement's number of days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from planner.client_memory import days_since, is_quiet, last_touch

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
ADDED = NOW - timedelta(days=200)


def test_last_touch_ignores_future_and_missing() -> None:
    past = NOW - timedelta(days=3)
    assert last_touch([None, past, NOW + timedelta(days=2), past - timedelta(days=9)], now=NOW) == past
    assert last_touch([None, NOW + timedelta(days=1)], now=NOW) is None


@pytest.mark.parametrize(
    ("last_days_ago", "added_days_ago", "quiet_days", "quiet"),
    [
        (29, 200, 30, False),
        (30, 200, 30, True),
        (None, 200, 30, True),  # never in touch since we added them long ago
        (None, 5, 30, False),  # a new contact is not quiet yet
        (90, 10, 30, False),  # added recently: count from then
        (100, 200, 0, False),  # 0 turns the list off
    ],
)
def test_is_quiet(last_days_ago, added_days_ago, quiet_days: int, quiet: bool) -> None:
    last = None if last_days_ago is None else NOW - timedelta(days=last_days_ago)
    assert is_quiet(last, NOW - timedelta(days=added_days_ago), now=NOW, quiet_days=quiet_days) is quiet


def test_days_since() -> None:
    assert days_since(NOW - timedelta(days=4, hours=3), now=NOW) == 4
    assert days_since(None, now=NOW) is None
