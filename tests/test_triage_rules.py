"""The policy's boundaries, rule by rule, its free slots and its topic matching; explanations in words."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from planner.replies.explanations import MeetingName, explain
from planner.triage import (
    MATCH_THRESHOLD,
    MeetingInfo,
    RequestInfo,
    TriageError,
    TriageSettings,
    decide,
    decision_data,
    homes,
    match_score,
    tokens,
)
from tests.triage_engagement import MEETINGS, NOW, SATO, SETTINGS, TANAKA, TOKYO, ask, at, busy


def local(moment: datetime) -> str:
    return moment.astimezone(TOKYO).strftime("%d %H:%M")


# --- thresholds --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("minutes", "rule"), [(10, "R5"), (11, "R10")])
def test_a_simple_question_is_up_to_the_setting(minutes: int, rule: str) -> None:
    # No planned meeting at all, so that nothing but the length decides; 鈴木 prefers mail.
    req = ask("支払サイトの変更", 3, expected_minutes=minutes)
    assert decide(req, (), SETTINGS, now=NOW, busy=busy()).rule == rule


@pytest.mark.parametrize(("people", "rule"), [(4, "R9"), (5, "R4")])
def test_five_or_more_people_make_a_meeting(people: int, rule: str) -> None:
    req = ask("画面遷移の説明", TANAKA, reasons=("nuance",), expected_minutes=20, people=people)
    decision = decide(req, MEETINGS, SETTINGS, now=NOW, busy=busy())
    assert decision.rule == rule


def test_the_second_working_day_after_today_qualifies_for_a_big_meeting() -> None:
    # Friday 15 May: Monday is the first working day after it, Tuesday the second.
    friday = at(15, 9)
    req = ask("研修のご相談", TANAKA, expected_minutes=60, people=10)
    decision = decide(req, (), SETTINGS, now=friday, busy=[])
    assert decision.outcome == "meeting"
    assert local(decision.slots[0].starts_at) == "19 09:00"


@pytest.mark.parametrize(("hours", "rule"), [(47.5, "R7"), (48, "R9")])
def test_urgent_hours_are_clock_hours_from_now(hours: float, rule: str) -> None:
    req = ask("切替手順の確認", TANAKA, reasons=("deadline_pressure",), needed_by=None)
    req = RequestInfo(**{**req.__dict__, "needed_by": NOW + timedelta(hours=hours)})
    assert decide(req, (), SETTINGS, now=NOW, busy=[]).rule == rule


def test_a_slot_ending_exactly_at_needed_by_is_in_time() -> None:
    req = ask("切替手順の確認", TANAKA, reasons=("deadline_pressure",), needed_by=(12, 10, 45))
    decision = decide(req, (), SETTINGS, now=NOW, busy=[])
    assert local(decision.slots[0].starts_at) == "12 10:30" and decision.note("after_needed_by") is not None
    assert decision.note("after_needed_by").params["in_time"] == 1


def test_a_call_is_never_longer_than_the_call_maximum() -> None:
    req = ask("障害の説明", SATO, reasons=("problem_or_complaint",), expected_minutes=90, people=2)
    decision = decide(req, (), SETTINGS, now=NOW, busy=[])
    assert (decision.outcome, decision.minutes) == ("call", 30)
    assert all(s.ends_at - s.starts_at == timedelta(minutes=30) for s in decision.slots)


def test_new_work_takes_the_hour_unless_a_length_was_given() -> None:
    short = decide(
        ask("新機能", SATO, reasons=("new_work_request",), expected_minutes=10), (), SETTINGS, now=NOW
    )
    asked = decide(
        ask("新機能", SATO, reasons=("new_work_request",), expected_minutes=90), (), SETTINGS, now=NOW
    )
    assert (short.minutes, asked.minutes) == (60, 90)


# --- homes ------------------------------------------------------------------------------------------------


def test_homes_leave_out_what_is_not_a_real_home() -> None:
    ids = {m.id for m in homes(ask("x", SATO), MEETINGS, SETTINGS, now=NOW)}
    assert ids == {100, 101, 102, 103, 104, 109, 110}
    # Not the vague MTG (105), not another request's meeting (106), not internal (107) or cancelled (108),
    # not Emma's invoice review that 佐藤 does not attend (111).
    tanaka = {m.id for m in homes(ask("x", TANAKA), MEETINGS, SETTINGS, now=NOW)}
    assert 104 not in tanaka and 106 not in tanaka


def test_the_request_a_meeting_was_made_for_may_still_use_it() -> None:
    own = ask("在庫引当", TANAKA, request_id=900)
    assert 106 in {m.id for m in homes(own, MEETINGS, SETTINGS, now=NOW)}


def test_a_meeting_made_for_another_request_is_not_a_home_even_when_it_matches() -> None:
    req = ask("在庫引当ロジックの仕様", TANAKA, reasons=("decision_needed",), expected_minutes=15)
    decision = decide(req, MEETINGS, SETTINGS, now=NOW, busy=busy())
    assert decision.meeting_id != 106


# --- matching -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("来週の件でご相談", set()),
        ("確認のお願い", set()),
        ("About the meeting next week", set()),
        ("画面設計レビューについて", {"画面", "面設", "設計", "レビ", "ビュ", "ュー"}),
        ("Invoices and the delivery notes", {"invoice", "delivery", "note"}),
        ("ＡＰＩの打ち合わせ", {"api"}),
    ],
)
def test_tokens_drop_dates_particles_and_stop_words(text: str, expected: set[str]) -> None:
    assert tokens(text) == expected


def _meeting(title: str, purpose: str) -> MeetingInfo:
    return MeetingInfo(1, title, purpose, "design_review", NOW + timedelta(days=3), 60)


@pytest.mark.parametrize(
    ("topic", "title", "purpose", "real"),
    [
        ("請求書レイアウトの変更", "帳票レビュー", "請求書と納品書のレイアウトを確定する", True),
        ("権限設計の考え方", "画面設計レビュー", "受注画面の設計を確定する", False),  # only 設計
        ("来週の予定確認", "来週の定例", "来週の予定を確認する", False),
        ("Invoice layout", "Billing review", "Agree the invoice layouts", True),
        ("Question about the layout of the VPC", "Invoice review", "Agree the invoice layout", True),
        ("Question about next week", "Weekly status", "Agree what happens next week", False),
    ],
)
def test_a_real_match_needs_content_words(topic: str, title: str, purpose: str, real: bool) -> None:
    score = match_score(tokens(topic), frozenset(), _meeting(title, purpose))
    assert (score >= MATCH_THRESHOLD) is real


# --- slots ---------------------------------------------------------------------------------------------


def test_slots_avoid_other_engagements_and_slots_offered_to_another_request() -> None:
    req = ask("マスタ項目の説明", SATO, reasons=("nuance",), expected_minutes=20)
    free = decide(req, (), SETTINGS, now=NOW, busy=[])
    assert [local(s.starts_at) for s in free.slots] == ["12 10:30", "12 13:00", "12 15:00"]
    # Another client's meeting this afternoon, and 10:30 still offered to another client's request.
    offered = (at(12, 10, 30), at(12, 10, 50))
    taken = decide(req, (), SETTINGS, now=NOW, busy=[offered, (at(12, 13), at(12, 15))])
    assert [local(s.starts_at) for s in taken.slots] == ["12 11:00", "12 15:00", "12 17:00"]


def test_no_lunch_hour_outside_japan_unless_set() -> None:
    berlin = TriageSettings(zone="Europe/Berlin", country="DE")
    now = datetime(2026, 5, 12, 9, 30, tzinfo=UTC)  # 11:30 in Berlin
    req = RequestInfo("Label printer", reasons=("nuance",), expected_minutes=20)
    decision = decide(req, (), berlin, now=now, busy=[])
    assert decision.slots[0].starts_at.astimezone(berlin.tz).time() == time(12, 0)


def test_a_contact_abroad_is_called_on_a_working_day_on_both_sides() -> None:
    # Wed 13 May 11:00 in Hamburg; Thursday is Ascension Day there (a working day in Japan).
    req = ask("Driver", 6, reasons=("nuance",), expected_minutes=20)
    decision = decide(req, (), SETTINGS, now=datetime(2026, 5, 13, 9, 0, tzinfo=UTC), busy=[])
    days = {s.starts_at.astimezone(TOKYO).day for s in decision.slots}
    assert 14 not in days and days <= {15, 18, 19}


def test_when_nothing_is_free_the_decision_says_so() -> None:
    full = [(NOW, NOW + timedelta(days=40))]
    decision = decide(
        ask("切替", TANAKA, reasons=("nuance",), expected_minutes=20), (), SETTINGS, now=NOW, busy=full
    )
    assert decision.slots == () and decision.note("no_slot") is not None


# --- input checks ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings",
    [
        {"call_max_minutes": 0},
        {"agenda_horizon_days": -1},
        {"urgent_hours": -1},
        {"many_people": 0},
        {"zone": "Mars/Olympus"},
        {"workday_start": time(18), "workday_end": time(9)},
        {"lunch": (time(13), time(12))},
    ],
)
def test_settings_are_checked(settings: dict) -> None:
    with pytest.raises((TriageError, LookupError)):
        TriageSettings(**settings)


@pytest.mark.parametrize(
    "req",
    [{"reasons": ("bored",)}, {"expected_minutes": 0}, {"people": 0}, {"needed_by": datetime(2026, 5, 12)}],
)
def test_bad_requests_raise(req: dict) -> None:
    with pytest.raises(TriageError):
        decide(RequestInfo("x", **req), (), SETTINGS, now=NOW)


# --- the decision is data; words are written from it -----------------------------------------------------


def test_the_decision_is_plain_data_without_sentences() -> None:
    req = ask("受注入力画面のレイアウト", SATO, reasons=("review_materials",), expected_minutes=45)
    data = decision_data(decide(req, MEETINGS, SETTINGS, now=NOW, busy=busy()))
    assert data["rule"] == "R8" and data["format"] == "video" and len(data["slots"]) == 3
    assert {"code": "home_full", "params": {"meeting_id": 103, "free": 30, "needed": 45}} in data["notes"]
    texts = [v for v in str(data).split("'") if any("\u3040" <= ch <= "\u9fff" for ch in v)]
    assert texts == []  # no Japanese sentence, nor any English one, only codes and values


def test_explanations_in_both_languages_name_the_meeting_that_was_full() -> None:
    req = ask("受注入力画面のレイアウト", SATO, reasons=("review_materials",), expected_minutes=45)
    data = decision_data(decide(req, MEETINGS, SETTINGS, now=NOW, busy=busy()))
    names = {103: MeetingName("画面設計レビュー 第2回", at(15, 14))}
    en = " ".join(explain(data, "en", zone="Asia/Tokyo", meetings=names))
    ja = "".join(explain(data, "ja", zone="Asia/Tokyo", meetings=names))
    assert "“画面設計レビュー 第2回” on Fri 15 May, 14:00 JST matches the topic but has 30 of the 45" in en
    assert "a 45-minute conversation, longer than a call: a video meeting of its own" in en
    assert "5月15日(金) 14:00の「画面設計レビュー 第2回」は内容が一致しますが、空きが30分しかなく" in ja


def test_a_decision_stored_before_keeps_its_old_words() -> None:
    data = {"legacy": {"en": "Old reasons.", "ja": "以前の理由。"}}
    assert explain(data, "ja", zone="Asia/Tokyo") == ["以前の理由。"]
    assert explain(data, "en", zone="Asia/Tokyo") == ["Old reasons."]
