"""The pre-meeting brief: content and ordering from plain inputs."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from planner.brief import AgendaLine, NoteLine, OwedLine, Person, WaitingRequest, build_brief

UTC = ZoneInfo("UTC")
START = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo
END = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


def make(**overrides):
    data = dict(
        title="Design review",
        purpose="Agree the screen flow",
        desired_outcome="Screen flow signed off",
        starts_at=START,
        ends_at=END,
        zone="Asia/Tokyo",
        agenda=[AgendaLine("Screen flow", 30), AgendaLine("Open questions", 20)],
        attendees=[
            Person("Tanaka Ken", ours=True, role="Lead"),
            Person(
                "Sato Yumi",
                ours=False,
                role="IT manager",
                preferred_channel="phone",
                readers="committee",
                prefers_format="diagrams",
                contact_id=7,
                notes=(
                    NoteLine("Budget review in March", date(2026, 10, 1)),
                    NoteLine("Prefers a call before 10:00", date(2026, 11, 20), "Status"),
                    NoteLine("Moved from sales", date(2026, 9, 1)),
                    NoteLine("Board wants a one-page summary", date(2026, 11, 2)),
                ),
            ),
            Person("Abe Jun", ours=False, role="Developer"),
        ],
        commitments=[
            OwedLine("Client data sample", "client", "late", datetime(2026, 11, 10, tzinfo=UTC)),
            OwedLine("Estimate v2", "us", "open", datetime(2026, 12, 10, tzinfo=UTC)),
            OwedLine("Closed thing", "us", "done", datetime(2026, 11, 1, tzinfo=UTC)),
            OwedLine("Dropped thing", "client", "dropped", None),
            OwedLine("Screen mockups", "us", "late", datetime(2026, 11, 20, tzinfo=UTC)),
            OwedLine("API answer", "us", "at_risk", datetime(2026, 11, 27, tzinfo=UTC)),
        ],
        requests=[
            WaitingRequest("Login error question", datetime(2026, 11, 22, tzinfo=UTC)),
            WaitingRequest("Report layout", datetime(2026, 11, 21, tzinfo=UTC)),
        ],
    )
    data.update(overrides)
    return build_brief(**data)


def test_brief_has_purpose_outcome_and_times_in_the_engagement_zone() -> None:
    brief = make()
    assert (brief.purpose, brief.desired_outcome) == ("Agree the screen flow", "Screen flow signed off")
    assert brief.starts_at.hour == 10 and brief.starts_at.tzinfo == ZoneInfo("Asia/Tokyo")
    assert brief.warnings == ()


def test_agenda_total_against_length() -> None:
    brief = make()
    assert [a.title for a in brief.agenda] == ["Screen flow", "Open questions"]
    assert (brief.agenda_minutes, brief.length_minutes, brief.free_minutes, brief.over_minutes) == (
        50,
        60,
        10,
        0,
    )
    over = make(agenda=[AgendaLine("Everything", 75)], purpose=" ")
    assert over.over_minutes == 15 and over.free_minutes == 0
    assert over.warnings == ("purpose_missing", "agenda_over")


def test_attendees_client_first_with_latest_notes_newest_first() -> None:
    brief = make()
    assert [p.name for p in brief.attendees] == ["Abe Jun", "Sato Yumi", "Tanaka Ken"]
    sato = brief.attendees[1]
    assert (sato.role, sato.preferred_channel, sato.readers, sato.prefers_format) == (
        "IT manager",
        "phone",
        "committee",
        "diagrams",
    )
    assert [n.body for n in sato.notes] == [
        "Prefers a call before 10:00",
        "Board wants a one-page summary",
        "Budget review in March",
    ]
    assert sato.notes[0].meeting_title == "Status"


def test_open_commitments_ours_first_late_first_closed_left_out() -> None:
    brief = make()
    assert [c.title for c in brief.commitments] == [
        "Screen mockups",
        "API answer",
        "Estimate v2",
        "Client data sample",
    ]
    assert (brief.late_count, brief.at_risk_count) == (2, 1)


def test_requests_waiting_oldest_first() -> None:
    assert [r.topic for r in make().requests] == ["Report layout", "Login error question"]
