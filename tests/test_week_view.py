"""The week view: Monday to Sunday in the engagement's zone, holidays named, DST right, cheap queries."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_babel import refresh
from sqlalchemy import event

from planner.extensions import db
from planner.operations.schedule import add_agenda_item
from planner.week import monday_of, parse_week_start, week_bounds, week_days


def day_sections(html: str) -> dict[str, str]:
    """The week page's day columns keyed by their `d MMM` label (English)."""
    out = {}
    for part in html.split('<section class="week-day')[1:]:
        label = re.search(r'<span class="week-date">([^<]+)</span>', part).group(1)
        out[label] = part
    return out


# --- the pure week helpers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-10-21", date(2026, 10, 19)),
        ("2026-10-19", date(2026, 10, 19)),
        ("2026-10-25", date(2026, 10, 19)),
        (" 2026-11-01 ", date(2026, 10, 26)),
        ("", date(2026, 11, 23)),
        (None, date(2026, 11, 23)),
        ("2026-13-01", None),
        ("yesterday", None),
        ("0001-01-01", None),
        ("2026-10-21T10:00", None),
    ],
)
def test_parse_week_start(raw, expected):
    assert parse_week_start(raw, today=date(2026, 11, 25)) == expected


@pytest.mark.parametrize(
    ("zone", "monday", "hours"),
    [
        ("Europe/Berlin", date(2026, 10, 19), 169),  # clocks go back on Sunday 25 October
        ("America/New_York", date(2026, 10, 26), 169),  # clocks go back on Sunday 1 November
        ("Europe/Berlin", date(2026, 3, 23), 167),  # clocks go forward on Sunday 29 March
        ("Asia/Tokyo", date(2026, 10, 19), 168),
    ],
)
def test_week_bounds_follow_local_midnights(zone, monday, hours):
    start, end = week_bounds(monday, ZoneInfo(zone))
    assert (end - start) == timedelta(hours=hours)
    assert start.astimezone(ZoneInfo(zone)).replace(tzinfo=None) == datetime(
        monday.year, monday.month, monday.day
    )


def test_week_days_place_by_local_date():
    class M:
        def __init__(self, starts_at):
            self.starts_at = starts_at

    tz = ZoneInfo("Europe/Berlin")
    late_sunday = M(datetime(2026, 10, 25, 23, 30, tzinfo=tz))  # 22:30 UTC, still Sunday in Berlin
    monday = M(datetime(2026, 10, 19, 0, 15, tzinfo=tz))  # Sunday 22:15 UTC, already Monday in Berlin
    outside = M(datetime(2026, 10, 26, 0, 0, tzinfo=tz))
    days = week_days(date(2026, 10, 19), tz, [late_sunday, outside, monday], holiday=lambda d: None)
    assert [len(d.meetings) for d in days] == [1, 0, 0, 0, 0, 0, 1]
    assert days[6].is_weekend and not days[0].is_weekend
    assert monday_of(date(2026, 10, 25)) == date(2026, 10, 19)


