"""Drafted replies a consultant sends as is: every outcome in Japanese and English, written from the policy's
own decisions on the realistic engagement of `triage_engagement.py`."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from planner.replies.formatting import format_date, format_datetime
from planner.replies.letters import Addressee, Sender, quoted, zone_abbreviation
from planner.replies.requests import MeetingRef, ReplyInput, draft_reply, reply_language
from planner.replies.status import FILL_IN, CommitmentRef, StatusMeeting, StatusSummary, unfilled
from planner.triage import decide, decision_data
from tests.triage_engagement import EMMA, LIM, MEETINGS, NOW, SATO, SETTINGS, TANAKA, ask, at, busy

SATO_TO = Addressee("佐藤 一郎", "株式会社サンライズ精機", "情報システム部", "部長")
EMMA_TO = Addressee("Emma Clarke", "Sunrise Logistics UK Ltd", "Finance", "Finance Manager")
LIM_TO = Addressee("Lim Wei", "Sunrise Logistics Asia Pte Ltd", "Warehouse Operations", "Head of IT")
ME = Sender(
    "山本 翔太",
    "株式会社ノースブリッジ",
    "シニアコンサルタント",
    "03-1234-5678",
    "yamamoto@northbridge.example",
)
ME_EN = Sender("Shota Yamamoto", "Northbridge Consulting", "Senior Consultant", "+81 3 1234 5678")
ZONES = {SATO: "Asia/Tokyo", TANAKA: "Asia/Tokyo", EMMA: "Europe/London", LIM: "Asia/Singapore"}
EXCUSES_EN = ("unfortunately", "busy", "schedule is full", "not available", "another client")
EXCUSES_JA = ("あいにく", "立て込", "多忙", "都合がつかず", "別件")
BOOKING = "https://planner.example/s/abc/book/7?k=xyz"


def reply_for(request, to, sender, language, **extra):
    """The reply to a request from the table's engagement, as the policy decided it."""
    decision = decide(request, MEETINGS, SETTINGS, now=NOW, busy=busy())
    data = decision_data(decision)
    meeting = None
    if decision.meeting_id:
        m = next(m for m in MEETINGS if m.id == decision.meeting_id)
        meeting = MeetingRef(
            m.title,
            m.purpose,
            m.starts_at,
            m.duration_minutes,
            "",
            "本社 3F 会議室A",
            "https://meet.example/abc",
        )
    values = {
        "outcome": decision.outcome,
        "topic": request.topic,
        "language": language,
        "zone": ZONES.get(request.contact_id, "Asia/Tokyo"),
        "now": NOW,
        "decision": data,
        "reasons": request.reasons,
        "minutes": decision.minutes or request.expected_minutes,
        "to": to,
        "sender": sender,
        "meeting": meeting,
        "needed_by": request.needed_by,
        "home_zone": "Asia/Tokyo",
        "booking_url": BOOKING if decision.slots else None,
    } | extra
    return decision, draft_reply(ReplyInput(**values))


def honest(body: str, ja: bool) -> None:
    words = EXCUSES_JA if ja else EXCUSES_EN
    assert not any(w in body.lower() for w in words), body
    assert "「「" not in body and "」」" not in body and "““" not in body


def framed_ja(body: str) -> None:
    lines = body.split("\n")
    assert lines[:3] == ["株式会社サンライズ精機", "情報システム部 部長", "佐藤 一郎 様"]
    assert "いつもお世話になっております。株式会社ノースブリッジの山本 翔太です。" in body
    signed = "山本 翔太\nシニアコンサルタント\n株式会社ノースブリッジ\nTEL: 03-1234-5678\n"
    signed += "yamamoto@northbridge.example"
    assert body.endswith(signed)


def framed_en(body: str, to: Addressee) -> None:
    lines = body.split("\n")
    assert lines[0] == to.name and lines[1] == f"{to.role}, {to.department}, {to.organisation}"
    assert f"Dear {to.name}," in body
    assert body.endswith(
        "Kind regards,\nShota Yamamoto\nSenior Consultant\nNorthbridge Consulting\nTEL: +81 3 1234 5678"
    )


