"""Feed build cost: a 1,000-meeting feed built cold by the app vs icalendar alone serialising the same events.

Run with `python bench/bench_feed.py [meetings]`; prints both timings and their ratio (target <= 1.5).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from icalendar import Calendar  # noqa: E402

from planner import ical  # noqa: E402

TARGET = 1.5


@dataclass
class _Person:
    name: str
    email: str | None


@dataclass
class _Attendee:
    contact: _Person | None = None
    user: _Person | None = None


@dataclass
class _Item:
    title: str
    minutes: int
    position: int


@dataclass
class _Meeting:
    uid: str
    title: str
    starts_at: datetime
    ends_at: datetime
    purpose: str = "要件の優先順位を合意する / Agree the priorities of the requirements"
    desired_outcome: str = "Signed-off priority list for the first release"
    kind: str = "requirements"
    location: str | None = "Client office, room 3"
    conference_url: str | None = "https://meet.example.com/abc-defg-hij"
    status: str = "confirmed"
    internal: bool = False
    internal_notes: str | None = "Keep the budget discussion for the steering meeting."
    sequence: int = 2
    created_at: datetime = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    updated_at: datetime = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)
    cancelled_at: datetime | None = None
    agenda: list[_Item] = field(
        default_factory=lambda: [_Item("Review open questions", 20, 1), _Item("Decide priorities", 30, 2)]
    )
    attendees: list[_Attendee] = field(
        default_factory=lambda: [
            _Attendee(contact=_Person("田中 太郎", "tanaka@client.example.jp")),
            _Attendee(user=_Person("Ann Lee", "ann@planner.example")),
        ]
    )


def sample_meetings(count: int) -> list[_Meeting]:
    """`count` meetings, two a working day from January 2026, in Europe/Berlin business hours."""
    start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    meetings = []
    for number in range(count):
        begins = start + timedelta(days=number // 2, hours=4 * (number % 2))
        meetings.append(
            _Meeting(
                uid=f"m-{number}@planner.example",
                title=f"Meeting {number}",
                starts_at=begins,
                ends_at=begins + timedelta(hours=1),
            )
        )
    return meetings


def _best_interleaved(first, second, repeat: int) -> tuple[float, float]:
    """Best time of each, measured turn about so that a busy neighbour slows both sides alike."""
    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        for index, func in enumerate((first, second)):
            started = time.perf_counter()
            func()
            best[index] = min(best[index], time.perf_counter() - started)
    return best[0], best[1]


def run(count: int = 1000, repeat: int = 5) -> dict[str, float]:
    """Time both and return {"app": seconds, "icalendar": seconds, "ratio": app / icalendar}."""
    meetings = sample_meetings(count)
    now = datetime(2026, 1, 7, tzinfo=UTC)

    def app_build() -> bytes:
        # Cold: the zone and VTIMEZONE caches are emptied before every build.
        ical.vtimezone.cache_clear()
        ical.zone_info.cache_clear()
        return ical.render_feed(
            name="Acme rollout",
            description="Shared meeting schedule",
            zone="Europe/Berlin",
            meetings=meetings,
            audience="team",
            now=now,
            cancelled_days=30,
            page_url=lambda m: f"https://planner.example/s/TOKEN#{m.uid}",
        )

    data = app_build()
    assert len(Calendar.from_ical(data).events) == count
    # The same events, already built: what icalendar alone needs to write them out.
    calendar = ical.build_calendar(
        "Acme rollout",
        "Shared meeting schedule",
        "Europe/Berlin",
        [
            ical.meeting_to_vevent(
                m, zone="Europe/Berlin", page_url=f"https://planner.example/s/TOKEN#{m.uid}"
            )
            for m in meetings
        ],
    )
    assert calendar.to_ical() == data

    def icalendar_only() -> bytes:
        return calendar.to_ical()

    app_seconds, library_seconds = _best_interleaved(app_build, icalendar_only, repeat)
    return {"app": app_seconds, "icalendar": library_seconds, "ratio": app_seconds / library_seconds}


def main(argv: list[str] | None = None) -> int:
    """Print the measurement; exit 1 when the ratio misses the target."""
    args = sys.argv[1:] if argv is None else argv
    count = int(args[0]) if args else 1000
    result = run(count)
    print(f"feed build, {count} meetings: app {result['app'] * 1000:.1f} ms (cold)")
    print(f"icalendar serialising the same events: {result['icalendar'] * 1000:.1f} ms")
    print(f"ratio {result['ratio']:.2f} (target <= {TARGET})")
    return 0 if result["ratio"] <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
