"""The policy against the requests a Japanese system-integration project really receives.

Each row is what a senior consultant would do with the request, and why. The engagement, its meetings
and its contacts are in `triage_engagement.py`; now is Tuesday 12 May 2026, 10:00 in Tokyo.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from planner.triage import decide
from tests.triage_engagement import (
    EMMA,
    HANS,
    LIM,
    MEETINGS,
    NOW,
    SATO,
    SETTINGS,
    SUZUKI,
    TANAKA,
    TOKYO,
    YAMAMOTO,
    ask,
    at,
    busy,
)

LONDON, BERLIN, SINGAPORE = ZoneInfo("Europe/London"), ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Singapore")


@dataclass(frozen=True)
class Case:
    """A request, what a senior consultant answers, and why."""

    name: str
    request: object
    outcome: str
    rule: str
    why: str
    meeting: int | None = None
    format: str | None = None
    # Local Tokyo wall-clock of the slots, "DD HH:MM", in order of preference (when given).
    slots: tuple[str, ...] | None = None
    # Every slot starts on or after this day of May (the working days a big meeting needs).
    slots_from_day: int | None = None
    # Every slot lies inside these wall-clock hours in this zone.
    hours: tuple[ZoneInfo, time, time] | None = None
    notes: tuple[str, ...] = ()
    now: datetime = NOW
    extra: dict = field(default_factory=dict)


CASES = [
    # --- simple questions: answered by mail, never a meeting --------------------------------------------
    Case(
        "test environment URL",
        ask("テスト環境のURLを教えてください", SATO, expected_minutes=5),
        "email",
        "R5",
        "A five-minute question with nothing to discuss: the URL goes out by mail today, no agenda item.",
        extra={"answer_by": date(2026, 5, 12)},
    ),
    Case(
        "test environment URL in English",
        ask("Could you send me the test environment URL?", EMMA, expected_minutes=5),
        "email",
        "R5",
        "The same question from London: a mail, whatever the zone.",
    ),
    Case(
        "PDF or Excel, mail-minded contact",
        ask("帳票の出力形式はPDFとExcelのどちらがよいか", SUZUKI, expected_minutes=10, needed_by=(14, 17)),
        "email",
        "R5",
        "A one-line choice from someone who prefers mail, needed Thursday: answered by mail today, not by a "
        "call after the deadline.",
        extra={"answer_by": date(2026, 5, 12)},
    ),
    Case(
        "PDF or Excel in English",
        ask("Invoices: PDF or Excel?", EMMA, expected_minutes=10, needed_by=(13, 17)),
        "email",
        "R5",
        "A choice between two formats is a mail.",
    ),
    Case(
        "server restart time, phone-minded contact",
        ask("夜間バッチ後のサーバー再起動は何時ですか", TANAKA, expected_minutes=5),
        "email",
        "R5",
        "Even a contact who likes the phone gets a fact by mail: quicker to read than to arrange a call.",
    ),
    Case(
        "minutes of last week",
        ask("Please send the minutes of last week's meeting", EMMA, expected_minutes=5),
        "email",
        "R5",
        "Sending a document needs no conversation.",
    ),
    # --- many people: a meeting, prepared two working days ahead ---------------------------------------
    Case(
        "briefing for 15 warehouse leaders",
        ask(
            "倉庫リーダー向け 新システム説明会",
            YAMAMOTO,
            expected_minutes=30,
            people=15,
            preferred_format="in_person",
        ),
        "meeting",
        "R4",
        "Fifteen people cannot be briefed by mail or on a call: a meeting in person, on the second working "
        "day from now at the earliest so that the leaders can be freed from the floor.",
        format="in_person",
        slots_from_day=14,
        notes=("people",),
    ),
    Case(
        "Singapore team leads briefing",
        ask("Briefing for the Singapore warehouse team leads", LIM, expected_minutes=30, people=12),
        "meeting",
        "R4",
        "Twelve people: a video meeting, two working days ahead, in Singapore office hours.",
        format="video",
        slots_from_day=14,
        hours=(SINGAPORE, time(9), time(18)),
    ),
    Case(
        "workshop for 8 people",
        ask(
            "業務フロー見直しワークショップ",
            SATO,
            expected_minutes=120,
            people=8,
            reasons=("review_materials", "decision_needed"),
        ),
        "meeting",
        "R4",
        "Eight people for two hours: never tomorrow morning; Thursday at the earliest.",
        format="video",
        slots_from_day=14,
    ),
    Case(
        "cut-over workshop with London",
        ask("Cut-over rehearsal workshop", EMMA, expected_minutes=90, people=6),
        "meeting",
        "R4",
        "Six people with London: inside her hours (09:00-17:00 her time) and the team's stretched evening, "
        "never 05:00 her time.",
        slots_from_day=14,
        hours=(LONDON, time(9), time(17)),
        notes=("their_hours",),
    ),
    # --- new work: a meeting to hear the requirement ----------------------------------------------------
    Case(
        "new work, three people, an hour",
        ask(
            "第二センター向け追加開発のご相談",
            TANAKA,
            reasons=("new_work_request",),
            expected_minutes=60,
            people=3,
        ),
        "meeting",
        "R3",
        "New work is heard in a meeting of its own (video, the hour they asked for) from tomorrow on, never "
        "a 60-minute phone call in 90 minutes; the estimate follows within five working days.",
        format="video",
        slots_from_day=13,
        extra={"minutes": 60, "estimate_by": date(2026, 5, 19)},
    ),
    Case(
        "new work in English",
        ask(
            "EDI link with a second carrier",
            LIM,
            reasons=("new_work_request", "nuance"),
            expected_minutes=45,
            people=2,
        ),
        "meeting",
        "R3",
        "A new piece of work: a 45-minute video meeting to hear it; nuance is served by that meeting.",
        format="video",
        slots_from_day=13,
        extra={"minutes": 45},
    ),
    Case(
        "new work asked in person",
        ask(
            "帳票の追加開発をお願いしたい",
            YAMAMOTO,
            reasons=("new_work_request",),
            preferred_format="in_person",
        ),
        "meeting",
        "R3",
        "They asked to meet in person: the requirement meeting is in person.",
        format="in_person",
        slots_from_day=13,
    ),
    # --- complaints: a call at once, apology and a next report ------------------------------------------
    Case(
        "cannot log in on Friday evening",
        ask(
            "本番環境にログインできない",
            SATO,
            reasons=("problem_or_complaint", "deadline_pressure"),
            needed_by=(15, 20),
        ),
        "call",
        "R1",
        "Friday 17:40 and needed by 20:00: a call at 17:45 today, the one slot before the deadline; Monday "
        "09:00 only as a second choice, and the reply says so.",
        slots=("15 17:45", "18 09:00"),
        notes=("after_needed_by",),
        now=at(15, 17, 40),
        extra={"cause": "ours", "report_by": at(18, 12)},
    ),
    Case(
        "wrong labels confuse eight people on the floor",
        ask(
            "出荷ラベルの誤印字で現場が混乱している",
            YAMAMOTO,
            reasons=("problem_or_complaint",),
            expected_minutes=60,
            people=8,
            preferred_format="in_person",
        ),
        "meeting",
        "R1",
        "Eight people affected: a meeting in person within one working day, the first free hour this "
        "afternoon after the member's other client.",
        format="in_person",
        slots=("12 15:00", "13 09:00", "14 13:00"),
        extra={"cause": "ours"},
    ),
    Case(
        "they deleted data themselves",
        ask(
            "誤って出荷データを削除してしまいました",
            TANAKA,
            reasons=("problem_or_complaint",),
            expected_minutes=20,
        ),
        "call",
        "R1",
        "Their own mistake is still a call at once; the purpose is to hear it and agree the next step.",
        format="phone",
        slots=("12 10:15", "12 10:45", "12 11:15"),
        extra={"cause": "theirs", "report_by": at(12, 17)},
    ),
    Case(
        "wrong addresses, London",
        ask(
            "Delivery notes printed with the wrong addresses",
            EMMA,
            reasons=("problem_or_complaint",),
            expected_minutes=20,
        ),
        "call",
        "R1",
        "A complaint from London: the first time she is at work, 09:00 her time (17:00 in Tokyo).",
        hours=(LONDON, time(9), time(17)),
        extra={"cause": "ours"},
    ),
    Case(
        "outage needs a long explanation",
        ask(
            "System outage yesterday: we need a full explanation",
            LIM,
            reasons=("problem_or_complaint",),
            expected_minutes=60,
            people=3,
        ),
        "call",
        "R1",
        "A complaint is never put off to a meeting days away: a video call of at most 30 minutes now; the "
        "longer discussion is agreed on that call.",
        format="video",
        notes=("longer_agreed_on_call",),
        extra={"minutes": 30},
    ),
    Case(
        "complaint beats status and agenda",
        ask("進捗報告が遅れている件", SATO, reasons=("status_update", "problem_or_complaint")),
        "call",
        "R1",
        "Unhappy about the reporting: an apology by phone, not a status mail or an item on a meeting.",
    ),
    # --- status: a summary by mail --------------------------------------------------------------------
    Case(
        "where things stand",
        ask("現在の進捗状況を教えてください", SATO, reasons=("status_update",)),
        "email",
        "R2",
        "Only wants to know where things stand: a status summary by mail today.",
    ),
    Case(
        "where things stand, London",
        ask("Where are we with the project?", EMMA, reasons=("status_update",)),
        "email",
        "R2",
        "The same in English for a stakeholder abroad.",
    ),
    # --- agenda items on a real home ------------------------------------------------------------------
    Case(
        "shipping screen fields",
        ask("出荷指示画面の項目追加", TANAKA, reasons=("review_materials",), expected_minutes=20),
        "agenda_item",
        "R6",
        "Friday's design review decides exactly that screen, 田中 attends, and 30 minutes are free.",
        meeting=103,
        notes=("topic_match",),
    ),
    Case(
        "acceptance scenarios",
        ask("受入テストシナリオの確認", SATO, reasons=("review_materials",), expected_minutes=20),
        "agenda_item",
        "R6",
        "The acceptance test plan review on the 25th is about these scenarios and has room.",
        meeting=110,
    ),
    Case(
        "invoice layout with Emma",
        ask("Invoice layout: add the customer code", EMMA),
        "agenda_item",
        "R6",
        "The billing and invoice layout review is hers and about exactly this.",
        meeting=111,
    ),
    Case(
        "invoice layout from Singapore, not the AWS review",
        ask("Question about the invoice layout", LIM),
        "agenda_item",
        "R6",
        "The AWS review shares only the word 'layout' in an agenda title: no match. The next client status "
        "meeting with room takes it, and its link lets him join.",
        meeting=100,
        notes=("status_home",),
    ),
    Case(
        "risks in the status meeting",
        ask("進捗と今後のリスクについて直接話したい", SATO, reasons=("status_update", "nuance")),
        "agenda_item",
        "R6",
        "Tomorrow's status meeting is about progress and risks, 佐藤 attends: a real home.",
        meeting=100,
        notes=("topic_match",),
    ),
    Case(
        "face to face, short",
        ask("ご挨拶を兼ねて一度お会いしたい", SATO, reasons=("wants_face_to_face",)),
        "agenda_item",
        "R6",
        "Wanting to see a face: tomorrow's status meeting is where they meet anyway.",
        meeting=100,
        notes=("status_home",),
    ),
    Case(
        "'next week' is no match",
        ask("来週の件でご相談", TANAKA),
        "agenda_item",
        "R6",
        "来週, 件 and 相談 say nothing about the topic: no meeting matches, so the next status meeting.",
        meeting=100,
        notes=("status_home",),
    ),
    Case(
        "accounting question, not the vague MTG",
        ask("請求締め日の運用について", SUZUKI),
        "agenda_item",
        "R6",
        "鈴木 attends only a meeting whose purpose is 'MTG': never a home. The status meeting takes it.",
        meeting=100,
        notes=("status_home",),
    ),
    Case(
        "go-live date from an unknown sender",
        ask("Question about the go-live date", None),
        "agenda_item",
        "R6",
        "Someone from the client's page with no profile: the client status meeting.",
        meeting=100,
    ),
    # --- no real home: go on, and say why -------------------------------------------------------------
    Case(
        "allocation logic decision, not another person's meeting",
        ask(
            "在庫引当ロジックの仕様について決めたい", SATO, reasons=("decision_needed",), expected_minutes=30
        ),
        "call",
        "R9",
        "The tentative allocation meeting was made for 田中's request: not a home for 佐藤. A decision is a "
        "call: this morning, after the other client's afternoon, and late today; never in the lunch hour.",
        format="phone",
        slots=("12 10:30", "12 15:00", "12 17:00"),
    ),
    Case(
        "order entry screen needs more time than the review has",
        ask("受注入力画面のレイアウト", SATO, reasons=("review_materials",), expected_minutes=45),
        "meeting",
        "R8",
        "The design review matches but has 30 minutes free, not 45: not put on a meeting about something "
        "else; a 45-minute video meeting of its own.",
        format="video",
        notes=("home_full",),
        slots_from_day=13,
    ),
    Case(
        "cut-over criteria, the review is full",
        ask("データ移行の切替判定基準について", SATO, reasons=("decision_needed",), expected_minutes=20),
        "call",
        "R9",
        "The migration plan review is about exactly this but full: a call, and the explanation says why.",
        notes=("home_full",),
    ),
    Case(
        "permission design shares only 設計",
        ask("権限設計の考え方について", SATO, reasons=("nuance",), expected_minutes=45),
        "meeting",
        "R8",
        "One shared pair (設計) with the screen design review is no match; 45 minutes is beyond a call.",
        slots_from_day=13,
    ),
    Case(
        "acceptance scenarios needed before the review",
        ask(
            "受入テストシナリオの確認",
            SATO,
            reasons=("review_materials",),
            expected_minutes=20,
            needed_by=(22, 18),
        ),
        "call",
        "R9",
        "The review on the 25th comes after Friday's deadline: a video call to go through the materials.",
        format="video",
    ),
    # --- urgent and short: a call before the deadline -------------------------------------------------
    Case(
        "test data before tomorrow morning",
        ask("明日の出荷テストで使うデータの件", TANAKA, reasons=("deadline_pressure",), needed_by=(13, 9)),
        "call",
        "R7",
        "Needed by 09:00 tomorrow, nothing planned before: a call today, every slot before the deadline.",
        slots=("12 10:30", "12 15:00", "12 17:00"),
    ),
    Case(
        "VPN settings from Singapore",
        ask(
            "Need the VPN settings before tomorrow's test",
            LIM,
            reasons=("deadline_pressure",),
            expected_minutes=10,
            needed_by=(13, 9),
        ),
        "call",
        "R7",
        "Short and urgent, with a deadline: a video call (his channel) in Singapore hours today.",
        format="video",
        slots=("12 10:30", "12 15:00", "12 17:00"),
        hours=(SINGAPORE, time(9), time(18)),
    ),
    Case(
        "go-live date already overdue",
        ask(
            "本番移行日程の確定",
            SATO,
            reasons=("deadline_pressure", "decision_needed"),
            expected_minutes=20,
            needed_by=(11, 18),
        ),
        "call",
        "R7",
        "Its needed-by time has passed: still a call as soon as possible, and the reply does not pretend "
        "otherwise.",
        notes=("after_needed_by",),
    ),
    # --- longer conversations: a meeting, never a long call -------------------------------------------
    Case(
        "connection method decision, four people",
        ask("外部倉庫との連携方式の決定", SATO, reasons=("decision_needed",), expected_minutes=60, people=4),
        "meeting",
        "R8",
        "An hour with four people to decide: a video meeting from tomorrow on, not a 60-minute call.",
        format="video",
        slots_from_day=13,
    ),
    Case(
        "reporting walkthrough",
        ask("Walkthrough of the reporting module", EMMA, expected_minutes=60),
        "meeting",
        "R8",
        "An hour-long walkthrough is a meeting, in her hours.",
        hours=(LONDON, time(9), time(17)),
    ),
    # --- talk reasons: a call ------------------------------------------------------------------------
    Case(
        "acceptance scenarios, London",
        ask("Acceptance test scenarios", EMMA, reasons=("review_materials",), expected_minutes=20),
        "call",
        "R9",
        "Materials to go through: a video call; the acceptance review is not hers to attend.",
        format="video",
        hours=(LONDON, time(9), time(17)),
    ),
    Case(
        "master data explanation is long to write",
        ask("マスタ項目の定義の説明", SATO, reasons=("email_tedious",), expected_minutes=25),
        "call",
        "R9",
        "Too long to write well: 25 minutes on the phone.",
        format="phone",
    ),
    Case(
        "wants to meet the team",
        ask(
            "担当の皆さまと一度顔を合わせたい", YAMAMOTO, reasons=("wants_face_to_face",), expected_minutes=30
        ),
        "call",
        "R9",
        "He attends no planned meeting: a video call first, so that they see each other.",
        format="video",
    ),
    Case(
        "reconciliation report from London",
        ask("Reconciliation report totals", EMMA, reasons=("nuance",), expected_minutes=20),
        "call",
        "R9",
        "Nuance, no meeting about it: a call from 09:00 her time (17:00 in Tokyo), never 05:00.",
        slots=("12 17:00", "12 19:00", "13 17:00"),
        hours=(LONDON, time(9), time(17)),
        notes=("their_hours",),
    ),
    Case(
        "Hamburg label printer",
        ask("Label printer driver question", HANS, reasons=("nuance",), expected_minutes=20),
        "call",
        "R9",
        "He takes calls 08:00-10:00 Hamburg time; Thursday is Ascension Day there, so Friday is the third "
        "choice.",
        slots=("12 15:00", "13 15:00", "15 16:00"),
        hours=(BERLIN, time(8), time(10)),
    ),
    # --- the contact's channel -------------------------------------------------------------------------
    Case(
        "handheld count, phone-minded contact",
        ask("ハンディ端末の必要台数", TANAKA, expected_minutes=20),
        "call",
        "R10",
        "Nothing to discuss in particular, 20 minutes, and 田中 prefers the phone: a call.",
        format="phone",
    ),
    Case(
        "payment terms, mail-minded contact",
        ask("支払サイトの変更について", SUZUKI, expected_minutes=20),
        "email",
        "R10",
        "Nothing needs a conversation and 鈴木 prefers mail: answered by mail.",
    ),
    Case(
        "payment terms, asked by phone this time",
        ask("支払サイトの変更について", SUZUKI, expected_minutes=20, preferred_format="phone"),
        "call",
        "R10",
        "This time they asked for a phone call: what they asked for wins over the profile.",
        format="phone",
    ),
]


def _local(moment: datetime) -> str:
    return moment.astimezone(TOKYO).strftime("%d %H:%M")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_senior_consultant_would_answer_so(case: Case) -> None:
    decision = decide(case.request, MEETINGS, SETTINGS, now=case.now, busy=busy())
    assert (decision.outcome, decision.rule, decision.meeting_id) == (
        case.outcome,
        case.rule,
        case.meeting,
    ), case.why
    if case.format:
        assert decision.format == case.format, case.why
    codes = {n.code for n in decision.notes}
    assert set(case.notes) <= codes, (case.why, codes)
    if decision.outcome in ("call", "meeting"):
        assert 2 <= len(decision.slots) <= 3, case.why
        starts = [s.starts_at for s in decision.slots]
        assert all(s > case.now for s in starts)
        # Never in Tokyo's lunch hour, never overlapping the member's busy times.
        for slot in decision.slots:
            local = slot.starts_at.astimezone(TOKYO)
            assert not (time(12) <= local.time() < time(13)), case.why
            assert not any(b < slot.ends_at and slot.starts_at < e for b, e in busy()), case.why
    else:
        assert decision.slots == ()
    if case.slots is not None:
        assert tuple(_local(s.starts_at) for s in decision.slots) == case.slots, case.why
    if case.slots_from_day is not None:
        assert all(s.starts_at.astimezone(TOKYO).day >= case.slots_from_day for s in decision.slots), case.why
    if case.hours is not None:
        zone, start, end = case.hours
        for slot in decision.slots:
            assert start <= slot.starts_at.astimezone(zone).time(), (case.why, slot)
            assert slot.ends_at.astimezone(zone).time() <= end or slot.ends_at.astimezone(zone).time() == end
    for key, value in case.extra.items():
        assert getattr(decision, key) == value, (case.why, key)


def test_the_table_is_large_and_in_both_languages() -> None:
    assert len(CASES) >= 40
    japanese = [c for c in CASES if any("\u3040" <= ch <= "\u9fff" for ch in c.request.topic)]
    assert 15 <= len(japanese) <= len(CASES) - 15
    assert {c.rule for c in CASES} == {f"R{n}" for n in range(1, 11)}
