"""Kickoff playbooks: the data files, working days, holidays, DST and cadences."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from planner.playbooks import (
    FOLDER,
    PlaybookError,
    generate,
    load_playbook_file,
    load_playbooks,
    missing_phases,
    parse_playbook,
    playbook_by_key,
)
from planner.purpose import is_vague
from planner.workdays import is_working_day


def both(text: str) -> dict[str, str]:
    return {"ja": f"{text}（日本語）", "en": text}


def status_only(recurrence: str = "cadence", minutes: int = 60) -> dict:
    """A playbook of a kickoff and a recurring status meeting, to look at the pattern alone."""
    return {
        "name": both("Test"),
        "description": both("Test playbook"),
        "phases": [
            {
                "key": "kickoff",
                "kind": "kickoff",
                "offset": 0,
                "minutes": 60,
                "title": both("Kickoff"),
                "purpose": both("Agree scope and milestones"),
                "outcome": both("Signed minutes"),
            },
            {
                "key": "status",
                "kind": "status",
                "recurrence": recurrence,
                "minutes": minutes,
                "title": {"ja": "定例 第{n}回", "en": "Status {n}"},
                "purpose": both("Decide open issues"),
                "outcome": both("Issue log updated"),
            },
        ],
    }


def statuses(meetings):
    return [m for m in meetings if m.phase == "status"]


# --- the shipped files ---------------------------------------------------------------------------


def test_every_playbook_file_loads_and_validates():
    files = sorted(FOLDER.glob("*.toml"))
    assert {f.stem for f in files} >= {"system_integration", "web_production", "retainer_monthly"}
    for path in files:
        playbook = load_playbook_file(path)
        assert playbook.key == path.stem
        for phase in playbook.phases:
            for lang in ("ja", "en"):
                assert phase.title[lang] and phase.purpose[lang] and phase.outcome[lang]
                # The product's own rule: no playbook ships a purpose that says nothing.
                assert not is_vague(phase.purpose[lang]), (path.stem, phase.key, lang)
                assert len(phase.purpose[lang]) > 30
            assert phase.agenda, (path.stem, phase.key)
            assert sum(item.minutes for item in phase.agenda) <= phase.minutes
    assert [p.key for p in load_playbooks()][:2] == ["system_integration", "web_production"]
    assert sorted(p.key for p in load_playbooks()) == [f.stem for f in files]


def test_every_shipped_status_meeting_leaves_room_for_requests():
    # Triage puts a request on an agenda only where the free minutes cover it (15 is the usual request).
    for playbook in load_playbooks():
        for phase in playbook.phases:
            if phase.kind == "status":
                free = phase.minutes - sum(item.minutes for item in phase.agenda)
                assert free >= 15, (playbook.key, phase.key, free)


def test_si_playbook_has_the_phases_of_an_si_project():
    playbook = playbook_by_key("system_integration")
    kinds = [p.kind for p in playbook.phases]
    for kind in ("kickoff", "requirements", "design_review", "status", "acceptance", "review"):
        assert kind in kinds
    assert playbook.phase("golive") and playbook.phase("retrospective") and playbook.phase("test_plan")
    assert playbook.phase("status").recurrence == "cadence"


def test_web_playbook_has_design_rounds_and_launch_decision():
    playbook = playbook_by_key("web_production")
    assert playbook.phase("design").count == 2
    assert {"wireframes", "content", "prelaunch", "launch", "discovery"} <= {p.key for p in playbook.phases}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda raw: raw["phases"][0].update(kind="party"), "'kind' must be one of"),
        (lambda raw: raw["phases"][0]["purpose"].pop("ja"), "both ja and en"),
        (lambda raw: raw["phases"][0].update(after=2), "exactly one of 'offset' or 'after'"),
        (lambda raw: raw["phases"][0].update(minutes=5000), "'minutes' must be"),
        (lambda raw: raw["phases"][1].update(key="kickoff"), "unique"),
        (lambda raw: raw["phases"][1].update(recurrence="daily"), "'recurrence' must be"),
        (lambda raw: raw.update(phases=[]), "at least one"),
        (
            lambda raw: raw["phases"][0].update(agenda=[{"title": both("Everything"), "minutes": 90}]),
            "more minutes than the meeting",
        ),
    ],
)
def test_a_broken_playbook_is_refused_with_its_reason(change, message):
    raw = status_only()
    change(raw)
    with pytest.raises(PlaybookError, match=message):
        parse_playbook("broken", raw)


def test_a_file_that_is_not_toml_is_refused(tmp_path: Path):
    path = tmp_path / "bad.toml"
    path.write_text("name = [", encoding="utf-8")
    with pytest.raises(PlaybookError, match="not valid TOML"):
        load_playbook_file(path)


# --- working days and holidays -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "country", "working"),
    [
        (date(2026, 11, 23), "JP", False),  # 勤労感謝の日
        (date(2026, 12, 30), "JP", False),  # 年末年始休業
        (date(2026, 12, 31), "JP", False),
        (date(2027, 1, 1), "JP", False),
        (date(2027, 1, 3), "JP", False),
        (date(2027, 1, 4), "JP", True),
        (date(2026, 12, 25), "DE", False),
        (date(2026, 12, 31), "DE", True),
        (date(2026, 11, 26), "US", False),  # Thanksgiving
        (date(2026, 11, 28), "US", False),  # Saturday
    ],
)
def test_working_days(day, country, working):
    assert is_working_day(day, country) is working


@pytest.mark.parametrize("key", ["system_integration", "web_production", "retainer_monthly"])
@pytest.mark.parametrize(("zone", "country"), [("Asia/Tokyo", "JP"), ("Europe/Berlin", "DE")])
def test_every_meeting_lands_on_a_working_day_and_none_overlap(key, zone, country):
    meetings = generate(
        playbook_by_key(key), start=date(2026, 11, 16), zone=zone, country=country, language="ja", weekday=0
    )
    assert len(meetings) > 5
    for meeting in meetings:
        assert is_working_day(meeting.day, country), meeting
        assert meeting.local_start.date() == meeting.day
    by_day: dict[date, list] = {}
    for meeting in meetings:
        by_day.setdefault(meeting.day, []).append(meeting)
    for same_day in by_day.values():
        for first, second in zip(same_day, same_day[1:], strict=False):
            assert first.ends_at <= second.starts_at
    assert [m.starts_at for m in meetings] == sorted(m.starts_at for m in meetings)


def test_holiday_moves_the_status_meeting_to_the_next_working_day_and_says_why():
    playbook = parse_playbook("t", status_only())
    meetings = generate(
        playbook, start=date(2026, 11, 16), zone="Asia/Tokyo", country="JP", language="ja", weekday=0
    )
    moved = next(m for m in statuses(meetings) if m.moved_from == date(2026, 11, 23))
    assert moved.day == date(2026, 11, 24)
    assert moved.moved_because == "勤労感謝の日"
    assert moved.title == "定例 第1回"
    # In English the holiday is named in English.
    english = generate(
        playbook, start=date(2026, 11, 16), zone="Asia/Tokyo", country="JP", language="en", weekday=0
    )
    assert statuses(english)[0].moved_because == "Labor Thanksgiving Day"


def test_year_end_week_in_japan_has_no_status_meeting_instead_of_two_the_week_after():
    playbook = parse_playbook("t", status_only())
    meetings = generate(
        playbook,
        start=date(2026, 12, 14),
        zone="Asia/Tokyo",
        country="JP",
        language="ja",
        weekday=1,
        end=date(2027, 1, 20),
    )
    days = [m.day for m in statuses(meetings)]
    assert days == [
        date(2026, 12, 15),
        date(2026, 12, 22),
        date(2027, 1, 5),
        date(2027, 1, 12),
        date(2027, 1, 19),
    ]
    after = next(m for m in meetings if m.day == date(2027, 1, 5))
    assert after.skipped_day == date(2026, 12, 29) and after.skipped_because == "年末年始休業"
    assert [m.round for m in statuses(meetings)] == [1, 2, 3, 4, 5]


def test_kickoff_on_a_holiday_moves_to_the_next_working_day():
    meetings = generate(
        playbook_by_key("system_integration"),
        start=date(2026, 11, 23),
        zone="Asia/Tokyo",
        country="JP",
        language="ja",
        weekday=2,
    )
    kickoff = meetings[0]
    assert kickoff.phase == "kickoff"
    assert (kickoff.day, kickoff.moved_from, kickoff.moved_because) == (
        date(2026, 11, 24),
        date(2026, 11, 23),
        "勤労感謝の日",
    )
    # Requirements start three working days after the kickoff, skipping the weekend.
    first_workshop = next(m for m in meetings if m.phase == "requirements")
    assert first_workshop.day == date(2026, 11, 27)
    assert first_workshop.title == "要件定義ワークショップ 第1回"
    assert [a for a, _ in first_workshop.agenda][0] == "前回持ち帰り事項の回答"


def test_us_thanksgiving_moves_a_thursday_status_meeting():
    playbook = parse_playbook("t", status_only())
    meetings = generate(
        playbook, start=date(2026, 11, 16), zone="America/New_York", country="US", language="en", weekday=3
    )
    moved = next(m for m in meetings if m.moved_from == date(2026, 11, 26))
    assert moved.day == date(2026, 11, 27) and moved.moved_because == "Thanksgiving Day"


# --- time zones and DST --------------------------------------------------------------------------


def test_berlin_weekly_meetings_keep_ten_oclock_local_across_the_october_change():
    playbook = parse_playbook("t", status_only())
    meetings = statuses(
        generate(
            playbook,
            start=date(2026, 10, 12),
            zone="Europe/Berlin",
            country="DE",
            language="en",
            weekday=2,
            meeting_time=time(10, 0),
            end=date(2026, 11, 6),
        )
    )
    assert [m.day for m in meetings] == [
        date(2026, 10, 14),
        date(2026, 10, 21),
        date(2026, 10, 28),
        date(2026, 11, 4),
    ]
    berlin = ZoneInfo("Europe/Berlin")
    assert all(m.starts_at.astimezone(berlin).time() == time(10, 0) for m in meetings)
    # CEST (UTC+2) before 25 October, CET (UTC+1) after.
    assert meetings[1].starts_at == datetime(2026, 10, 21, 8, 0, tzinfo=UTC)
    assert meetings[2].starts_at == datetime(2026, 10, 28, 9, 0, tzinfo=UTC)
    assert meetings[2].ends_at - meetings[2].starts_at == timedelta(minutes=60)


def test_new_york_meetings_keep_local_time_across_the_november_change():
    playbook = parse_playbook("t", status_only())
    meetings = statuses(
        generate(
            playbook,
            start=date(2026, 10, 19),
            zone="America/New_York",
            country="US",
            language="en",
            weekday=4,
            meeting_time=time(9, 30),
            end=date(2026, 11, 7),
        )
    )
    assert [m.starts_at for m in meetings] == [
        datetime(2026, 10, 23, 13, 30, tzinfo=UTC),  # EDT, UTC-4
        datetime(2026, 10, 30, 13, 30, tzinfo=UTC),
        datetime(2026, 11, 6, 14, 30, tzinfo=UTC),  # EST, UTC-5
    ]


def test_tokyo_has_no_dst_and_converts_to_utc():
    playbook = parse_playbook("t", status_only())
    first = generate(playbook, start=date(2026, 6, 1), zone="Asia/Tokyo", country="JP", language="ja")[0]
    assert first.starts_at == datetime(2026, 6, 1, 1, 0, tzinfo=UTC)


# --- cadence, end and order ----------------------------------------------------------------------


def test_biweekly_cadence_runs_every_other_week():
    playbook = parse_playbook("t", status_only())
    meetings = statuses(
        generate(
            playbook,
            start=date(2026, 6, 1),
            zone="Europe/Berlin",
            country="DE",
            language="en",
            cadence="biweekly",
            weekday=1,
            end=date(2026, 7, 31),
        )
    )
    days = [m.day for m in meetings]
    assert days[0] == date(2026, 6, 2)
    assert all((b - a).days == 14 for a, b in zip(days, days[1:], strict=False))
    assert days[-1] == date(2026, 7, 28)


def test_end_date_is_respected_and_the_dropped_phases_are_named():
    playbook = playbook_by_key("system_integration")
    end = date(2027, 1, 31)
    meetings = generate(
        playbook, start=date(2026, 11, 16), zone="Asia/Tokyo", country="JP", language="en", end=end
    )
    assert max(m.day for m in meetings) <= end
    assert "golive" in {p.key for p in missing_phases(playbook, meetings)}
    assert "kickoff" not in {p.key for p in missing_phases(playbook, meetings)}


def test_without_an_end_status_meetings_run_until_the_last_milestone():
    playbook = playbook_by_key("system_integration")
    meetings = generate(playbook, start=date(2026, 11, 16), zone="Asia/Tokyo", country="JP", language="en")
    last = max(m.day for m in meetings if m.phase != "status")
    assert max(m.day for m in statuses(meetings)) <= last
    assert (last - max(m.day for m in statuses(meetings))).days < 7
    assert not missing_phases(playbook, meetings)


def test_monthly_recurrence_takes_the_first_chosen_weekday_of_each_month():
    meetings = generate(
        playbook_by_key("retainer_monthly"),
        start=date(2026, 11, 2),
        zone="Asia/Tokyo",
        country="JP",
        language="en",
        weekday=1,
        end=date(2027, 2, 28),
    )
    monthly = [m.day for m in meetings if m.phase == "monthly"]
    assert monthly == [date(2026, 11, 4), date(2026, 12, 1), date(2027, 1, 5), date(2027, 2, 2)]


def test_same_day_meetings_follow_each_other():
    raw = status_only(minutes=60)
    raw["phases"].append(
        {
            "key": "review",
            "kind": "review",
            "after": 4,
            "minutes": 90,
            "title": both("Review"),
            "purpose": both("Approve the design document"),
            "outcome": both("Approved design"),
        }
    )
    # Kickoff Monday 1 June; the review four working days later is Friday 5 June, also status day.
    meetings = generate(
        parse_playbook("t", raw),
        start=date(2026, 6, 1),
        zone="Europe/Berlin",
        country="DE",
        language="en",
        weekday=4,
    )
    friday = [m for m in meetings if m.day == date(2026, 6, 5)]
    assert [m.phase for m in friday] == ["status", "review"]
    assert friday[1].local_start.time() == time(11, 0) and friday[1].follows == "Status 1"


def test_generation_is_stable_and_rejects_bad_arguments():
    playbook = playbook_by_key("web_production")
    args = {"start": date(2026, 11, 16), "zone": "Asia/Tokyo", "country": "JP", "language": "ja"}
    assert generate(playbook, **args) == generate(playbook, **args)
    with pytest.raises(ValueError):
        generate(playbook, **args, cadence="daily")
    with pytest.raises(ValueError):
        generate(playbook, **args, weekday=7)
    with pytest.raises(ValueError):
        generate(playbook, **args, end=date(2026, 11, 1))
