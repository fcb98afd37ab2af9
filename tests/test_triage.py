"""The triage policy, rule by rule, with its boundaries."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from planner.triage import (
    MeetingInfo,
    RequestInfo,
    TriageError,
    TriageSettings,
    decide,
    eligible_meetings,
    propose_call_slot,
    tokens,
)
from planner.workdays import is_working_day

TOKYO = ZoneInfo("Asia/Tokyo")
# Monday 11 May 2026, 10:00 in Tokyo: a working day in Japan.
NOW = datetime(2026, 5, 11, 1, 0, tzinfo=UTC)
SETTINGS = TriageSettings(zone="Asia/Tokyo", country="JP")


def meeting(
    id: int = 1,
    *,
    days: float = 3,
    minutes: int = 60,
    agenda: int = 30,
    title: str = "Weekly status",
    purpose: str = "Review progress and risks",
    agenda_titles: tuple[str, ...] = (),
    cancelled: bool = False,
    starts_at: datetime | None = None,
) -> MeetingInfo:
    return MeetingInfo(
        id=id,
        title=title,
        purpose=purpose,
        kind="status",
        starts_at=starts_at or NOW + timedelta(days=days),
        duration_minutes=minutes,
        agenda_minutes=agenda,
        agenda_titles=agenda_titles,
        cancelled=cancelled,
    )


def request(**overrides) -> RequestInfo:
    values = {"topic": "Login screen", "reasons": ("other",), "expected_minutes": 15, "people": 2}
    values.update(overrides)
    return RequestInfo(**values)


# --- R1: problems and complaints -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "people", "outcome"),
    [
        (15, 1, "call"),
        (30, 4, "call"),  # exactly call_max_minutes and exactly four people
        (31, 2, "meeting"),
        (15, 5, "meeting"),
    ],
)
def test_r1_complaint_is_a_call_or_a_dedicated_meeting(minutes: int, people: int, outcome: str) -> None:
    req = request(reasons=("problem_or_complaint",), expected_minutes=minutes, people=people)
    decision = decide(req, [meeting()], SETTINGS, now=NOW)
    assert (decision.rule, decision.outcome) == ("R1", outcome)
    assert decision.meeting_id is None  # never deferred onto a scheduled meeting
    assert decision.proposed_at is not None


def test_r1_wins_over_status_and_an_eligible_meeting() -> None:
    req = request(reasons=("status_update", "problem_or_complaint"))
    decision = decide(req, [meeting()], SETTINGS, now=NOW)
    assert (decision.rule, decision.outcome) == ("R1", "call")


def test_r1_meeting_falls_within_two_working_days() -> None:
    friday_evening = datetime(2026, 5, 15, 9, 0, tzinfo=UTC)  # Fri 18:00 in Tokyo
    req = request(reasons=("problem_or_complaint",), expected_minutes=90, people=6)
    decision = decide(req, [], SETTINGS, now=friday_evening)
    local = decision.proposed_at.astimezone(TOKYO)
    assert decision.outcome == "meeting"
    assert local.date().isoformat() == "2026-05-18"  # Monday, the next working day
    assert time(9) <= local.time() and decision.proposed_minutes == 90


# --- R2: status only ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reasons", "rule", "outcome"),
    [
        (("status_update",), "R2", "email"),
        (("status_update", "status_update"), "R2", "email"),
        (("status_update", "nuance"), "R3", "agenda_item"),
    ],
)
def test_r2_only_status_update_is_answered_by_mail(reasons, rule: str, outcome: str) -> None:
    decision = decide(request(reasons=reasons), [meeting()], SETTINGS, now=NOW)
    assert (decision.rule, decision.outcome) == (rule, outcome)


def test_r2_saves_the_whole_meeting() -> None:
    decision = decide(request(reasons=("status_update",)), [], SETTINGS, now=NOW)
    assert decision.minutes_saved == 60 and decision.proposed_at is None


# --- R3: eligibility ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "kwargs", "req", "eligible"),
    [
        ("exactly the lead time", {"starts_at": NOW + timedelta(hours=24)}, {}, True),
        (
            "a minute short of the lead time",
            {"starts_at": NOW + timedelta(hours=24) - timedelta(minutes=1)},
            {},
            False,
        ),
        ("free minutes exactly the expected length", {"agenda": 45}, {}, True),
        ("a full agenda", {"agenda": 60}, {}, False),
        ("one minute too little room", {"agenda": 46}, {}, False),
        ("cancelled", {"cancelled": True}, {}, False),
        ("exactly at the horizon", {"starts_at": NOW + timedelta(days=14)}, {}, True),
        ("beyond the horizon", {"starts_at": NOW + timedelta(days=14, minutes=1)}, {}, False),
        ("before needed-by", {"days": 3}, {"needed_by": NOW + timedelta(days=4)}, True),
        ("exactly at needed-by", {"days": 3}, {"needed_by": NOW + timedelta(days=3)}, False),
        ("after needed-by", {"days": 3}, {"needed_by": NOW + timedelta(days=2)}, False),
        ("needed-by stretches past the horizon", {"days": 20}, {"needed_by": NOW + timedelta(days=30)}, True),
    ],
)
def test_r3_eligibility(case: str, kwargs: dict, req: dict, eligible: bool) -> None:
    candidate = meeting(**kwargs)
    found = eligible_meetings(request(**req), [candidate], SETTINGS, now=NOW)
    assert (found == [candidate]) is eligible, case
    decision = decide(request(**req), [candidate], SETTINGS, now=NOW)
    assert (decision.outcome == "agenda_item") is eligible, case


def test_r3_no_meetings_at_all() -> None:
    decision = decide(request(), [], SETTINGS, now=NOW)
    assert decision.rule != "R3" and decision.meeting_id is None


def test_r3_needed_by_before_every_meeting_is_not_deferred() -> None:
    meetings = [meeting(1, days=3), meeting(2, days=5)]
    req = request(needed_by=NOW + timedelta(days=2), reasons=("deadline_pressure",))
    decision = decide(req, meetings, SETTINGS, now=NOW)
    assert (decision.rule, decision.outcome) == ("R6", "call")


def test_r3_picks_the_matching_meeting_not_the_earliest() -> None:
    meetings = [
        meeting(1, days=2, title="Weekly status", purpose="Review progress"),
        meeting(2, days=4, title="Design review", purpose="Agree the login screen layout"),
        meeting(3, days=6, title="Acceptance", purpose="Sign off the release"),
    ]
    decision = decide(request(topic="Questions about the login screen"), meetings, SETTINGS, now=NOW)
    assert (decision.rule, decision.meeting_id) == ("R3", 2)
    assert decision.candidates == (1, 2, 3)


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("ログイン画面の設計について確認したい", 2),
        ("請求書の送付先", 3),
        ("データ移行の段取り", 1),  # only an agenda title mentions data migration
        ("来週の件", 2),  # nothing matches: the earliest
    ],
)
def test_r3_japanese_topic_matching(topic: str, expected: int) -> None:
    meetings = [
        meeting(1, days=4, title="定例会議", purpose="進捗と課題の確認", agenda_titles=("データ移行の計画",)),
        meeting(2, days=2, title="画面設計レビュー", purpose="ログイン画面の設計を確定する"),
        meeting(3, days=6, title="契約・請求の確認", purpose="請求書と契約条件を合意する"),
    ]
    decision = decide(request(topic=topic), meetings, SETTINGS, now=NOW)
    assert (decision.rule, decision.meeting_id) == ("R3", expected)


def test_r3_ties_go_to_the_earliest() -> None:
    meetings = [
        meeting(7, days=6, title="Design review", purpose="Layout"),
        meeting(5, days=3, title="Design review", purpose="Layout"),
    ]
    decision = decide(request(topic="design layout"), meetings, SETTINGS, now=NOW)
    assert decision.meeting_id == 5


def test_r3_details_help_when_the_topic_is_vague() -> None:
    meetings = [
        meeting(1, days=2, title="Weekly status", purpose="Progress"),
        meeting(2, days=4, title="Budget review", purpose="Agree the invoice schedule"),
    ]
    req = request(topic="A quick question", details="It is about the invoice schedule")
    assert decide(req, meetings, SETTINGS, now=NOW).meeting_id == 2


def test_r3_minutes_saved_and_explanation() -> None:
    decision = decide(request(expected_minutes=20), [meeting()], SETTINGS, now=NOW)
    assert decision.minutes_saved == 40
    assert "Weekly status" in decision.reasons_text("en")
    assert "議題に加えます" in decision.reasons_text("ja")


# --- R4: urgent and short -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "minutes", "rule"),
    [
        (47, 15, "R4"),
        (47, 30, "R4"),  # exactly call_max_minutes
        (1, 15, "R4"),
        (-2, 15, "R4"),  # already overdue is urgent too
        (48, 15, "R6"),  # exactly the urgency threshold is not urgent
        (47, 31, "R6"),  # too long for a call, and no heavy reason
    ],
)
def test_r4_urgent_short_requests_become_calls(hours: int, minutes: int, rule: str) -> None:
    req = request(needed_by=NOW + timedelta(hours=hours), expected_minutes=minutes, reasons=("other",))
    decision = decide(req, [], SETTINGS, now=NOW)
    assert decision.rule == rule
    if rule == "R4":
        assert decision.outcome == "call" and decision.proposed_call_at is not None


# --- R5: a real meeting ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "people", "reasons", "rule"),
    [
        (31, 4, ("other",), "R5"),
        (60, 2, ("review_materials",), "R5"),
        (45, 1, ("decision_needed",), "R5"),
        (30, 10, ("review_materials",), "R6"),  # exactly call_max_minutes: not long
        (45, 3, ("new_work_request",), "R6"),
    ],
)
def test_r5_long_heavy_requests_become_meetings(minutes: int, people: int, reasons, rule: str) -> None:
    req = request(expected_minutes=minutes, people=people, reasons=reasons)
    decision = decide(req, [], SETTINGS, now=NOW)
    assert decision.rule == rule
    if rule == "R5":
        assert decision.outcome == "meeting" and decision.minutes_saved == 0
        assert decision.proposed_minutes >= minutes


# --- R6: talk or the contact's channel ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reasons", "channel", "preferred", "outcome"),
    [
        (("nuance",), "email", None, "call"),
        (("wants_face_to_face",), None, None, "call"),
        (("email_tedious",), "chat", None, "call"),
        (("deadline_pressure",), None, None, "call"),
        (("decision_needed",), None, None, "call"),
        (("other",), "phone", None, "call"),
        (("new_work_request",), "video", None, "call"),
        (("other",), "in_person", None, "call"),
        (("other",), "email", None, "email"),
        (("other",), "chat", None, "email"),
        (("other",), None, None, "email"),
        (("other",), None, "phone", "call"),  # no contact: the request's own preferred format
        (("other",), "email", "in_person", "email"),  # the contact's channel comes first
    ],
)
def test_r6_talk_reasons_or_preferred_channel(reasons, channel, preferred, outcome: str) -> None:
    req = request(reasons=reasons, contact_channel=channel, preferred_format=preferred)
    decision = decide(req, [], SETTINGS, now=NOW)
    assert (decision.rule, decision.outcome) == ("R6", outcome)
    assert decision.minutes_saved == (45 if outcome == "call" else 60)


# --- call slots -----------------------------------------------------------------------------------------


def test_call_slot_today_in_business_hours() -> None:
    slot = propose_call_slot(request(), [], SETTINGS, now=NOW)
    assert slot == datetime(2026, 5, 11, 1, 30, tzinfo=UTC)  # 10:30 in Tokyo, half an hour from now


def test_call_slot_avoids_the_engagements_meetings() -> None:
    busy = meeting(starts_at=datetime(2026, 5, 11, 1, 30, tzinfo=UTC), minutes=50)
    slot = propose_call_slot(request(), [busy], SETTINGS, now=NOW)
    assert slot.astimezone(TOKYO).time() == time(11, 30)


def test_call_slot_ignores_cancelled_meetings() -> None:
    cancelled = meeting(starts_at=datetime(2026, 5, 11, 1, 30, tzinfo=UTC), cancelled=True)
    assert propose_call_slot(request(), [cancelled], SETTINGS, now=NOW).astimezone(TOKYO).time() == time(
        10, 30
    )


@pytest.mark.parametrize(
    ("now", "expected_day"),
    [
        (datetime(2026, 5, 15, 8, 45, tzinfo=UTC), "2026-05-18"),  # Fri 17:45: too late today, Monday
        (datetime(2026, 5, 16, 2, 0, tzinfo=UTC), "2026-05-18"),  # Saturday
        (
            datetime(2026, 5, 5, 2, 0, tzinfo=UTC),
            "2026-05-07",
        ),  # Children's Day; the 6th is a substitute holiday
        (datetime(2026, 5, 10, 23, 0, tzinfo=UTC), "2026-05-11"),  # Mon 08:00: at opening time
    ],
)
def test_call_slot_is_on_the_next_working_day(now: datetime, expected_day: str) -> None:
    slot = propose_call_slot(request(), [], SETTINGS, now=now)
    local = slot.astimezone(TOKYO)
    assert local.date().isoformat() == expected_day
    assert is_working_day(local.date(), "JP")
    assert time(9) <= local.time() <= time(17, 45) and slot > now


def test_call_slot_in_another_zone() -> None:
    berlin = TriageSettings(zone="Europe/Berlin", country="DE")
    slot = propose_call_slot(request(), [], berlin, now=NOW)  # 03:00 in Berlin
    assert slot.astimezone(ZoneInfo("Europe/Berlin")) == datetime(
        2026, 5, 11, 9, 0, tzinfo=ZoneInfo("Europe/Berlin")
    )


def test_call_slot_falls_in_the_contacts_call_hours() -> None:
    # Monday 10:00: they take calls from 14:00, so the first slot is 14:00 today, not 10:30.
    slot = propose_call_slot(request(call_hours=(time(14), time(17, 30))), [], SETTINGS, now=NOW)
    assert slot.astimezone(TOKYO) == datetime(2026, 5, 11, 14, 0, tzinfo=TOKYO)


def test_call_hours_past_for_today_move_the_call_to_the_next_working_day() -> None:
    friday_evening = datetime(2026, 5, 15, 7, 0, tzinfo=UTC)  # Fri 16:00 in Tokyo
    slot = propose_call_slot(request(call_hours=(time(9), time(11))), [], SETTINGS, now=friday_evening)
    assert slot.astimezone(TOKYO) == datetime(2026, 5, 18, 9, 0, tzinfo=TOKYO)


def test_call_hours_taken_by_a_meeting_push_the_call_to_the_end_of_it() -> None:
    busy = meeting(starts_at=datetime(2026, 5, 11, 5, 0, tzinfo=UTC), minutes=60)  # 14:00-15:00 Tokyo
    slot = propose_call_slot(request(call_hours=(time(14), time(17))), [busy], SETTINGS, now=NOW)
    assert slot.astimezone(TOKYO).time() == time(15, 0)


def test_a_call_decision_says_it_keeps_to_the_contacts_hours() -> None:
    decision = decide(
        request(reasons=("problem_or_complaint",), call_hours=(time(14), time(17, 30))), [], SETTINGS, now=NOW
    )
    assert decision.outcome == "call"
    assert decision.proposed_at.astimezone(TOKYO).time() == time(14, 0)
    assert any("14:00–17:30" in line for line in decision.explanation_en)
    assert any("14:00〜17:30" in line for line in decision.explanation_ja)


def test_call_hours_of_a_contact_abroad_are_their_own_wall_clock() -> None:
    # Monday 10:00 in Tokyo is 03:00 in Hamburg; they take calls 08:00-10:00 their time (15:00 in Tokyo).
    berlin = ZoneInfo("Europe/Berlin")
    ask = request(reasons=("nuance",), call_hours=(time(8), time(10)), contact_zone="Europe/Berlin")
    decision = decide(ask, [], SETTINGS, now=NOW)
    assert decision.outcome == "call"
    assert decision.proposed_at.astimezone(berlin) == datetime(2026, 5, 11, 8, 0, tzinfo=berlin)
    assert any("08:00–10:00, Europe/Berlin" in line for line in decision.explanation_en)
    assert any("現地時間 Europe/Berlin" in line for line in decision.explanation_ja)


def test_no_call_on_a_public_holiday_where_the_contact_is() -> None:
    # Wed 13 May 2026, 11:00 in Hamburg: today's hours are over, and Thursday is Ascension Day in Germany
    # (a working day in Japan), so the call goes to Friday morning, Hamburg time.
    berlin = ZoneInfo("Europe/Berlin")
    wednesday = datetime(2026, 5, 13, 9, 0, tzinfo=UTC)
    ask = request(call_hours=(time(8), time(10)), contact_zone="Europe/Berlin")
    slot = propose_call_slot(ask, [], SETTINGS, now=wednesday)
    assert slot.astimezone(berlin) == datetime(2026, 5, 15, 8, 0, tzinfo=berlin)


def test_a_contact_in_the_engagements_zone_is_not_said_to_be_abroad() -> None:
    ask = request(reasons=("nuance",), call_hours=(time(14), time(17)), contact_zone="Asia/Tokyo")
    decision = decide(ask, [], SETTINGS, now=NOW)
    assert decision.proposed_at.astimezone(TOKYO).time() == time(14, 0)
    assert any(line.endswith("(14:00–17:00).") for line in decision.explanation_en)


# --- input checks and words -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings",
    [
        {"call_max_minutes": 0},
        {"agenda_horizon_days": -1},
        {"urgent_hours": -1},
        {"zone": "Mars/Olympus"},
        {"workday_start": time(18), "workday_end": time(9)},
    ],
)
def test_settings_are_checked(settings: dict) -> None:
    with pytest.raises((TriageError, LookupError)):
        TriageSettings(**settings)


@pytest.mark.parametrize(
    "req",
    [
        {"reasons": ("bored",)},
        {"expected_minutes": 0},
        {"people": 0},
        {"needed_by": datetime(2026, 5, 12, 10, 0)},
    ],
)
def test_bad_requests_raise(req: dict) -> None:
    with pytest.raises(TriageError):
        decide(request(**req), [], SETTINGS, now=NOW)


def test_tokens_cut_japanese_into_bigrams_and_keep_latin_words() -> None:
    assert tokens("画面設計レビューについて") == {"画面", "面設", "設計", "レビ", "ビュ", "ュー"}
    assert tokens("Design review of the API") == {"design", "review", "api"}
    assert tokens("ＡＰＩの打ち合わせ") == {"api"}  # full-width folded, a stock phrase dropped


def test_reasons_text_names_the_clients_reasons_in_both_languages() -> None:
    decision = decide(request(reasons=("nuance", "email_tedious")), [], SETTINGS, now=NOW)
    assert "Nuance is hard to get across in writing" in decision.reasons_text("en")
    assert "文章ではニュアンスが伝わりにくい" in decision.reasons_text("ja")
    assert "10:30" in decision.reasons_text("ja")
