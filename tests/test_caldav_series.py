"""Repeating and all-day events made in a calendar app, synced with real Radicale and Xandikos servers.

A series becomes one meeting per occurrence; a change to the series or to one occurrence on the
server is followed; a meeting edited in the planner is written back into its occurrence, inside
the series' own resource; nothing is duplicated on either side.
"""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import icalendar
import pytest
import recurring_ical_events
from caldav_servers import caldav_server_fixture, fault_proxy_fixture  # noqa: F401
from sqlalchemy import func, select
from test_caldav_sync import link_new_calendar, other_app, state_of, sync

from planner.caldav_backend import href_path
from planner.extensions import db
from planner.models import CalendarLink, Meeting, utcnow
from planner.operations.schedule import cancel_meeting, update_meeting

pytestmark = pytest.mark.caldav

SERIES = (Path(__file__).parent / "data" / "weekly_review_series.ics").read_text()
ORIGINAL_UID = UID = "5e0c7c52-weekly-review@thunderbird.example"
BERLIN = "Europe/Berlin"
# The occurrences as the series holds them (UTC): 16 March is excluded, 23 March moved to 14:00 local.
EXPECTED = [
    datetime(2027, 3, 2, 9, 0, tzinfo=UTC),
    datetime(2027, 3, 9, 9, 0, tzinfo=UTC),
    datetime(2027, 3, 23, 13, 0, tzinfo=UTC),
    datetime(2027, 3, 30, 8, 0, tzinfo=UTC),  # after the change to summer time: still 10:00 in Berlin
    datetime(2027, 4, 6, 8, 0, tzinfo=UTC),
]


@pytest.fixture
def engagement(make_engagement):
    return make_engagement(name="Müller rollout", timezone=BERLIN)


@pytest.fixture(autouse=True)
def fresh_uid(monkeypatch):
    """A UID of its own for each test: a strict server keeps UIDs unique across the account's calendars."""
    uid = f"{uuid.uuid4().hex[:8]}-weekly-review@thunderbird.example"
    monkeypatch.setattr(sys.modules[__name__], "UID", uid)
    monkeypatch.setattr(sys.modules[__name__], "SERIES", SERIES.replace(ORIGINAL_UID, uid))


def put_series(server, link: CalendarLink, ics: str | None = None, name: str = "weekly.ics") -> None:
    ics = ics or SERIES
    with other_app(server, link) as app:
        app.create(href_path(app.calendar_url) + name, ics)


def edit_series(server, link: CalendarLink, change, name: str = "weekly.ics") -> None:
    """Another app changes the series resource as a whole (master and overridden instances)."""
    with other_app(server, link) as app:
        href = href_path(app.calendar_url) + name
        item = app.get(href)
        calendar = icalendar.Calendar.from_ical(item.ics)
        change(calendar)
        app.update(href, calendar.to_ical().decode(), item.etag)


def served(server, link: CalendarLink) -> list[icalendar.Calendar]:
    with other_app(server, link) as app:
        return [icalendar.Calendar.from_ical(item.ics) for item in app.multiget(app.list_etags()).values()]


def master_of(calendar: icalendar.Calendar) -> icalendar.Event:
    return next(e for e in calendar.walk("VEVENT") if "RECURRENCE-ID" not in e)


def berlin(day: date, hour: int, minute: int = 0) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(BERLIN))


def series_meetings() -> list[Meeting]:
    return list(
        db.session.scalars(select(Meeting).where(Meeting.uid.like(UID + "%")).order_by(Meeting.starts_at))
    )


def test_series_is_imported_once_per_occurrence_and_followed_quietly(engagement, caldav_server):
    link = link_new_calendar(engagement, caldav_server)
    put_series(caldav_server, link)
    result = sync(link)
    assert result.error is None and result.imported == 5 and result.pushed == 0
    meetings = series_meetings()
    assert [m.starts_at for m in meetings] == EXPECTED
    assert all(m.ends_at - m.starts_at == timedelta(minutes=45) for m in meetings)
    assert [m.location for m in meetings] == ["Teams", "Teams", "Client office", "Teams", "Teams"]
    assert all(m.purpose_missing and m.title == "Weekly review with Müller GmbH" for m in meetings)
    again = sync(link)
    assert (again.imported, again.pushed, again.removed) == (0, 0, 0) and again.requests <= 2
    assert len(served(caldav_server, link)) == 1


