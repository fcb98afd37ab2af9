"""Reading calendar data made by other apps: zones, floating times, all-day dates and repeating events."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import icalendar
import recurring_ical_events

from planner.ical import parse_calendar, plan_import
from planner.operations.calendar_series import SeriesWrite, apply_series_writes
from planner.sync import occurrences, pair_moved

DATA = Path(__file__).parent / "data"
SERIES = (DATA / "weekly_review_series.ics").read_text()
EXPECTED = [
    datetime(2027, 3, 2, 9, 0, tzinfo=UTC),
    datetime(2027, 3, 9, 9, 0, tzinfo=UTC),
    datetime(2027, 3, 23, 13, 0, tzinfo=UTC),
    datetime(2027, 3, 30, 8, 0, tzinfo=UTC),
    datetime(2027, 4, 6, 8, 0, tzinfo=UTC),
]
MIXED = """BEGIN:VCALENDAR
PRODID:-//Outlook//EN
VERSION:2.0
BEGIN:VEVENT
UID:floating@x
DTSTAMP:20261101T000000Z
DTSTART:20270310T090000
DTEND:20270310T100000
SUMMARY:Floating
END:VEVENT
BEGIN:VEVENT
UID:windows@x
DTSTAMP:20261101T000000Z
DTSTART;TZID=W. Europe Standard Time:20270310T090000
DTEND;TZID=W. Europe Standard Time:20270310T100000
SUMMARY:Windows zone
END:VEVENT
BEGIN:VEVENT
UID:day@x
DTSTAMP:20261101T000000Z
DTSTART;VALUE=DATE:20270311
DTEND;VALUE=DATE:20270312
SUMMARY:Office closed
END:VEVENT
END:VCALENDAR
"""


def test_file_import_reads_zones_and_floating_times_and_leaves_all_day_events_out():
    plan = plan_import(parse_calendar(MIXED.encode()), existing_uids=[], default_zone="Asia/Tokyo")
    starts = {fields["uid"]: fields["starts_at"] for fields in plan.create}
    assert starts == {
        "floating@x": datetime(2027, 3, 10, 0, 0, tzinfo=UTC),  # 09:00 in the engagement's zone
        "windows@x": datetime(2027, 3, 10, 8, 0, tzinfo=UTC),  # W. Europe = Europe/Berlin
    }
    assert plan.skipped == [("Office closed", "all_day")]


def test_file_import_of_a_series_takes_each_occurrence_once():
    plan = plan_import(parse_calendar(SERIES.encode()), existing_uids=[], default_zone="Europe/Berlin")
    assert sorted(fields["starts_at"] for fields in plan.create) == EXPECTED
    again = plan_import(
        parse_calendar(SERIES.encode()),
        existing_uids=[f["uid"] for f in plan.create],
        default_zone="Europe/Berlin",
    )
    assert again.create == [] and len(again.skipped) == 5


def test_occurrences_of_a_served_series_are_keyed_by_their_original_start():
    found = occurrences(SERIES, "/cal/w.ics", '"1"', "Europe/Berlin", (None, None))
    assert sorted(found) == [
        "/cal/w.ics#occurrence=20270302T090000Z",
        "/cal/w.ics#occurrence=20270309T090000Z",
        "/cal/w.ics#occurrence=20270323T090000Z",  # moved to 14:00, still known by its 10:00 slot
        "/cal/w.ics#occurrence=20270330T080000Z",
        "/cal/w.ics#occurrence=20270406T080000Z",
    ]
    assert {r.fields["uid"] for r in found.values()} == {"5e0c7c52-weekly-review@thunderbird.example"}
    within = occurrences(SERIES, "/cal/w.ics", '"1"', "Europe/Berlin", (date(2027, 3, 20), date(2027, 3, 31)))
    assert len(within) == 2
    assert occurrences(MIXED, "/cal/m.ics", '"1"', "Asia/Tokyo", (None, None)) is None


def test_a_moved_series_pairs_its_occurrences_in_order():
    vanished = [("20270309T090000Z", "/c#b"), ("20270302T090000Z", "/c#a")]
    new = [("20270303T090000Z", "/c#a2"), ("20270310T090000Z", "/c#b2")]
    assert pair_moved(vanished, new) == {"/c#a": "/c#a2", "/c#b": "/c#b2"}


def test_writes_into_a_series_are_overrides_and_exdates_in_the_series_form():
    override = icalendar.Calendar()
    override.add("PRODID", "-//Planner//EN")
    override.add("VERSION", "2.0")
    event = icalendar.Event()
    event.add("UID", "ignored")
    event.add("DTSTAMP", datetime(2027, 1, 1, tzinfo=UTC))
    event.add("DTSTART", datetime(2027, 3, 30, 9, 0, tzinfo=UTC))
    event.add("DTEND", datetime(2027, 3, 30, 10, 0, tzinfo=UTC))
    event.add("SUMMARY", "Go-live checklist")
    override.add_component(event)
    written = apply_series_writes(
        SERIES,
        [
            SeriesWrite(1, "20270330T080000Z", override.to_ical().decode(), {}),
            SeriesWrite(2, "20270406T080000Z", "", {}, exclude=True),
        ],
        "Europe/Berlin",
    )
    calendar = icalendar.Calendar.from_ical(written)
    assert "RECURRENCE-ID;TZID=Europe/Berlin:20270330T100000" in written
    assert "EXDATE;TZID=Europe/Berlin:20270406T100000" in written
    seen = recurring_ical_events.of(calendar).between(date(2027, 3, 1), date(2027, 4, 30))
    by_start = {e["DTSTART"].dt.astimezone(UTC): str(e["SUMMARY"]) for e in seen}
    assert sorted(by_start) == [*EXPECTED[:3], datetime(2027, 3, 30, 9, 0, tzinfo=UTC)]
    assert by_start[datetime(2027, 3, 30, 9, 0, tzinfo=UTC)] == "Go-live checklist"
    assert {str(e["UID"]) for e in calendar.walk("VEVENT")} == {"5e0c7c52-weekly-review@thunderbird.example"}
