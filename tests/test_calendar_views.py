"""Calendar sync in the app: the link page, meeting panel, API, CLI and the sync after a change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from caldav_servers import running_server
from sqlalchemy import func, select

from planner.caldav_backend import CalDAVBackend, href_path, resource_name
from planner.extensions import db
from planner.models import CalendarLink, Meeting, Membership, SyncConflict, SyncState, utcnow
from planner.operations import calendars as ops

pytestmark = pytest.mark.caldav


@pytest.fixture(scope="module")
def radicale(tmp_path_factory):
    with running_server("radicale", tmp_path_factory.mktemp("radicale-views")) as server:
        yield server


@pytest.fixture
def scene(app, make_user, make_engagement, make_meeting):
    app.config["CALDAV_ALLOW_PRIVATE_HOSTS"] = True
    owner = make_user(email="owner@example.com")
    engagement = make_engagement(owner=owner, name="Renewal")
    base = datetime(2027, 3, 1, 1, 0, tzinfo=UTC)
    meetings = [
        make_meeting(engagement, title=f"Meeting {n}", starts_at=base + timedelta(days=n)) for n in range(2)
    ]
    return owner, engagement, meetings


def served(server, link: CalendarLink) -> dict[str, icalendar.Event]:
    path = href_path(link.calendar_url)
    with CalDAVBackend(
        server.url, server.username, server.password, calendar_url=server.url + path[1:]
    ) as app:
        items = app.multiget(app.list_etags())
    events = {}
    for item in items.values():
        event = next(iter(icalendar.Calendar.from_ical(item.ics).walk("VEVENT")))
        events[str(event["UID"])] = event
    return events


def linked(engagement, server) -> CalendarLink:
    link = ops.link_calendar(
        engagement,
        url=server.url,
        username=server.username,
        password=server.password,
        calendar_name=f"Views {utcnow().timestamp()}",
        now=utcnow(),
    )
    db.session.commit()
    return link


def test_link_page_flow_links_a_new_calendar_and_syncs_after_the_response(client, login, scene, radicale):
    owner, engagement, meetings = scene
    login(client, owner)
    page = client.get(f"/engagements/{engagement.id}/calendars")
    assert page.status_code == 200 and b"Find my calendars" in page.data
    response = client.post(
        f"/engagements/{engagement.id}/calendars/connect",
        data={"url": radicale.url, "username": radicale.username, "password": radicale.password},
    )
    assert response.status_code == 302 and response.location.endswith("/calendars/choose")
    choose = client.get(response.location)
    assert b"Create a new calendar" in choose.data
    assert radicale.password.encode() not in choose.data
    done = client.post(
        response.location,
        data={"calendar_url": "__new__", "calendar_name": "Renewal team", "on_cancel": "status"},
    )
    assert done.status_code == 302
    link = db.session.scalar(select(CalendarLink))
    assert served(radicale, link) == {}
    done.close()  # the server has sent the response: now the sync runs
    assert link.display_name == "Renewal team"
    assert radicale.password not in link.secret
    # The first sync ran once the response had been sent.
    db.session.expire_all()
    assert set(served(radicale, link)) == {m.uid for m in meetings}
    status = client.get(f"/engagements/{engagement.id}/calendars")
    assert b"Up to date" in status.data and radicale.password.encode() not in status.data


def test_bad_server_details_are_explained_and_nothing_is_stored(client, login, scene, radicale, app):
    owner, engagement, _ = scene
    login(client, owner)
    wrong = client.post(
        f"/engagements/{engagement.id}/calendars/connect",
        data={"url": radicale.url, "username": radicale.username, "password": "not-the-password"},
    )
    assert wrong.status_code == 400 and b"password" in wrong.data
    assert b"not-the-password" not in wrong.data
    app.config["CALDAV_ALLOW_PRIVATE_HOSTS"] = False
    private = client.post(
        f"/engagements/{engagement.id}/calendars/connect",
        data={"url": radicale.url, "username": radicale.username, "password": radicale.password},
    )
    assert private.status_code == 400 and b"private network" in private.data
    assert db.session.scalar(select(func.count(CalendarLink.id))) == 0


def test_viewers_cannot_link_or_sync(client, login, scene, make_user, radicale):
    owner, engagement, _ = scene
    link = linked(engagement, radicale)
    viewer = make_user(email="viewer@example.com")
    db.session.add(Membership(engagement_id=engagement.id, user_id=viewer.id, role="viewer"))
    db.session.commit()
    login(client, viewer)
    assert client.get(f"/engagements/{engagement.id}/calendars").status_code == 200
    data = {"url": radicale.url, "username": "x", "password": "y"}
    assert client.post(f"/engagements/{engagement.id}/calendars/connect", data=data).status_code == 403
    assert client.post(f"/calendar-links/{link.id}/sync").status_code == 403


def test_strangers_do_not_learn_a_link_exists(client, login, scene, make_user, radicale):
    _, engagement, _ = scene
    link = linked(engagement, radicale)
    login(client, make_user(email="stranger@example.com"))
    assert client.get(f"/engagements/{engagement.id}/calendars").status_code == 404
    assert client.post(f"/calendar-links/{link.id}/sync").status_code == 404


def test_meeting_changed_through_the_api_reaches_the_calendar(client, scene, api_headers, radicale):
    owner, engagement, meetings = scene
    link = linked(engagement, radicale)
    ops.run_sync(link, now=utcnow())
    meeting = db.session.get(Meeting, meetings[0].id)
    response = client.patch(
        f"/api/v1/meetings/{meeting.id}",
        json={"title": "Changed by API", "version": meeting.version},
        headers=api_headers(owner),
    )
    assert response.status_code == 200, response.json
    response.close()
    db.session.expire_all()
    assert str(served(radicale, link)[meeting.uid]["SUMMARY"]) == "Changed by API"


def test_conflict_panel_offers_take_theirs(client, login, scene, radicale):
    owner, engagement, meetings = scene
    link = linked(engagement, radicale)
    ops.run_sync(link, now=utcnow())
    meeting = meetings[1]
    path = href_path(link.calendar_url)
    with CalDAVBackend(
        radicale.url, radicale.username, radicale.password, calendar_url=radicale.url + path[1:]
    ) as app:
        href = path + resource_name(meeting.uid)
        item = app.get(href)
        calendar = icalendar.Calendar.from_ical(item.ics)
        event = next(iter(calendar.walk("VEVENT")))
        del event["SUMMARY"]
        event.add("SUMMARY", "Renamed on a phone")
        app.update(href, calendar.to_ical().decode(), item.etag)
    ops.run_sync(db.session.get(CalendarLink, link.id), now=utcnow())
    login(client, owner)
    overview = client.get(f"/engagements/{engagement.id}")
    assert b"Changed in the calendar too:" in overview.data
    page = client.get(f"/meetings/{meeting.id}")
    assert b"Take theirs" in page.data and b"Renamed on a phone" in page.data
    conflict = db.session.scalar(select(SyncConflict))
    taken = client.post(f"/meetings/{meeting.id}/calendar-conflicts/{conflict.id}/theirs")
    assert taken.status_code == 302
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).title == "Renamed on a phone"
    assert db.session.get(SyncConflict, conflict.id).resolution == "theirs"
    assert b"Take theirs" not in client.get(f"/meetings/{meeting.id}").data


def test_removed_panel_puts_the_meeting_back(client, login, scene, radicale):
    owner, engagement, meetings = scene
    link = linked(engagement, radicale)
    ops.run_sync(link, now=utcnow())
    meeting = meetings[0]
    path = href_path(link.calendar_url)
    with CalDAVBackend(
        radicale.url, radicale.username, radicale.password, calendar_url=radicale.url + path[1:]
    ) as app:
        app.delete(path + resource_name(meeting.uid), None)
    ops.run_sync(db.session.get(CalendarLink, link.id), now=utcnow())
    login(client, owner)
    page = client.get(f"/meetings/{meeting.id}")
    assert b"Put it back" in page.data
    state = db.session.scalar(select(SyncState).where(SyncState.meeting_id == meeting.id))
    pushed = client.post(f"/meetings/{meeting.id}/calendar-removals/{state.id}/push")
    assert pushed.status_code == 302
    pushed.close()
    db.session.expire_all()
    assert len(served(radicale, db.session.get(CalendarLink, link.id))) == 2


def test_api_links_syncs_and_reports_status(client, scene, api_headers, radicale):
    owner, engagement, meetings = scene
    headers = api_headers(owner)
    bad = client.post(
        f"/api/v1/engagements/{engagement.id}/calendars",
        json={"url": radicale.url, "username": radicale.username, "password": radicale.password},
        headers=headers,
    )
    assert bad.status_code == 422 and "calendar_url" in bad.json["fields"]
    wrong = client.post(
        f"/api/v1/engagements/{engagement.id}/calendars",
        json={"url": radicale.url, "username": radicale.username, "password": "nope", "calendar_name": "X"},
        headers=headers,
    )
    assert wrong.status_code == 422 and "password" in wrong.json["fields"]
    created = client.post(
        f"/api/v1/engagements/{engagement.id}/calendars",
        json={
            "url": radicale.url,
            "username": radicale.username,
            "password": radicale.password,
            "calendar_name": "From the API",
        },
        headers=headers,
    )
    assert created.status_code == 201
    created.close()
    link_id = created.json["id"]
    status = client.get(f"/api/v1/calendars/{link_id}", headers=headers)
    assert status.status_code == 200
    assert status.json["last_success_at"] is not None and status.json["pending"] == 0
    assert radicale.password not in status.text
    result = client.post(f"/api/v1/calendars/{link_id}/sync", headers=headers)
    assert result.status_code == 200
    assert result.json["result"]["error"] is None and result.json["result"]["requests"] <= 2
    spec = client.get("/api/v1/openapi.json", headers=headers).json
    for path in (
        "/engagements/{engagement_id}/calendars",
        "/calendars/{link_id}",
        "/calendars/{link_id}/sync",
    ):
        assert path in spec["paths"]


def test_cli_sync_prints_what_it_did(app, scene, radicale):
    _, engagement, _ = scene
    linked(engagement, radicale)
    result = app.test_cli_runner().invoke(args=["planner", "sync", "--engagement", str(engagement.id)])
    assert result.exit_code == 0, result.output
    assert "pushed 2" in result.output


def test_sync_now_button_runs_after_the_response_and_the_page_reports_it(client, login, scene, radicale):
    owner, engagement, meetings = scene
    link = linked(engagement, radicale)
    login(client, owner)
    response = client.post(f"/calendar-links/{link.id}/sync")
    assert response.status_code == 302
    assert db.session.get(CalendarLink, link.id).last_success_at is None
    response.close()
    db.session.expire_all()
    assert db.session.get(CalendarLink, link.id).last_success_at is not None
    page = client.get(f"/engagements/{engagement.id}/calendars")
    assert b"Up to date" in page.data and b"2 sent" in page.data