def test_one_occurrence_moved_in_the_calendar_moves_its_meeting_only(engagement, caldav_server):
    link = link_new_calendar(engagement, caldav_server)
    put_series(caldav_server, link)
    sync(link)

    def move_second(calendar: icalendar.Calendar) -> None:
        override = icalendar.Event()
        override.add("UID", UID)
        override.add("DTSTAMP", datetime(2027, 2, 1, tzinfo=UTC))
        override.add("RECURRENCE-ID", berlin(date(2027, 3, 9), 10))
        override.add("DTSTART", berlin(date(2027, 3, 9), 11, 30))
        override.add("DTEND", berlin(date(2027, 3, 9), 12, 15))
        override.add("SUMMARY", "Weekly review with Müller GmbH")
        override.add("LOCATION", "Teams")
        calendar.add_component(override)

    edit_series(caldav_server, link, move_second)
    result = sync(link)
    assert result.error is None and result.pulled == 1
    assert (result.imported, result.removed, result.conflicts, result.pushed) == (0, 0, 0, 0)
    starts = [m.starts_at for m in series_meetings()]
    assert starts == [EXPECTED[0], datetime(2027, 3, 9, 10, 30, tzinfo=UTC), *EXPECTED[2:]]
    assert sync(link).requests <= 2


def test_whole_series_moved_in_the_calendar_is_followed_without_duplicates(engagement, caldav_server):
    link = link_new_calendar(engagement, caldav_server)
    put_series(caldav_server, link)
    sync(link)

    def one_hour_earlier(calendar: icalendar.Calendar) -> None:
        # As calendar apps do: the series and the references to its occurrences move together.
        for event in calendar.walk("VEVENT"):
            names = ["RECURRENCE-ID"] if "RECURRENCE-ID" in event else ["DTSTART", "DTEND"]
            for name in names:
                value = event[name].dt - timedelta(hours=1)
                del event[name]
                event.add(name, value)
            if "EXDATE" in event:
                del event["EXDATE"]
                event.add("EXDATE", berlin(date(2027, 3, 16), 9))
            event["SUMMARY"] = icalendar.vText("Weekly review (Müller GmbH)")

    edit_series(caldav_server, link, one_hour_earlier)
    result = sync(link)
    assert result.error is None
    assert (result.imported, result.removed, result.conflicts) == (0, 0, 0)
    meetings = series_meetings()
    assert len(meetings) == 5 and db.session.scalar(select(func.count(Meeting.id))) == 5
    moved = [start - timedelta(hours=1) for start in EXPECTED]
    moved[2] = EXPECTED[2]  # the overridden occurrence keeps its own 14:00
    assert [m.starts_at for m in meetings] == moved
    assert {m.title for m in meetings} == {"Weekly review (Müller GmbH)"}
    assert sync(link).requests <= 2


def test_occurrence_removed_in_the_calendar_is_flagged_not_cancelled(engagement, caldav_server):
    link = link_new_calendar(engagement, caldav_server)
    put_series(caldav_server, link)
    sync(link)
    edit_series(caldav_server, link, lambda c: master_of(c).add("EXDATE", berlin(date(2027, 4, 6), 10)))
    result = sync(link)
    assert result.removed == 1 and result.imported == 0
    last = series_meetings()[-1]
    assert last.status == "confirmed" and state_of(link, last).removed_on_server
    assert sync(link).requests <= 2


def test_meeting_edited_here_is_written_into_its_occurrence_and_the_series_stays_one(
    engagement, caldav_server
):
    link = link_new_calendar(engagement, caldav_server)
    put_series(caldav_server, link)
    sync(link)
    fourth = series_meetings()[3]
    update_meeting(
        fourth,
        {"title": "Review: go-live checklist", "purpose": "Agree the go-live checklist with Müller GmbH"},
        now=utcnow(),
    )
    cancel_meeting(series_meetings()[1], now=utcnow())
    db.session.commit()
    result = sync(link)
    assert result.error is None and result.pushed == 2 and result.imported == 0
    [calendar] = served(caldav_server, link)
    master = master_of(calendar)
    assert "RRULE" in master and str(master["SUMMARY"]) == "Weekly review with Müller GmbH"
    overrides = {
        e["RECURRENCE-ID"].dt.astimezone(UTC): e for e in calendar.walk("VEVENT") if "RECURRENCE-ID" in e
    }
    assert str(overrides[EXPECTED[3]]["SUMMARY"]) == "Review: go-live checklist"
    assert "go-live checklist" in str(overrides[EXPECTED[3]]["X-PLANNER-PURPOSE"])
    assert str(overrides[EXPECTED[1]]["STATUS"]) == "CANCELLED"
    # The calendar's own override (23 March, moved from 10:00 to 14:00) is kept.
    assert str(overrides[datetime(2027, 3, 23, 9, 0, tzinfo=UTC)]["LOCATION"]) == "Client office"
    # Any client expanding the series sees each occurrence once, the edited one with its new title.
    seen = recurring_ical_events.of(calendar).between(date(2027, 3, 1), date(2027, 4, 30))
    assert sorted(e["DTSTART"].dt.astimezone(UTC) for e in seen) == EXPECTED
    quiet = sync(link)
    assert (quiet.pushed, quiet.pulled, quiet.imported, quiet.conflicts) == (0, 0, 0, 0)
    assert db.session.scalar(select(func.count(Meeting.id))) == 5