# --- the page -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "first_monday"),
    [("Europe/Berlin", date(2026, 10, 19)), ("America/New_York", date(2026, 10, 26))],
)
def test_ten_oclock_stays_ten_across_the_dst_change(
    client, make_user, make_engagement, make_meeting, login, zone, first_monday
):
    user = make_user()
    engagement = make_engagement(owner=user, timezone=zone, country=None)
    tz = ZoneInfo(zone)
    # A weekly status on Friday before and Friday after the clocks change, and one on the changeover Sunday.
    friday = first_monday + timedelta(days=4)
    for day in (friday, friday + timedelta(days=7), first_monday + timedelta(days=6)):
        make_meeting(
            engagement,
            title=f"Status {day.isoformat()}",
            purpose="Decide the next week's priorities",
            starts_at=datetime(day.year, day.month, day.day, 10, 0, tzinfo=tz),
            duration_minutes=60,
        )
    login(client, user)
    for monday in (first_monday, first_monday + timedelta(days=7)):
        page = client.get(f"/engagements/{engagement.id}/week?start={monday.isoformat()}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        sections = day_sections(html)
        assert len(sections) == 7
        for offset in (4, 6):
            day = monday + timedelta(days=offset)
            label = f"{day.day} {day.strftime('%b')}"
            if offset == 6 and monday != first_monday:
                assert "week-meeting" not in sections[label]
                continue
            assert f"Status {day.isoformat()}" in sections[label]
            assert "10:00–11:00" in sections[label]
        assert "09:00" not in html and "11:00–12:00" not in html


def test_holidays_named_in_the_ui_language(client, make_user, make_engagement, make_meeting, login):
    user = make_user()
    engagement = make_engagement(owner=user, timezone="Asia/Tokyo", country="JP")
    login(client, user)
    url = f"/engagements/{engagement.id}/week?start=2026-11-25"
    english = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Labor Thanksgiving Day" in day_sections(english)["23 Nov"]
    refresh()  # the fixture's app context outlives requests, and Flask-Babel keeps the locale on it
    japanese = client.get(url, headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "勤労感謝の日" in japanese
    assert "11/23" in japanese
    assert "Labor Thanksgiving Day" not in japanese


def test_week_shows_purposes_flags_vague_ones_and_links(
    client, make_user, make_engagement, make_meeting, login
):
    user = make_user()
    engagement = make_engagement(owner=user)
    tz = engagement.tz
    good = make_meeting(
        engagement, starts_at=datetime(2026, 12, 1, 14, 0, tzinfo=tz), purpose="Agree the data migration plan"
    )
    vague = make_meeting(
        engagement,
        title="Weekly",
        kind="status",
        starts_at=datetime(2026, 12, 2, 9, 0, tzinfo=tz),
        purpose="定例",
    )
    cancelled = make_meeting(
        engagement, title="Dropped call", starts_at=datetime(2026, 12, 3, 9, 0, tzinfo=tz), status="cancelled"
    )
    login(client, user)
    html = client.get(f"/engagements/{engagement.id}/week?start=2026-12-02").get_data(as_text=True)
    sections = day_sections(html)
    assert "Agree the data migration plan" in sections["1 Dec"]
    assert "Vague purpose" in sections["2 Dec"] and "Vague purpose" not in sections["1 Dec"]
    assert "kind-bar-status" in sections["2 Dec"]
    assert "status-cancelled" in sections["3 Dec"]
    for meeting in (good, vague, cancelled):
        assert f'href="/meetings/{meeting.id}"' in html
    assert "2 meetings" in html  # the cancelled one is shown but not counted
    assert f'href="/engagements/{engagement.id}/week?start=2026-11-23"' in html
    assert f'href="/engagements/{engagement.id}/week?start=2026-12-07"' in html


def test_malformed_start_redirects_to_this_week_with_a_message(client, make_user, make_engagement, login):
    user = make_user()
    engagement = make_engagement(owner=user)
    login(client, user)
    for raw in ("garbage", "2026-02-30", "99999-01-01", "%00", "2026-01-01'--"):
        response = client.get(f"/engagements/{engagement.id}/week", query_string={"start": raw})
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/engagements/{engagement.id}/week")
    page = client.get(f"/engagements/{engagement.id}/week").get_data(as_text=True)
    assert "That is not a date" in page


def test_week_is_for_members_only(client, make_user, make_engagement, login):
    owner = make_user()
    engagement = make_engagement(owner=owner)
    assert client.get(f"/engagements/{engagement.id}/week").status_code == 302  # to the login page
    stranger = make_user()
    login(client, stranger)
    assert client.get(f"/engagements/{engagement.id}/week").status_code == 404
    assert client.get("/engagements/99999/week").status_code == 404


def test_viewer_sees_the_week_without_edit_controls(client, make_user, make_engagement, login):
    from planner.operations.people import add_member

    owner, viewer = make_user(), make_user()
    engagement = make_engagement(owner=owner)
    add_member(engagement, viewer, "viewer")
    db.session.commit()
    login(client, viewer)
    html = client.get(f"/engagements/{engagement.id}/week").get_data(as_text=True)
    assert "New meeting" not in html
    assert 'class="active">Week</a>' in html.replace("\n", "")
    assert "week-add" not in html


def count_queries(engine):
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    return statements, lambda: event.remove(engine, "before_cursor_execute", before)


def test_queries_do_not_grow_with_the_meetings_shown(
    app, client, make_user, make_engagement, make_meeting, login
):
    user = make_user()
    engagement = make_engagement(owner=user)
    login(client, user)
    tz = engagement.tz

    def add(n: int) -> None:
        for i in range(n):
            meeting = make_meeting(
                engagement, starts_at=datetime(2026, 12, 1 + i % 5, 9 + i % 8, 0, tzinfo=tz)
            )
            add_agenda_item(meeting, title="Item", minutes=10, now=meeting.created_at)
        db.session.commit()

    url = f"/engagements/{engagement.id}/week?start=2026-11-30"
    add(2)
    db.session.expire_all()
    statements, stop = count_queries(db.engine)
    assert client.get(url).status_code == 200
    stop()
    few = len(statements)
    add(12)
    db.session.expire_all()
    statements, stop = count_queries(db.engine)
    html = client.get(url).get_data(as_text=True)
    stop()
    assert html.count('class="week-meeting ') == 14
    assert len(statements) == few


def test_plan_a_meeting_on_a_day_of_the_week(client, make_user, make_engagement, login):
    user = make_user()
    engagement = make_engagement(owner=user)
    login(client, user)
    html = client.get(f"/engagements/{engagement.id}/week?start=2026-12-21").get_data(as_text=True)
    link = f'href="/engagements/{engagement.id}/meetings/new?date=2026-12-24"'
    assert link in html
    form = client.get(f"/engagements/{engagement.id}/meetings/new?date=2026-12-24").get_data(as_text=True)
    assert 'value="2026-12-24T10:00"' in form
    for junk in ("2026-02-30", "soon", "0001-01-01", ""):
        page = client.get(f"/engagements/{engagement.id}/meetings/new", query_string={"date": junk})
        assert page.status_code == 200
        assert 'name="starts_at"' in page.get_data(as_text=True)
