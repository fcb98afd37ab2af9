"""Drafted replies to meeting requests: every outcome in Japanese and English, honest and dated."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from planner.replies.formatting import format_date, format_datetime
from planner.replies.requests import (
    CommitmentRef,
    MeetingRef,
    StatusSummary,
    draft_reply,
    proposed_purpose,
    reply_language,
)

NOW = datetime(2026, 5, 11, 1, 0, tzinfo=UTC)  # Mon 11 May, 10:00 in Tokyo
ZONE = "Asia/Tokyo"
REVIEW = MeetingRef(
    title="設計レビュー",
    purpose="ログイン画面の設計を確定する",
    starts_at=datetime(2026, 5, 12, 1, 0, tzinfo=UTC),
    minutes=60,
)
REVIEW_EN = MeetingRef(
    title="design review",
    purpose="agree the login screen layout",
    starts_at=datetime(2026, 5, 12, 1, 0, tzinfo=UTC),
    minutes=60,
)
CALL_AT = datetime(2026, 5, 11, 5, 30, tzinfo=UTC)  # 14:30 in Tokyo
# Phrases of invented excuses that an honest reply never contains.
EXCUSES_EN = ("unfortunately", "busy", "schedule is full", "not available", "another client")
EXCUSES_JA = ("あいにく", "立て込", "多忙", "都合がつかず", "別件")


def test_dates_are_written_the_way_each_language_writes_them() -> None:
    assert format_date(date(2026, 5, 12), "ja") == "5月12日(火)"
    assert format_date(date(2026, 5, 12), "en") == "Tue 12 May"
    assert format_datetime(REVIEW.starts_at, ZONE, "ja") == "5月12日(火) 10:00"
    assert format_datetime(REVIEW.starts_at, ZONE, "en") == "Tue 12 May, 10:00 JST"


@pytest.mark.parametrize(
    ("codes", "expected"),
    [(("ja",), "ja"), (("ja-JP",), "ja"), ((None, "en"), "en"), (("fr", "ja"), "ja"), ((), "en")],
)
def test_reply_language(codes: tuple, expected: str) -> None:
    assert reply_language(*codes) == expected


def test_agenda_item_reply_in_japanese() -> None:
    reply = draft_reply(
        "agenda_item",
        topic="ログイン画面の件",
        language="ja",
        zone=ZONE,
        now=NOW,
        contact_name="山田",
        sender_name="佐藤",
        meeting=REVIEW,
        minutes=15,
    )
    assert reply.language == "ja"
    assert reply.body.startswith("山田様\n\nお世話になっております。佐藤です。")
    assert "5月12日(火) 10:00からの「設計レビュー」" in reply.body
    assert "「ログイン画面の設計を確定する」を目的" in reply.body
    assert "15分ほど" in reply.body
    assert "何卒よろしくお願いいたします。" in reply.body
    assert reply.body.rstrip().endswith("佐藤")
    assert "5月12日(火)" in reply.subject and "ログイン画面の件" in reply.subject
    assert "「ログイン画面の件」、ご連絡" in reply.body  # 件 is not doubled
    assert not any(word in reply.body for word in EXCUSES_JA)


def test_agenda_item_reply_in_english() -> None:
    reply = draft_reply(
        "agenda_item",
        topic="the login screen",
        language="en",
        zone=ZONE,
        now=NOW,
        contact_name="Ms Yamada",
        sender_name="Alex",
        meeting=REVIEW_EN,
        minutes=15,
    )
    assert reply.body.startswith("Dear Ms Yamada,")
    assert (
        "We will cover this at the design review on Tue 12 May, 10:00 JST, "
        "whose purpose is: agree the login screen layout." in reply.body
    )
    assert "about 15 minutes" in reply.body
    assert reply.body.endswith("Kind regards,\nAlex")
    assert not any(word in reply.body.lower() for word in EXCUSES_EN)


def test_a_call_to_a_contact_abroad_is_written_in_their_time() -> None:
    # 14:30 in Tokyo is 07:30 in Hamburg (CEST in May).
    common = {"zone": ZONE, "now": NOW, "call_at": CALL_AT, "their_zone": "Europe/Berlin"}
    en = draft_reply("call", topic="the interface fields", language="en", **common)
    ja = draft_reply("call", topic="インターフェース項目", language="ja", **common)
    assert "I can call you on Mon 11 May, 07:30 your time (CEST)." in en.body
    assert "JST" not in en.body and "14:30" not in en.body
    assert "5月11日(月) 07:30（現地時間、CEST）ごろ" in ja.body
    same = draft_reply("call", topic="the invoice", language="en", **(common | {"their_zone": ZONE}))
    assert "Mon 11 May, 14:30 JST" in same.body and "your time" not in same.body


@pytest.mark.parametrize("complaint", [False, True])
def test_call_reply_in_both_languages(complaint: bool) -> None:
    ja = draft_reply(
        "call",
        topic="請求書の件",
        language="ja",
        zone=ZONE,
        now=NOW,
        call_at=CALL_AT,
        minutes=15,
        complaint=complaint,
    )
    en = draft_reply(
        "call",
        topic="the invoice",
        language="en",
        zone=ZONE,
        now=NOW,
        call_at=CALL_AT,
        minutes=15,
        complaint=complaint,
    )
    assert "5月11日(月) 14:30ごろ、こちらからお電話を差し上げてもよろしいでしょうか" in ja.body
    assert "15分ほど" in ja.body
    assert "Mon 11 May, 14:30 JST" in en.body and "about 15 minutes" in en.body
    assert ja.body.startswith("ご担当者様\n\nお世話になっております。")
    assert en.body.startswith("Hello,")
    if complaint:
        assert "申し訳ございません" in ja.body and "sorry" in en.body
        assert "直接お話を伺い" in ja.body and "from you directly" in en.body
    else:
        assert "Could we settle this by phone?" in en.body
        assert "申し訳" not in ja.body and "sorry" not in en.body
    assert not any(word in ja.body for word in EXCUSES_JA)
    assert not any(word in en.body.lower() for word in EXCUSES_EN)


def test_meeting_reply_states_time_purpose_and_outcome() -> None:
    purpose, outcome = proposed_purpose("帳票レイアウト", ("decision_needed",), "ja")
    proposed = MeetingRef(
        "帳票レイアウト", purpose, datetime(2026, 5, 12, 5, 0, tzinfo=UTC), 60, desired_outcome=outcome
    )
    ja = draft_reply("meeting", topic="帳票レイアウト", language="ja", zone=ZONE, now=NOW, meeting=proposed)
    assert "日時：5月12日(火) 14:00〜15:00" in ja.body
    assert "目的：「帳票レイアウト」について協議する" in ja.body
    assert "目指す成果：「帳票レイアウト」について結論を出し" in ja.body
    assert "お打ち合わせ日程のご相談" in ja.subject

    purpose, outcome = proposed_purpose("the report layout", ("review_materials",), "en")
    proposed = MeetingRef(
        "Report layout", purpose, datetime(2026, 5, 12, 5, 0, tzinfo=UTC), 90, desired_outcome=outcome
    )
    en = draft_reply(
        "meeting", topic="the report layout", language="en", zone=ZONE, now=NOW, meeting=proposed
    )
    assert "When: Tue 12 May, 14:00–15:30 JST" in en.body
    assert "Purpose: Discuss the report layout" in en.body
    assert "Desired outcome: The materials reviewed and the comments agreed" in en.body


@pytest.mark.parametrize("language", ["ja", "en"])
def test_complaint_meeting_purpose_is_to_listen_first(language: str) -> None:
    purpose, outcome = proposed_purpose("障害対応", ("problem_or_complaint", "decision_needed"), language)
    assert ("直接お話を伺い" in purpose) if language == "ja" else ("first-hand" in purpose)
    assert outcome


def test_status_summary_lists_meetings_items_and_commitments() -> None:
    status = StatusSummary(
        meetings=(REVIEW,),
        open_items=(("設計レビュー", "帳票の確認"),),
        commitments=(
            CommitmentRef("見積書の送付", "us", datetime(2026, 5, 15, 3, 0, tzinfo=UTC)),
            CommitmentRef("テストデータのご提供", "client", None),
        ),
    )
    ja = draft_reply("email", topic="進捗", language="ja", zone=ZONE, now=NOW, status=status)
    assert (
        "■今後の打ち合わせ\n・5月12日(火) 10:00　設計レビュー（目的：ログイン画面の設計を確定する）"
        in ja.body
    )
    assert "■未了の議題\n・帳票の確認（設計レビュー）" in ja.body
    assert "・見積書の送付（弊社、期限：5月15日(金)）" in ja.body
    assert "・テストデータのご提供（貴社）" in ja.body
    assert "進捗状況のご報告" in ja.subject

    en_status = StatusSummary(
        meetings=(REVIEW_EN,),
        commitments=(CommitmentRef("Send the estimate", "us", datetime(2026, 5, 15, 3, 0, tzinfo=UTC)),),
    )
    en = draft_reply("email", topic="progress", language="en", zone=ZONE, now=NOW, status=en_status)
    assert (
        "Next meetings:\n- Tue 12 May, 10:00 JST: design review (purpose: agree the login screen layout)"
        in en.body
    )
    assert "- Send the estimate (ours, due Fri 15 May)" in en.body
    assert "Open agenda items" not in en.body


@pytest.mark.parametrize("language", ["ja", "en"])
def test_status_summary_with_nothing_planned_says_so(language: str) -> None:
    reply = draft_reply(
        "email", topic="status", language=language, zone=ZONE, now=NOW, status=StatusSummary()
    )
    assert ("ございません" in reply.body) if language == "ja" else ("no meetings planned" in reply.body)


@pytest.mark.parametrize(
    ("answer_by", "ja_phrase", "en_phrase"),
    [
        (None, "本日中に改めてご連絡いたします", "by mail today"),
        (date(2026, 5, 12), "5月12日(火)までに", "by Tue 12 May"),
    ],
)
def test_written_answer_promises_a_date(answer_by, ja_phrase: str, en_phrase: str) -> None:
    ja = draft_reply("email", topic="仕様の質問", language="ja", zone=ZONE, now=NOW, answer_by=answer_by)
    en = draft_reply("email", topic="a spec question", language="en", zone=ZONE, now=NOW, answer_by=answer_by)
    assert ja_phrase in ja.body and en_phrase in en.body
    assert ja.subject == "Re: 仕様の質問" and en.subject == "Re: a spec question"


@pytest.mark.parametrize(
    ("outcome", "kwargs"),
    [("agenda_item", {}), ("call", {}), ("meeting", {}), ("fax", {"meeting": REVIEW})],
)
def test_missing_facts_are_refused(outcome: str, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        draft_reply(outcome, topic="x", language="en", zone=ZONE, now=NOW, **kwargs)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_series_purpose_is_said_once(language: str) -> None:
    weekly = "進捗と課題を確認する" if language == "ja" else "review progress and issues"
    later = [
        MeetingRef(f"定例 第{n}回", weekly, datetime(2026, 5, 11 + 7 * n, 5, 0, tzinfo=UTC), 60)
        for n in (1, 2)
    ]
    status = StatusSummary(meetings=(later[0], REVIEW if language == "ja" else REVIEW_EN, later[1]))
    reply = draft_reply("email", topic="status", language=language, zone=ZONE, now=NOW, status=status)
    assert reply.body.count(weekly) == 1
    lines = [line for line in reply.body.splitlines() if "定例 第" in line]
    assert weekly in lines[0] and weekly not in lines[1] and lines[1].rstrip().endswith("第2回")
    review_purpose = REVIEW.purpose if language == "ja" else REVIEW_EN.purpose
    assert review_purpose in reply.body