# --- each outcome, both languages --------------------------------------------------------------------------


def test_agenda_item_in_japanese_gives_the_date_place_and_link():
    decision, reply = reply_for(
        ask("出荷指示画面の項目追加", TANAKA, reasons=("review_materials",), expected_minutes=20),
        SATO_TO,
        ME,
        "ja",
    )
    assert decision.outcome == "agenda_item" and reply.language == "ja"
    framed_ja(reply.body)
    assert "「画面設計レビュー 第2回」の中で20分ほど" in reply.body
    assert "日時：5月15日(金) 14:00〜16:00 JST" in reply.body
    assert "場所：本社 3F 会議室A" in reply.body and "オンライン：https://meet.example/abc" in reply.body
    assert "この打ち合わせの目的：受注入力・出荷指示画面の設計を確定する" in reply.body
    honest(reply.body, True)


def test_agenda_item_in_english_for_someone_who_wants_to_see_a_face():
    decision, reply = reply_for(
        ask("Invoice layout: add the customer code", EMMA, reasons=("wants_face_to_face",)),
        EMMA_TO,
        ME_EN,
        "en",
    )
    assert decision.outcome == "agenda_item" and reply.language == "en"
    framed_en(reply.body, EMMA_TO)
    assert "Thank you for your message about “Invoice layout: add the customer code”." in reply.body
    assert "We will take it up at the “Billing and invoice layout review” meeting" in reply.body
    # Her zone, with its abbreviation: 15:00 in Tokyo is 07:00 in London (BST).
    assert "When: Fri 22 May, 07:00–08:00 BST" in reply.body
    assert "Where: 本社 3F 会議室A" in reply.body and "Online: https://meet.example/abc" in reply.body
    assert "That meeting is where we will see each other" in reply.body
    honest(reply.body, False)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_call_lists_the_times_in_the_contacts_zone_with_the_booking_link(language):
    to, sender = (SATO_TO, ME) if language == "ja" else (LIM_TO, ME_EN)
    contact = SATO if language == "ja" else LIM
    request = ask(
        "マスタ項目の定義の説明" if language == "ja" else "Master data definitions",
        contact,
        reasons=("nuance",),
        expected_minutes=20,
    )
    decision, reply = reply_for(request, to, sender, language)
    assert decision.outcome == "call" and len(decision.slots) == 3
    zone = ZONES[contact]
    for slot in decision.slots:
        local = slot.starts_at.astimezone(__import__("zoneinfo").ZoneInfo(zone))
        assert f"{local:%H:%M}" in reply.body
    abbreviation = zone_abbreviation(decision.slots[0].starts_at, zone)
    assert abbreviation in ("JST", "SGT") and abbreviation in reply.body
    assert BOOKING in reply.body
    if language == "ja":
        framed_ja(reply.body)
        assert "・5月12日(火) 10:30〜10:50 JST" in reply.body
    else:
        framed_en(reply.body, LIM_TO)
        assert "- Tue 12 May, 09:30–09:50 SGT" in reply.body  # 10:30 in Tokyo
        assert "Could we talk it through on a video call?" in reply.body
    honest(reply.body, language == "ja")


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_complaint_opens_with_an_apology_and_promises_the_next_report(language):
    to, sender = (SATO_TO, ME) if language == "ja" else (SATO_TO, ME_EN)
    request = ask(
        "本番環境にログインできない" if language == "ja" else "Cannot log in to production",
        SATO,
        reasons=("problem_or_complaint",),
    )
    decision, reply = reply_for(request, to, sender, language)
    assert decision.outcome == "call" and decision.cause == "ours"
    first = reply.body.split("\n\n")[2]
    if language == "ja":
        assert reply.subject == "【お詫び】本番環境にログインできない"
        assert first.startswith(
            "「本番環境にログインできない」の件では、大変ご迷惑をおかけしており、誠に申し訳ございません。"
        )
        assert "原因と復旧の見通しを直接ご説明させてください" in reply.body
        assert "いつでも折り返しお電話いたします" in reply.body
        assert "本日17:00までに、現在の状況を改めてご報告いたします。" in reply.body
        assert "ありがとうございます" not in first
    else:
        assert reply.subject == "Apologies: Cannot log in to production"
        assert first.startswith(
            "I am sorry for the trouble this has caused with “Cannot log in to production”."
        )
        assert "I will call you back whenever you like" in reply.body
        assert "I will report where this stands by 17:00 today." in reply.body
        assert "Thank you" not in first
    assert "propose" not in reply.body.lower() or language == "ja"  # never asks the client to propose times