def test_cancelled_here_with_delete_becomes_an_excluded_date(make_engagement, caldav_server):
    engagement = make_engagement(name="Müller rollout", timezone=BERLIN)
    link = link_new_calendar(engagement, caldav_server, on_cancel="delete")
    put_series(caldav_server, link)
    sync(link)
    cancel_meeting(series_meetings()[4], now=utcnow())
    db.session.commit()
    result = sync(link)
    assert result.deleted == 1 and result.error is None
    [calendar] = served(caldav_server, link)
    seen = recurring_ical_events.of(calendar).between(date(2027, 3, 1), date(2027, 4, 30))
    assert sorted(e["DTSTART"].dt.astimezone(UTC) for e in seen) == EXPECTED[:4]
    again = sync(link)
    assert (again.removed, again.imported, again.pushed) == (0, 0, 0)


def test_all_day_events_are_days_not_meetings(client, login, make_user, make_engagement, caldav_server):
    owner = make_user()
    engagement = make_engagement(owner=owner, name="Müller rollout", timezone=BERLIN)
    login(client, owner)
    link = link_new_calendar(engagement, caldav_server)
    calendar = icalendar.Calendar()
    calendar.add("PRODID", "-//Phone//EN")
    calendar.add("VERSION", "2.0")
    for uid, title, rule in (
        ("off@phone", "Office closed", None),
        ("sprint@phone", "Sprint day", {"FREQ": "WEEKLY", "COUNT": 3}),
    ):
        event = icalendar.Event()
        event.add("UID", uid)
        event.add("DTSTAMP", datetime(2026, 11, 1, tzinfo=UTC))
        event.add("DTSTART", date(2027, 3, 5))
        event.add("DTEND", date(2027, 3, 6))
        event.add("SUMMARY", title)
        if rule:
            event.add("RRULE", rule)
        single = icalendar.Calendar()
        single.add("PRODID", "-//Phone//EN")
        single.add("VERSION", "2.0")
        single.add_component(event)
        put_series(caldav_server, link, single.to_ical().decode(), name=f"{uid}.ics")
    result = sync(link)
    assert result.imported == 0 and result.error is None
    assert sorted(n["title"] for n in result.notes if n["code"] == "all_day") == [
        "Office closed",
        "Sprint day",
    ]
    assert db.session.scalar(select(func.count(Meeting.id))) == 0
    # The link page says why, in the reader's language.
    page = client.get(f"/engagements/{engagement.id}/calendars", headers={"Accept-Language": "ja"})
    assert "終日の予定は取り込んでいません（会議ではなく日付の予定です）：Office closed" in page.get_data(
        as_text=True
    )
    assert sync(link).requests <= 2


def test_series_on_a_strict_server_converges(engagement, caldav_server, fault_proxy):
    fault_proxy.strict(urlsplit(caldav_server.calendar_home).path)
    link = link_new_calendar(engagement, caldav_server, via=fault_proxy.url)
    put_series(caldav_server, link)
    assert sync(link).imported == 5
    update_meeting(series_meetings()[0], {"location": "Munich office"}, now=utcnow())
    db.session.commit()
    result = sync(link)
    assert result.error is None and result.pushed == 1 and result.refused == 0
    assert 403 not in {status for _, _, status in fault_proxy.seen}
    [calendar] = served(caldav_server, link)
    overrides = [e for e in calendar.walk("VEVENT") if "RECURRENCE-ID" in e]
    assert {str(e["LOCATION"]) for e in overrides} == {"Munich office", "Client office"}
    assert sync(link).requests <= 2
