"""Drafted notes to the client about late commitments and revised estimates, in Japanese and English."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from planner.replies.commitments import (
    delay_text,
    format_amount,
    late_note,
    revised_estimate_line,
    revised_estimate_note,
)

TOKYO = ZoneInfo("Asia/Tokyo")
DUE = datetime(2026, 11, 24, 17, 0, tzinfo=TOKYO)
NEW_DUE = datetime(2026, 11, 27, 12, 0, tzinfo=TOKYO)


def test_late_note_in_japanese_apologises_states_reason_new_date_and_meanwhile() -> None:
    note = late_note(
        language="ja",
        title="基本設計書",
        due_at=DUE,
        new_due_at=NEW_DUE,
        reason="外部APIの仕様確認に想定以上の時間を要しているためです。",
        meanwhile="確定済みの章から順に、11月25日(水)にお送りします。",
        zone="Asia/Tokyo",
        contact_name="佐藤",
        sender_name="田中",
    )
    assert note.language == "ja"
    assert note.subject == "【ご報告とお詫び】「基本設計書」の期日について"
    body = note.body
    assert body.startswith("佐藤様\n\nいつもお世話になっております。田中です。")
    assert (
        "11月24日(火) 17:00までとお約束しておりました「基本設計書」につきまして、"
        "3日遅れる見込みとなりました。" in body
    )
    assert "誠に申し訳ございません" in body
    assert "■ 遅れる理由\n外部APIの仕様確認に想定以上の時間を要しているためです。" in body
    assert "■ 新しい期日\n11月27日(金) 12:00" in body
    assert "■ それまでの対応\n確定済みの章から順に" in body
    assert body.rstrip().endswith("田中")
    # Polite register throughout, no plain-form endings or English leaking in.
    assert "です" in body and "ます" in body
    assert "Dear" not in body and "late" not in body


def test_late_note_in_english_says_late_by_because_and_new_date() -> None:
    note = late_note(
        language="en",
        title="Basic design document",
        due_at=DUE,
        new_due_at=NEW_DUE,
        reason="the external API specification is taking longer to confirm than we planned.",
        zone="Asia/Tokyo",
        contact_name="Ms Sato",
        sender_name="Ken Tanaka",
    )
    assert note.language == "en"
    assert note.subject == '"Basic design document" will be late by 3 days: new date Fri 27 November, 12:00'
    assert "which we promised for Tue 24 November, 17:00, will be late by 3 days." in note.body
    assert "Why: the external API specification" in note.body
    assert "New date: Fri 27 November, 12:00" in note.body
    assert "Until then: we will keep you updated" in note.body
    assert note.body.startswith("Dear Ms Sato,")
    assert note.body.endswith("Best regards,\nKen Tanaka")


def test_late_note_without_reason_or_names_invents_nothing() -> None:
    note = late_note(
        language="ja-JP", title="回答", due_at=DUE, new_due_at=NEW_DUE, reason=" ", zone="Asia/Tokyo"
    )
    assert note.language == "ja"
    assert note.body.startswith("ご担当者様")
    assert "遅れる理由" not in note.body
    english = late_note(language=None, title="Answer", due_at=DUE, new_due_at=NEW_DUE, reason="", zone="UTC")
    assert english.language == "en"
    assert "Why:" not in english.body


@pytest.mark.parametrize(
    ("new_due", "language", "expected"),
    [
        (datetime(2026, 11, 24, 20, 0, tzinfo=TOKYO), "en", "3 hours"),
        (datetime(2026, 11, 24, 17, 30, tzinfo=TOKYO), "en", "1 hour"),
        (datetime(2026, 11, 25, 9, 0, tzinfo=TOKYO), "en", "1 day"),
        (datetime(2026, 11, 25, 9, 0, tzinfo=TOKYO), "ja", "1日"),
        (datetime(2026, 11, 24, 22, 0, tzinfo=TOKYO), "ja", "5時間"),
    ],
)
def test_delay_text(new_due: datetime, language: str, expected: str) -> None:
    assert delay_text(DUE, new_due, "Asia/Tokyo", language) == expected


@pytest.mark.parametrize(
    ("amount", "unit", "expected"),
    [
        (Decimal("40"), "h", "40 h"),
        (Decimal("40.50"), "h", "40.5 h"),
        (300000, "¥", "¥300,000"),
        (1.5, "", "1.5"),
    ],
)
def test_format_amount(amount, unit: str, expected: str) -> None:
    assert format_amount(amount, unit) == expected


def test_revised_estimate_line_flags_an_increase_in_both_languages() -> None:
    en = revised_estimate_line(language="en", title="Migration", promised=40, revised=Decimal("48"), unit="h")
    assert en == '"Migration" estimate raised from 40 h to 48 h (+8 h, +20%): tell the client now.'
    ja = revised_estimate_line(language="ja", title="移行作業", promised=40, revised=48, unit="h")
    assert (
        ja == "「移行作業」の見積りが当初の40 hから48 hに増えています（+8 h, +20%）。"
        "すぐにお客様へお伝えください。"
    )


def test_revised_estimate_line_within_promise_is_not_flagged() -> None:
    assert "tell the client" not in revised_estimate_line(language="en", title="X", promised=40, revised=36)
    assert "お伝えください" not in revised_estimate_line(language="ja", title="X", promised=40, revised=40)


def test_revised_estimate_note_both_languages() -> None:
    ja = revised_estimate_note(
        language="ja",
        title="移行作業",
        promised=40,
        revised=48,
        unit="h",
        reason="対象データが想定の2倍あったため。",
        contact_name="佐藤",
    )
    assert "当初40 hとお伝えしておりましたお見積りを、48 hに見直す必要が生じました。" in ja.body
    assert "■ 見直しの理由\n対象データが想定の2倍あったため。" in ja.body
    en = revised_estimate_note(language="en", title="Migration", promised=40, revised=48, unit="h", reason="")
    assert en.subject == 'Revised estimate for "Migration": 48 h instead of 40 h'
    assert "has to go up from 40 h to 48 h" in en.body