def test_a_complaint_they_caused_is_heard_not_explained():
    decision, reply = reply_for(
        ask(
            "誤って出荷データを削除してしまいました",
            TANAKA,
            reasons=("problem_or_complaint",),
            expected_minutes=20,
        ),
        SATO_TO,
        ME,
        "ja",
    )
    assert decision.cause == "theirs"
    assert "まずは状況を詳しくお伺いし、次の対応を一緒に決めさせてください。" in reply.body


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_meeting_for_new_work_says_the_estimate_follows(language):
    request = ask(
        "第二センター向け追加開発" if language == "ja" else "EDI link with a second carrier",
        TANAKA,
        reasons=("new_work_request",),
        expected_minutes=60,
        people=3,
    )
    decision, reply = reply_for(request, SATO_TO, ME if language == "ja" else ME_EN, language)
    assert decision.outcome == "meeting"
    if language == "ja":
        assert "目的：第二センター向け追加開発のご要望を伺い、範囲と進め方を整理する" in reply.body
        assert "形式：ビデオ会議（60分）" in reply.body
        assert (
            "対応範囲とお見積りは、お打ち合わせの内容を踏まえ、5月19日(火)までに別途お送りいたします。"
            in reply.body
        )
    else:
        assert (
            "Purpose: Hear the requirement for “EDI link with a second carrier” and outline its scope"
            in reply.body
        )
        assert "Format: a video call, 60 minutes" in reply.body
        assert "The scope and estimate will follow separately, by Tue 19 May." in reply.body
    assert BOOKING in reply.body


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_simple_question_says_when_the_answer_comes_and_asks_what_helps(language):
    request = ask(
        "テスト環境のURLを教えてください" if language == "ja" else "Test environment URL",
        SATO,
        expected_minutes=5,
    )
    decision, reply = reply_for(request, SATO_TO, ME if language == "ja" else ME_EN, language)
    assert decision.outcome == "email" and decision.rule == "R5"
    if language == "ja":
        assert "本日中にメールでご回答いたします。" in reply.body and "具体例" in reply.body
    else:
        assert "I will answer it by mail today" in reply.body and "please send it along" in reply.body
    assert BOOKING not in reply.body


def test_no_slot_before_the_deadline_is_said_plainly():
    friday = at(15, 17, 40)
    request = ask(
        "本番環境にログインできない",
        SATO,
        reasons=("problem_or_complaint", "deadline_pressure"),
        needed_by=(15, 20),
    )
    decision = decide(request, MEETINGS, SETTINGS, now=friday, busy=busy())
    data = decision_data(decision)
    values = dict(
        outcome="call",
        topic=request.topic,
        language="ja",
        zone="Asia/Tokyo",
        now=friday,
        decision=data,
        reasons=request.reasons,
        minutes=decision.minutes,
        to=SATO_TO,
        sender=ME,
        needed_by=request.needed_by,
    )
    body = draft_reply(ReplyInput(**values)).body
    assert "ご希望の5月15日(金) 20:00 JSTまでに間に合うのは、最初の候補です。" in body
    assert "先送り" not in body
    assert "5月18日(月) 12:00 JSTまでに、現在の状況を改めてご報告いたします。" in body


