"""iCalendar output and input: properties, hostile text, folding, DST, round trips through two parsers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from planner import ical

BERLIN = ZoneInfo("Europe/Berlin")
PAGE = "https://planner.example/s/TOKEN#m-1"


@dataclass
class Person:
    name: str
    email: str | None = None


@dataclass
class Attendee:
    contact: Person | None = None
    user: Person | None = None


@dataclass
class Item:
    title: str
    minutes: int
    position: int


@dataclass
class Meeting:
    uid: str = "m-1@planner.example"
    title: str = "Kickoff"
    purpose: str = "Agree the schedule and who decides what"
    desired_outcome: str = "A signed-off meeting plan"
    kind: str = "kickoff"
    starts_at: datetime = datetime(2026, 10, 20, 8, 0, tzinfo=UTC)
    ends_at: datetime = datetime(2026, 10, 20, 9, 30, tzinfo=UTC)
    location: str | None = "Acme HQ, room 4"
    conference_url: str | None = "https://meet.example.com/abc-def"
    status: str = "confirmed"
    internal: bool = False
    internal_notes: str | None = "Budget is tight; do not mention the second phase."
    sequence: int = 3
    created_at: datetime = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
    updated_at: datetime = datetime(2026, 9, 2, 7, 15, tzinfo=UTC)
    cancelled_at: datetime | None = None
    agenda: list[Item] = field(
        default_factory=lambda: [Item("Plan", 45, 2), Item("Introductions", 15, 1), Item("Next steps", 10, 3)]
    )
    attendees: list[Attendee] = field(
        default_factory=lambda: [
            Attendee(contact=Person("田中 太郎", "tanaka@acme.example.jp")),
            Attendee(user=Person("Ann Lee", "ann@planner.example")),
            Attendee(contact=Person("No Mail")),
        ]
    )


def feed_bytes(
    meetings: list[Meeting], *, audience: str = "team", zone: str = "Europe/Berlin", **kw
) -> bytes:
    events = [ical.meeting_to_vevent(m, zone=zone, page_url=PAGE, audience=audience, **kw) for m in meetings]
    return ical.build_calendar("Acme rollout", "Shared schedule", zone, events).to_ical()


def vobject_events(data: bytes) -> list:
    calendar = vobject.readOne(data.decode("utf-8"))
    return list(calendar.vevent_list)


def test_vevent_carries_what_calendar_apps_show() -> None:
    event = ical.meeting_to_vevent(Meeting(), zone="Europe/Berlin", page_url=PAGE, audience="client")
    assert str(event["UID"]) == "m-1@planner.example"
    assert event["SEQUENCE"] == 3
    assert event["DTSTAMP"].dt == datetime(2026, 9, 2, 7, 15, tzinfo=UTC)
    assert event["LAST-MODIFIED"].dt == datetime(2026, 9, 2, 7, 15, tzinfo=UTC)
    assert event["DTSTART"].dt == datetime(2026, 10, 20, 10, 0, tzinfo=BERLIN)
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event["DTEND"].dt == datetime(2026, 10, 20, 11, 30, tzinfo=BERLIN)
    assert str(event["SUMMARY"]) == "Kickoff"
    assert str(event["LOCATION"]) == "Acme HQ, room 4"
    assert str(event["URL"]) == "https://meet.example.com/abc-def"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["X-PLANNER-PURPOSE"]) == "Agree the schedule and who decides what"
    assert str(event["X-PLANNER-OUTCOME"]) == "A signed-off meeting plan"
    attendees = [str(a) for a in event["ATTENDEE"]]
    assert attendees == ["mailto:tanaka@acme.example.jp", "mailto:ann@planner.example"]
    assert event["ATTENDEE"][0].params["CN"] == "田中 太郎"
    assert "SCHEDULE-AGENT" not in event["ATTENDEE"][0].params


def test_description_leads_with_purpose_then_outcome_agenda_and_link() -> None:
    event = ical.meeting_to_vevent(Meeting(), zone="Europe/Berlin", page_url=PAGE, audience="team")
    assert str(event["DESCRIPTION"]) == (
        "Purpose: Agree the schedule and who decides what\n\n"
        "Desired outcome: A signed-off meeting plan\n\n"
        "Agenda:\n1. Introductions (15 min)\n2. Plan (45 min)\n3. Next steps (10 min)\n\n"
        "Join online: https://meet.example.com/abc-def\n"
        f"Schedule page: {PAGE}\n\n"
        "Internal notes (team only):\nBudget is tight; do not mention the second phase."
    )


def test_description_in_japanese() -> None:
    event = ical.meeting_to_vevent(
        Meeting(), zone="Asia/Tokyo", page_url=None, audience="client", language="ja"
    )
    text = str(event["DESCRIPTION"])
    assert text.startswith("目的: Agree the schedule")
    assert "期待する成果: A signed-off meeting plan" in text
    assert "1. Introductions (15分)" in text
    assert event["DTSTART"].dt == datetime(2026, 10, 20, 17, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def test_client_audience_never_sees_internal_notes_or_meetings() -> None:
    data = feed_bytes([Meeting()], audience="client")
    assert b"Budget is tight" not in data
    assert b"Internal notes" not in data
    with pytest.raises(ValueError):
        ical.meeting_to_vevent(Meeting(internal=True), zone="Europe/Berlin", page_url=None, audience="client")
    team = ical.meeting_to_vevent(
        Meeting(internal=True), zone="Europe/Berlin", page_url=None, audience="team"
    )
    assert str(team["CLASS"]) == "PRIVATE"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("tentative", "TENTATIVE"),
        ("confirmed", "CONFIRMED"),
        ("held", "CONFIRMED"),
        ("cancelled", "CANCELLED"),
    ],
)
def test_status_mapping(status: str, expected: str) -> None:
    event = ical.meeting_to_vevent(Meeting(status=status), zone="Europe/Berlin", page_url=None)
    assert str(event["STATUS"]) == expected
    assert str(event["TRANSP"]) == ("TRANSPARENT" if expected == "CANCELLED" else "OPAQUE")


def test_cancelled_title_is_marked_for_feeds_but_not_for_caldav() -> None:
    feed = ical.meeting_to_vevent(Meeting(status="cancelled"), zone="Europe/Berlin", page_url=None)
    assert str(feed["SUMMARY"]) == "[Cancelled] Kickoff"
    fields = ical.vevent_fields(feed, "Europe/Berlin")
    assert fields["title"] == "Kickoff"
    assert fields["status"] == "cancelled"
    caldav = ical.meeting_to_vevent(
        Meeting(status="cancelled"), zone="Europe/Berlin", page_url=None, for_caldav=True
    )
    assert str(caldav["SUMMARY"]) == "Kickoff"


def test_for_caldav_marks_organizer_and_attendees_client_scheduled() -> None:
    event = ical.meeting_to_vevent(
        Meeting(),
        zone="Europe/Berlin",
        page_url=None,
        for_caldav=True,
        organizer=Person("Ann Lee", "ann@planner.example"),
    )
    assert event["ORGANIZER"].params["SCHEDULE-AGENT"] == "CLIENT"
    assert event["ORGANIZER"].params["CN"] == "Ann Lee"
    assert all(a.params["SCHEDULE-AGENT"] == "CLIENT" for a in event["ATTENDEE"])
    assert "DTEND" in event
    calendar = ical.event_calendar(event, "Europe/Berlin")
    assert "METHOD" not in calendar
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]


def test_calendar_has_feed_properties_and_timezones() -> None:
    tokyo = ical.meeting_to_vevent(Meeting(uid="t"), zone="Asia/Tokyo", page_url=None)
    berlin = ical.meeting_to_vevent(Meeting(uid="b"), zone="Europe/Berlin", page_url=None)
    calendar = ical.build_calendar(
        "Acme", "Shared", "Europe/Berlin", [tokyo, berlin], refresh=timedelta(hours=2)
    )
    data = calendar.to_ical()
    assert b"PRODID:" + ical.PRODID.encode() in data
    assert b"VERSION:2.0" in data
    assert b"CALSCALE:GREGORIAN" in data
    assert b"X-WR-CALNAME:Acme" in data
    assert b"X-WR-CALDESC:Shared" in data
    assert b"X-WR-TIMEZONE:Europe/Berlin" in data
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT2H\r\n" in data
    assert b"X-PUBLISHED-TTL:PT2H\r\n" in data
    assert b"METHOD" not in data
    assert sorted(str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")) == ["Asia/Tokyo", "Europe/Berlin"]
    assert calendar.get_missing_tzids() == set()
    published = ical.build_calendar("Acme", "", "Europe/Berlin", [berlin], method="PUBLISH").to_ical()
    assert b"METHOD:PUBLISH\r\n" in published


def test_output_is_stable_between_builds() -> None:
    assert feed_bytes([Meeting(), Meeting(uid="m-2")]) == feed_bytes([Meeting(), Meeting(uid="m-2")])


def test_round_trip_through_icalendar_and_vobject() -> None:
    meetings = [
        Meeting(),
        Meeting(uid="m-2", title="Design review", kind="design_review", status="tentative"),
    ]
    data = feed_bytes(meetings)
    events = ical.parse_calendar(data)
    assert len(events) == 2
    fields = ical.vevent_fields(events[0], "Asia/Tokyo")
    assert fields["uid"] == "m-1@planner.example"
    assert fields["title"] == "Kickoff"
    assert fields["purpose"] == "Agree the schedule and who decides what"
    assert fields["desired_outcome"] == "A signed-off meeting plan"
    assert fields["kind"] == "kickoff"
    assert fields["starts_at"] == datetime(2026, 10, 20, 8, 0, tzinfo=UTC)
    assert fields["ends_at"] == datetime(2026, 10, 20, 9, 30, tzinfo=UTC)
    assert fields["location"] == "Acme HQ, room 4"
    assert fields["conference_url"] == "https://meet.example.com/abc-def"
    assert fields["status"] == "confirmed"
    assert fields["sequence"] == 3
    assert fields["last_modified"] == datetime(2026, 9, 2, 7, 15, tzinfo=UTC)
    assert fields["all_day"] is False
    assert fields["agenda"] == [
        {"title": "Introductions", "minutes": 15},
        {"title": "Plan", "minutes": 45},
        {"title": "Next steps", "minutes": 10},
    ]
    assert ical.vevent_fields(events[1], "UTC")["status"] == "tentative"
    assert ical.vevent_fields(events[1], "UTC")["kind"] == "design_review"

    parsed = vobject_events(data)
    assert [e.uid.value for e in parsed] == ["m-1@planner.example", "m-2"]
    assert parsed[0].dtstart.value == datetime(2026, 10, 20, 10, 0, tzinfo=BERLIN)
    assert parsed[0].dtstart.value.astimezone(UTC) == datetime(2026, 10, 20, 8, 0, tzinfo=UTC)
    assert parsed[0].description.value.startswith("Purpose: Agree the schedule")
    assert parsed[0].contents["x-planner-purpose"][0].value == "Agree the schedule and who decides what"

    # A second build from the parsed fields gives the same event text.
    again = icalendar.Calendar.from_ical(data).to_ical()
    assert again == data


HOSTILE = [
    "line one\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil",
    "cr only\rX-INJECTED:1\rSUMMARY:owned",
    "lf only\nATTENDEE:mailto:evil@example.com\n",
    'comma, semicolon; colon: backslash \\ \\n \\, quote " caret ^',
    "controls \x00\x01\x07\x08\x0b\x0c\x1b\x7f\x85\u2028\u2029 end",
    "BEGIN:VCALENDAR\nBEGIN:VEVENT\nEND:VEVENT\nEND:VCALENDAR",
    "emoji 🎉👩‍💻🇯🇵 and surrogate \ud83d end",
    "日本語の長い目的。" * 1200,  # about 32 KB of UTF-8
]


def _property_names(event) -> set[str]:
    return {name for name, _ in event.property_items(recursive=False) if name not in ("BEGIN", "END")}


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_neither_breaks_the_file_nor_adds_properties(text: str) -> None:
    hostile = Meeting(
        uid="m-1@planner.example",
        title=text,
        purpose=text,
        desired_outcome=text,
        location=text,
        internal_notes=text,
        conference_url=text,
        agenda=[Item(text, 5, 1)],
        attendees=[
            Attendee(contact=Person(text, "tanaka@acme.example.jp")),
            Attendee(contact=Person("x", text)),
        ],
    )
    benign = ical.meeting_to_vevent(Meeting(conference_url=None), zone="Europe/Berlin", page_url=PAGE)
    data = feed_bytes([hostile])
    data.decode("utf-8")  # valid UTF-8 as a whole

    events = ical.parse_calendar(data)
    assert len(events) == 1
    assert _property_names(events[0]) == _property_names(benign)
    assert str(events[0]["ATTENDEE"]) == "mailto:tanaka@acme.example.jp"  # the hostile address is left out
    fields = ical.vevent_fields(events[0], "Europe/Berlin")
    assert fields["uid"] == "m-1@planner.example"
    assert fields["purpose"] == ical.clean_text(text)
    assert fields["title"] == ical.clean_text(text, single_line=True)

    parsed = vobject_events(data)
    assert len(parsed) == 1
    assert parsed[0].uid.value == "m-1@planner.example"
    assert parsed[0].contents["x-planner-purpose"][0].value == ical.clean_text(text)
    assert parsed[0].summary.value == ical.clean_text(text, single_line=True)
    assert parsed[0].description.value.startswith(
        "Purpose: " + ical.clean_text(text) + "\n\nDesired outcome:"
    )
    assert {k.upper() for k in parsed[0].contents} == _property_names(benign)
    assert len(parsed[0].contents["attendee"]) == 1


def test_folding_never_splits_a_utf8_character() -> None:
    data = feed_bytes([Meeting(title="会議" * 200 + "🎉" * 50, purpose="目的" * 500)])
    lines = data.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    for line in lines:
        line.decode("utf-8")  # every physical line is whole characters
    assert any(line.startswith(b" ") for line in lines)


def test_dst_weekly_meeting_keeps_local_ten_oclock() -> None:
    # Weekly 10:00 Berlin meetings from early October to mid November 2026; DST ends 25 October.
    starts = [datetime(2026, 10, 5, 10, 0, tzinfo=BERLIN) + timedelta(weeks=n) for n in range(7)]
    meetings = [
        Meeting(
            uid=f"weekly-{n}",
            starts_at=start.astimezone(UTC),
            ends_at=(start + timedelta(hours=1)).astimezone(UTC),
        )
        for n, start in enumerate(starts)
    ]
    assert {m.starts_at.hour for m in meetings} == {8, 9}  # UTC hours differ across the change
    data = feed_bytes(meetings, zone="Europe/Berlin")

    for event in ical.parse_calendar(data):
        fields = ical.vevent_fields(event, "UTC")
        local = fields["starts_at"].astimezone(BERLIN)
        assert (local.hour, local.minute) == (10, 0)
        assert (event["DTSTART"].dt.hour, event["DTSTART"].dt.minute) == (10, 0)
    for event in vobject_events(data):
        # vobject builds its zone from the served VTIMEZONE: it must agree with zoneinfo.
        value = event.dtstart.value
        assert (value.hour, value.minute) == (10, 0)
        assert value.astimezone(BERLIN).hour == 10
    assert [e.dtstart.value.utcoffset() for e in vobject_events(data)] == [timedelta(hours=2)] * 3 + [
        timedelta(hours=1)
    ] * 4


def _calendar(body: str, extra: str = "") -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Other tool//EN\r\n"
        + extra
        + "BEGIN:VEVENT\r\nUID:x-1\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Imported\r\n"
        + body
        + "END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def test_reading_zones_by_name_never_by_served_vtimezone() -> None:
    lying_zone = (
        "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
        "TZOFFSETFROM:+0500\r\nTZOFFSETTO:+0500\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
    )
    data = _calendar("DTSTART;TZID=Europe/Berlin:20260701T100000\r\nDURATION:PT45M\r\n", lying_zone)
    fields = ical.vevent_fields(ical.parse_calendar(data)[0], "Asia/Tokyo")
    assert fields["starts_at"] == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    assert fields["ends_at"] == datetime(2026, 7, 1, 8, 45, tzinfo=UTC)
    assert fields["purpose"] is None
    assert fields["status"] == "confirmed"


@pytest.mark.parametrize(
    ("dtstart", "expected"),
    [
        ("DTSTART;TZID=W. Europe Standard Time:20260701T100000", datetime(2026, 7, 1, 8, 0, tzinfo=UTC)),
        (
            "DTSTART;TZID=/citadel.org/20190914_1/Europe/Berlin:20260701T100000",
            datetime(2026, 7, 1, 8, tzinfo=UTC),
        ),
        ("DTSTART;TZID=Nowhere/Imaginary:20260701T100000", datetime(2026, 7, 1, 1, 0, tzinfo=UTC)),
        ("DTSTART:20260701T100000", datetime(2026, 7, 1, 1, 0, tzinfo=UTC)),  # floating: the default zone
        ("DTSTART:20260701T100000Z", datetime(2026, 7, 1, 10, 0, tzinfo=UTC)),
    ],
)
def test_reading_start_times(dtstart: str, expected: datetime) -> None:
    fields = ical.vevent_fields(ical.parse_calendar(_calendar(dtstart + "\r\n"))[0], "Asia/Tokyo")
    assert fields["starts_at"] == expected
    assert fields["ends_at"] == expected  # no DTEND, no DURATION: ends when it starts (RFC 5545)


def test_all_day_event_spans_local_days() -> None:
    data = _calendar("DTSTART;VALUE=DATE:20261102\r\nDTEND;VALUE=DATE:20261104\r\n")
    fields = ical.vevent_fields(ical.parse_calendar(data)[0], "Asia/Tokyo")
    assert fields["all_day"] is True
    assert fields["starts_at"] == datetime(2026, 11, 1, 15, 0, tzinfo=UTC)
    assert fields["ends_at"] == datetime(2026, 11, 3, 15, 0, tzinfo=UTC)
    single = _calendar("DTSTART;VALUE=DATE:20261102\r\n")
    one = ical.vevent_fields(ical.parse_calendar(single)[0], "UTC")
    assert one["ends_at"] - one["starts_at"] == timedelta(days=1)
    assert one["starts_at"].date() == date(2026, 11, 2)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \r\n",
        b"\xff\xfe\x00garbage\x80",
        b"hello, this is not a calendar",
        b"%PDF-1.7\n1 0 obj",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:notadate\r\n",
        b"BEGIN:VCALENDAR\r\nEND:VEVENT\r\n",
        b"BEGIN:VCALENDAR\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTART:notadate\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    ],
)
def test_garbage_raises_a_clear_error(data: bytes) -> None:
    with pytest.raises(ical.ICalError) as error:
        events = ical.parse_calendar(data)
        for event in events:
            ical.vevent_fields(event, "UTC")
    assert str(error.value)


def test_event_without_start_or_with_end_before_start_is_refused() -> None:
    with pytest.raises(ical.ICalError, match="no start"):
        ical.vevent_fields(ical.parse_calendar(_calendar(""))[0], "UTC")
    bad = _calendar("DTSTART:20260701T100000Z\r\nDTEND:20260701T090000Z\r\n")
    with pytest.raises(ical.ICalError, match="ends before"):
        ical.vevent_fields(ical.parse_calendar(bad)[0], "UTC")


def test_feed_meetings_filters_internal_and_old_cancellations() -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    meetings = [
        Meeting(uid="later", starts_at=datetime(2026, 12, 1, tzinfo=UTC)),
        Meeting(uid="internal", internal=True),
        Meeting(uid="fresh-cancel", status="cancelled", cancelled_at=now - timedelta(days=29)),
        Meeting(uid="old-cancel", status="cancelled", cancelled_at=now - timedelta(days=31)),
        Meeting(uid="early", starts_at=datetime(2026, 1, 1, tzinfo=UTC)),
    ]
    client = ical.feed_meetings(meetings, audience="client", now=now, cancelled_days=30)
    assert [m.uid for m in client] == ["early", "fresh-cancel", "later"]
    team = ical.feed_meetings(meetings, audience="team", now=now, cancelled_days=30)
    assert [m.uid for m in team] == ["early", "fresh-cancel", "internal", "later"]


def test_clean_text_and_safe_values() -> None:
    assert ical.clean_text("a\r\nb\rc\u2028d\x00e") == "a\nb\nc\nde"
    assert ical.clean_text("  a \n b\t", single_line=True) == "a b"
    assert ical.safe_email("a@b.example") == "a@b.example"
    assert ical.safe_email("a@b.example\r\nX:1") is None
    assert ical.safe_url("javascript:alert(1)") is None
    assert ical.safe_url("https://x.example/a b") is None


def test_render_feed_shows_only_what_the_audience_may_see() -> None:
    now = datetime(2026, 10, 1, tzinfo=UTC)
    meetings = [
        Meeting(uid="open"),
        Meeting(uid="secret", internal=True, title="Pricing strategy"),
        Meeting(uid="gone", status="cancelled", cancelled_at=now - timedelta(days=40)),
    ]
    common = {
        "name": "Acme",
        "description": "",
        "zone": "Europe/Berlin",
        "meetings": meetings,
        "now": now,
        "cancelled_days": 30,
        "page_url": lambda m: f"https://planner.example/s/T#m-{m.uid}",
    }
    client = ical.render_feed(audience="client", **common)
    assert [str(e["UID"]) for e in ical.parse_calendar(client)] == ["open"]
    assert b"Pricing strategy" not in client
    assert b"Budget is tight" not in client
    assert "https://planner.example/s/T#m-open" in str(ical.parse_calendar(client)[0]["DESCRIPTION"])
    team = ical.render_feed(audience="team", **common)
    assert [str(e["UID"]) for e in ical.parse_calendar(team)] == ["open", "secret"]
    assert len(vobject_events(team)) == 2


def test_plan_import_skips_known_uids() -> None:
    data = feed_bytes([Meeting(uid="known"), Meeting(uid="new"), Meeting(uid="new")])
    plan = ical.plan_import(ical.parse_calendar(data), existing_uids={"known"}, default_zone="Europe/Berlin")
    assert [f["uid"] for f in plan.create] == ["new"]
    assert plan.skipped == [("Kickoff", "duplicate"), ("Kickoff", "duplicate")]


SERIES = (
    "DTSTART;TZID=Europe/Berlin:20261005T100000\r\nDTEND;TZID=Europe/Berlin:20261005T110000\r\n"
    "RRULE:FREQ=WEEKLY;COUNT=5\r\nEXDATE;TZID=Europe/Berlin:20261012T100000\r\n"
    "END:VEVENT\r\nBEGIN:VEVENT\r\nUID:x-1\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Moved\r\n"
    "RECURRENCE-ID;TZID=Europe/Berlin:20261019T100000\r\n"
    "DTSTART;TZID=Europe/Berlin:20261019T150000\r\nDTEND;TZID=Europe/Berlin:20261019T160000\r\n"
)


def test_repeating_events_become_one_meeting_per_occurrence() -> None:
    events = ical.parse_calendar(_calendar(SERIES))
    plan = ical.plan_import(events, existing_uids=(), default_zone="UTC")
    local = [f["starts_at"].astimezone(BERLIN) for f in plan.create]
    assert [(d.month, d.day, d.hour) for d in local] == [(10, 5, 10), (10, 19, 15), (10, 26, 10), (11, 2, 10)]
    assert [f["title"] for f in plan.create] == ["Imported", "Moved", "Imported", "Imported"]
    uids = [f["uid"] for f in plan.create]
    stamps = ["20261005T080000Z", "20261019T080000Z", "20261026T090000Z", "20261102T090000Z"]
    assert uids == [f"x-1-{stamp}" for stamp in stamps]
    # Importing the same file again finds every occurrence already there.
    again = ical.plan_import(ical.parse_calendar(_calendar(SERIES)), existing_uids=uids, default_zone="UTC")
    assert again.create == [] and len(again.skipped) == 4


def test_long_series_are_cut_and_reported() -> None:
    endless = _calendar("DTSTART:20260701T100000Z\r\nRRULE:FREQ=DAILY\r\n")
    plan = ical.plan_import(ical.parse_calendar(endless), existing_uids=(), default_zone="UTC")
    assert len(plan.create) == 200
    assert plan.skipped == [("Imported", "series_limit")]
    broken = _calendar("DTSTART:20260701T100000Z\r\nRRULE:FREQ=SOMETIMES\r\n")
    with pytest.raises(ical.ICalError):
        ical.plan_import(ical.parse_calendar(broken), existing_uids=(), default_zone="UTC")
