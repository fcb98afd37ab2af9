"""VTIMEZONEs every reader understands, and times no reader can misplace around a change of clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import dateutil.rrule
import icalendar
import pytest
from calendar_readers import READERS, read, sample_instants, span, unambiguous
from test_ical import Meeting

from planner import ical
from planner.ical.vtimezone import zone_changes


def observances(tzid: str, first: int, last: int) -> list[icalendar.Component]:
    return list(ical.vtimezone(tzid, first, last).subcomponents)


def occurrences(observance: icalendar.Component, until_year: int) -> list[datetime]:
    """The wall times at which an observance starts, expanded as RFC 5545 says."""
    start = observance["DTSTART"].dt
    found = {start}
    if "RRULE" in observance:
        rule = observance["RRULE"].to_ical().decode()
        found = set(
            dateutil.rrule.rrulestr(rule, dtstart=start, ignoretz=True).between(
                start, datetime(until_year + 1, 1, 1), inc=True
            )
        )
    lines = observance.get("RDATE", [])
    for line in lines if isinstance(lines, list) else [lines]:
        found.update(value.dt for value in line.dts)
    return sorted(found)


def changes_of(tzid: str, first: int, last: int) -> dict[datetime, tuple[str, timedelta, timedelta]]:
    """Every change the VTIMEZONE states in the years: wall time before it -> (kind, from, to)."""
    stated = {}
    for observance in observances(tzid, first, last):
        for wall in occurrences(observance, last):
            if wall.year >= first:
                stated[wall] = (
                    observance.name,
                    observance["TZOFFSETFROM"].td,
                    observance["TZOFFSETTO"].td,
                )
    return stated


def test_berlin_changes_start_at_the_wall_time_before_them() -> None:
    stated = changes_of("Europe/Berlin", 2026, 2028)
    one, two = timedelta(hours=1), timedelta(hours=2)
    assert stated == {
        datetime(2026, 3, 29, 2, 0): ("DAYLIGHT", one, two),
        datetime(2026, 10, 25, 3, 0): ("STANDARD", two, one),
        # RFC 5545 3.6.5: the spring change is at 02:00 local (01:00Z), the autumn one at 03:00 (01:00Z).
        datetime(2027, 3, 28, 2, 0): ("DAYLIGHT", one, two),
        datetime(2027, 10, 31, 3, 0): ("STANDARD", two, one),
        datetime(2028, 3, 26, 2, 0): ("DAYLIGHT", one, two),
        datetime(2028, 10, 29, 3, 0): ("STANDARD", two, one),
    }
    text = ical.vtimezone("Europe/Berlin", 2026, 2028).to_ical().decode()
    # The yearly rules as Outlook and Thunderbird write them, and the winter before the span covered.
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\n" in text
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\n" in text
    assert "DTSTART:20251026T030000\r\n" in text
    assert "RDATE" not in text


def test_new_york_changes_start_at_the_wall_time_before_them() -> None:
    stated = changes_of("America/New_York", 2027, 2027)
    assert stated == {
        datetime(2027, 3, 14, 2, 0): ("DAYLIGHT", timedelta(hours=-5), timedelta(hours=-4)),
        datetime(2027, 11, 7, 2, 0): ("STANDARD", timedelta(hours=-4), timedelta(hours=-5)),
    }


def test_a_zone_without_daylight_saving_time_has_one_standard_observance() -> None:
    (only,) = observances("Asia/Tokyo", 2026, 2028)
    assert only.name == "STANDARD"
    assert only["TZOFFSETFROM"].td == only["TZOFFSETTO"].td == timedelta(hours=9)
    assert only["DTSTART"].dt <= datetime(2026, 1, 1)
    assert "RRULE" not in only and "RDATE" not in only
    assert str(only["TZNAME"]) == "JST"


@pytest.mark.parametrize(
    ("tzid", "first", "last"),
    [
        ("Europe/Berlin", 2026, 2028),
        ("America/New_York", 2006, 2008),  # the United States moved their changes in 2007
        ("America/Sao_Paulo", 2018, 2020),  # Brazil stopped daylight saving time in 2019
        ("Africa/Casablanca", 2026, 2028),  # changes around Ramadan follow no yearly rule
    ],
)
def test_no_rdate_line_holds_more_than_one_value(tzid: str, first: int, last: int) -> None:
    lines = ical.vtimezone(tzid, first, last).to_ical().decode().split("\r\n")
    rdates = [line for line in lines if line.startswith("RDATE")]
    assert all("," not in line for line in rdates), rdates
    if tzid == "Africa/Casablanca":
        assert len(rdates) >= 4  # the changes are there, one a line


ZONES = [
    ("Europe/Berlin", 2026, 2028),
    ("America/New_York", 2026, 2028),
    ("Asia/Tokyo", 2026, 2028),
    ("America/New_York", 2006, 2008),
    ("America/Sao_Paulo", 2018, 2020),
    ("Africa/Casablanca", 2026, 2028),
    ("Australia/Lord_Howe", 2026, 2027),  # a change of half an hour
    ("America/Santiago", 2026, 2027),  # southern hemisphere, changes at midnight
]


def zone_only(tzid: str, first: int, last: int) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("PRODID", ical.PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add_component(ical.vtimezone(tzid, first, last))
    return calendar.to_ical()


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize(("tzid", "first", "last"), ZONES, ids=[f"{z}-{a}" for z, a, _ in ZONES])
def test_each_reader_sees_the_changes_of_zoneinfo(reader: str, tzid: str, first: int, last: int) -> None:
    zone = ZoneInfo(tzid)
    # The repeated hour of an autumn change is left out of the wall times: there a wall time names two
    # instants, and the planner never writes one (see below).
    instants = unambiguous(tzid, sample_instants(tzid, first, last))
    walls = [moment.astimezone(zone).replace(tzinfo=None) for moment in instants]
    reading = read(reader, zone_only(tzid, first, last), walls, (first, last))
    expected = [
        (c.at, c.before, c.after) for c in zone_changes(zone, *span((first, last))) if c.before != c.after
    ]
    assert bool(expected) == (tzid != "Asia/Tokyo")
    assert reading.changes[tzid] == expected
    wrong = [
        (wall, seen, moment)
        for wall, seen, moment in zip(walls, reading.instants[tzid], instants, strict=True)
        if seen != moment
    ]
    assert wrong == []


@pytest.mark.parametrize(
    ("tzid", "instant", "written"),
    [
        ("Europe/Berlin", datetime(2027, 6, 15, 8, 0, tzinfo=UTC), "20270615T100000"),
        # 02:30 happens twice on 31 October 2027: first in summer time, then in winter time.
        ("Europe/Berlin", datetime(2027, 10, 31, 0, 30, tzinfo=UTC), "20271031T003000Z"),
        ("Europe/Berlin", datetime(2027, 10, 31, 1, 30, tzinfo=UTC), "20271031T013000Z"),
        ("Europe/Berlin", datetime(2027, 10, 31, 1, 0, tzinfo=UTC), "20271031T010000Z"),  # 02:00, the second
        ("Europe/Berlin", datetime(2027, 10, 31, 2, 0, tzinfo=UTC), "20271031T030000"),
        ("Europe/Berlin", datetime(2027, 3, 28, 0, 30, tzinfo=UTC), "20270328T013000"),
        ("Europe/Berlin", datetime(2027, 3, 28, 1, 0, tzinfo=UTC), "20270328T030000"),
        ("America/New_York", datetime(2027, 11, 7, 5, 30, tzinfo=UTC), "20271107T053000Z"),
        ("America/New_York", datetime(2027, 11, 7, 6, 30, tzinfo=UTC), "20271107T063000Z"),
        ("America/New_York", datetime(2027, 11, 7, 7, 30, tzinfo=UTC), "20271107T023000"),
        ("Asia/Tokyo", datetime(2027, 10, 31, 0, 30, tzinfo=UTC), "20271031T093000"),
    ],
)
def test_a_wall_time_that_names_two_instants_is_written_in_utc(
    tzid: str, instant: datetime, written: str
) -> None:
    value = ical.write.wall_time(instant, ZoneInfo(tzid))
    assert value.to_ical().decode() == written
    assert ("TZID" in value.params) == (not written.endswith("Z"))
    assert value.dt == instant


def around_the_changes() -> list[Meeting]:
    """Meetings a Berlin and a New York team hold around the 2027 changes, as the API keeps them (UTC)."""

    def meeting(uid: str, start: datetime, minutes: int) -> Meeting:
        return Meeting(uid=uid, starts_at=start, ends_at=start + timedelta(minutes=minutes))

    return [
        meeting("summer", datetime(2027, 6, 15, 8, 0, tzinfo=UTC), 60),
        meeting("repeated-first", datetime(2027, 10, 31, 0, 30, tzinfo=UTC), 30),  # 02:30-03:00 CEST
        meeting("repeated-second", datetime(2027, 10, 31, 1, 30, tzinfo=UTC), 30),  # 02:30-03:00 CET
        meeting("across-autumn", datetime(2027, 10, 31, 0, 0, tzinfo=UTC), 180),  # 02:00 CEST-04:00 CET
        meeting("across-spring", datetime(2027, 3, 28, 0, 30, tzinfo=UTC), 60),  # 01:30 CET-03:30 CEST
        meeting("winter", datetime(2026, 1, 12, 8, 0, tzinfo=UTC), 60),
        meeting("last", datetime(2028, 12, 18, 8, 0, tzinfo=UTC), 60),
    ]


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("tzid", ["Europe/Berlin", "America/New_York"])
def test_every_reader_places_meetings_around_the_changes_where_they_are(reader: str, tzid: str) -> None:
    meetings = around_the_changes()
    if tzid == "America/New_York":
        meetings += [
            Meeting(
                uid=f"new-york-{n}",
                starts_at=start,
                ends_at=start + timedelta(minutes=30),
            )
            for n, start in enumerate(
                [datetime(2027, 11, 7, 5, 30, tzinfo=UTC), datetime(2027, 11, 7, 6, 30, tzinfo=UTC)]
            )
        ]
    events = [ical.meeting_to_vevent(m, zone=tzid, page_url=None) for m in meetings]
    data = ical.build_calendar("Acme", "", tzid, events).to_ical()
    reading = read(reader, data)
    assert set(reading.events) == {m.uid for m in meetings}
    for meeting in meetings:
        seen = reading.events[meeting.uid]
        assert (seen.start, seen.end) == (meeting.starts_at, meeting.ends_at), meeting.uid
        assert seen.end > seen.start