def test_no_free_time_at_all_is_said_and_nothing_is_invented():
    data = {
        "rule": "R9",
        "outcome": "call",
        "slots": [],
        "notes": [{"code": "no_slot", "params": {"days": 21}}],
    }
    body = draft_reply(
        ReplyInput("call", "Label printer", "en", "Europe/London", NOW, data, ("nuance",), 20, EMMA_TO, ME_EN)
    ).body
    assert "I have no free time to offer at the moment" in body


# --- status summaries -------------------------------------------------------------------------------------


def test_a_status_summary_is_in_the_readers_language_and_zone_with_a_line_to_fill_in():
    status = StatusSummary(
        meetings=(
            StatusMeeting("定例進捗会議", "進捗とリスクを共有する", at(14, 10)),
            StatusMeeting(
                "受入テスト計画レビュー", "受入テストの合否基準を合意する", at(25, 10), milestone=True
            ),
            StatusMeeting("定例進捗会議", "進捗とリスクを共有する", at(21, 10)),
        ),
        commitments=(CommitmentRef("Test data for the UK warehouse", "client", at(20, 18)),),
    )
    reply = draft_reply(
        ReplyInput(
            "email",
            "Where are we?",
            "en",
            "Europe/London",
            NOW,
            {"rule": "R2"},
            ("status_update",),
            0,
            EMMA_TO,
            ME_EN,
            status=status,
        )
    )
    body = reply.body
    assert FILL_IN["en"] in body and unfilled(body)
    assert body.index("受入テスト計画レビュー") < body.index("Thu 14 May")  # milestones first
    assert "- * Mon 25 May, 02:00 BST: 受入テスト計画レビュー" in body  # her zone
    assert body.count("(purpose: 進捗とリスクを共有する)") == 1  # a series' purpose once
    assert "- Test data for the UK warehouse (yours, due Wed 20 May)" in body
    assert not unfilled(body.replace(FILL_IN["en"], "On track; the cut-over date is the risk."))


# --- small pieces ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topic", "language", "expected"),
    [
        ("在庫引当の件", "ja", "「在庫引当の件」"),
        ("「在庫引当」について", "ja", "「『在庫引当』について」"),
        ("「在庫引当」", "ja", "「在庫引当」"),
        ('"licence cost breakdown"', "en", "“licence cost breakdown”"),
    ],
)
def test_quotes_are_never_nested(topic, language, expected):
    assert quoted(topic, language) == expected


def test_dates_and_zones_are_written_the_way_each_language_writes_them():
    assert format_date(date(2026, 5, 12), "ja") == "5月12日(火)"
    assert (
        format_datetime(datetime(2026, 5, 12, 1, 0, tzinfo=__import__("datetime").UTC), "Asia/Tokyo", "en")
        == "Tue 12 May, 10:00 JST"
    )
    moment = at(12, 10)
    assert [zone_abbreviation(moment, z) for z in ("Asia/Singapore", "Europe/Berlin", "Asia/Tokyo")] == [
        "SGT",
        "CEST",
        "JST",
    ]


@pytest.mark.parametrize(
    ("codes", "expected"), [(("ja",), "ja"), (("ja-JP",), "ja"), ((None, "en"), "en"), ((), "en")]
)
def test_reply_language(codes, expected):
    assert reply_language(*codes) == expected


def test_a_vague_purpose_is_never_quoted():
    meeting = MeetingRef("MTG", "", at(20, 15), 60)
    reply = draft_reply(
        ReplyInput(
            "agenda_item",
            "請求締め日の運用",
            "ja",
            "Asia/Tokyo",
            NOW,
            {"rule": "override"},
            ("other",),
            15,
            SATO_TO,
            ME,
            meeting=meeting,
        )
    )
    assert "目的" not in reply.body and not re.search(r"「MTG」を目的", reply.body)
