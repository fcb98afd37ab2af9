"""A member's personal calendar on a real CalDAV server keeps its busy times out of the proposed slots."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from caldav_servers import caldav_server_fixture, free_port  # noqa: F401

from planner.busy import busy_intervals
from planner.caldav_backend import CalDAVBackend, busy_report
from planner.extensions import db
from planner.models import BusyCalendar, utcnow
from planner.operations.busy_calendars import add_busy_calendar
from planner.operations.requests import explanation_of, submit_request
from planner.workdays import is_working_day

pytestmark = pytest.mark.caldav
TOKYO = ZoneInfo("Asia/Tokyo")


def _monday() -> date:
    day = datetime.now(TOKYO).date() + timedelta(days=21)
    while day.weekday() != 0 or not all(is_working_day(day + timedelta(days=n), "JP") for n in range(5)):
        day += timedelta(days=1)
    return day


def _event(uid: str, start: datetime, minutes: int, extra: str = "") -> str:
    stamp = "%Y%m%dT%H%M%S"
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//busy//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART;TZID=Asia/Tokyo:{start:{stamp}}\r\n"
        f"DTEND;TZID=Asia/Tokyo:{start + timedelta(minutes=minutes):{stamp}}\r\n"
        f"SUMMARY:{uid}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def _personal_calendar(server, monday: date) -> str:
    """A calendar with a weekly recurring morning (10:00-12:00), a cancelled and a transparent event."""
    with CalDAVBackend(server.url, server.username, server.password) as dav:
        calendar = dav.create_calendar(f"personal {utcnow().timestamp()}")
    url = calendar.url
    path = urlsplit(url).path
    with CalDAVBackend(server.url, server.username, server.password, calendar_url=url) as dav:
        morning = datetime.combine(monday, time(10))
        afternoon = datetime.combine(monday, time(15))
        dav.create(f"{path}weekly.ics", _event("weekly", morning, 120, "RRULE:FREQ=DAILY;COUNT=5\r\n"))
        dav.create(f"{path}off.ics", _event("off", afternoon, 60, "STATUS:CANCELLED\r\n"))
        dav.create(f"{path}note.ics", _event("note", afternoon, 60, "TRANSP:TRANSPARENT\r\n"))
    return url


def test_busy_times_come_from_a_real_server_with_recurrences_expanded(caldav_server):
    monday = _monday()
    url = _personal_calendar(caldav_server, monday)
    start = datetime.combine(monday, time(0), tzinfo=TOKYO)
    kind, texts = busy_report(
        caldav_server.url,
        caldav_server.username,
        caldav_server.password,
        url,
        start,
        start + timedelta(days=3),
    )
    busy = busy_intervals(kind, texts, start, start + timedelta(days=3), zone="Asia/Tokyo")
    local = [
        (b.astimezone(TOKYO).strftime("%d %H:%M"), e.astimezone(TOKYO).strftime("%H:%M")) for b, e in busy
    ]
    days = [f"{(monday + timedelta(days=n)).day:02d}" for n in range(3)]
    assert local == [(f"{d} 10:00", "12:00") for d in days], (kind, local)


def test_the_slots_avoid_the_members_own_calendar_and_a_dead_server_is_named(app, caldav_server, scene):
    monday = _monday()
    url = _personal_calendar(caldav_server, monday)
    now = datetime.combine(monday, time(9, 30), tzinfo=TOKYO).astimezone(UTC)
    add_busy_calendar(
        scene.owner,
        url=caldav_server.url,
        username=caldav_server.username,
        password=caldav_server.password,
        calendar_url=url,
        now=now,
    )
    db.session.commit()
    ask = {"topic": "マスタ項目の定義", "reasons": ["nuance"], "expected_minutes": 20, "people": 2}
    req, _ = submit_request(scene.engagement, ask, received_via="phone", now=now, actor=scene.owner)
    starts = [datetime.fromisoformat(s["starts_at"]).astimezone(TOKYO) for s in req.proposed_slots]
    assert starts and all(not (time(10) <= s.time() < time(12)) for s in starts), starts
    assert starts[0].time() == time(13, 0)  # 10:00-12:00 personal, 12:00-13:00 lunch

    dead = f"http://127.0.0.1:{free_port()}/"
    db.session.add(
        BusyCalendar(
            user_id=scene.owner.id, server_url=dead, username="u", secret="", calendar_url=dead + "cal/"
        )
    )
    db.session.commit()
    other, _ = submit_request(
        scene.engagement, ask | {"topic": "帳票の項目"}, received_via="phone", now=now, actor=scene.owner
    )
    assert "127.0.0.1" in explanation_of(other, "en") and "could not be read" in explanation_of(other, "en")
    assert other.proposed_slots  # still proposed, from what could be read


def test_the_api_links_lists_and_removes_a_personal_calendar(client, caldav_server, scene, api_headers):
    monday = _monday()
    url = _personal_calendar(caldav_server, monday)
    headers = api_headers(scene.owner)
    body = {"url": caldav_server.url, "username": caldav_server.username, "password": caldav_server.password}
    created = client.post("/api/v1/me/busy-calendars", json=body | {"calendar_url": url}, headers=headers)
    assert created.status_code == 201, created.json
    listed = client.get("/api/v1/me/busy-calendars", headers=headers).json
    assert [c["calendar_url"] for c in listed] == [url] and "password" not in listed[0]
    stored = db.session.get(BusyCalendar, created.json["id"])
    assert caldav_server.password not in stored.secret  # encrypted at rest
    wrong = client.post(
        "/api/v1/me/busy-calendars", json=body | {"password": "wrong", "calendar_url": url}, headers=headers
    )
    if caldav_server.kind == "radicale":  # the test Xandikos asks for no password at all
        assert wrong.status_code == 422 and "password" in wrong.json["error"]
    assert (
        client.delete(f"/api/v1/me/busy-calendars/{created.json['id']}", headers=headers).status_code == 204
    )
    left = client.get("/api/v1/me/busy-calendars", headers=headers).json
    assert created.json["id"] not in [c["id"] for c in left]
