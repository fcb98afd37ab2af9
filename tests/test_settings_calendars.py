"""A member links a calendar of their own on the settings page; it is read once and can be unlinked."""

from __future__ import annotations

import pytest
from caldav_servers import caldav_server_fixture, free_port  # noqa: F401
from flask_babel import refresh
from sqlalchemy import select

from planner.caldav_backend import CalDAVBackend
from planner.extensions import db
from planner.models import BusyCalendar, User, utcnow

pytestmark = pytest.mark.caldav


def _calendar(server) -> str:
    with CalDAVBackend(server.url, server.username, server.password) as dav:
        return dav.create_calendar(f"personal {utcnow().timestamp()}").url


def _linked(user) -> list[BusyCalendar]:
    db.session.expire_all()
    return list(db.session.scalars(select(BusyCalendar).where(BusyCalendar.user_id == user.id)))


def test_a_calendar_is_linked_listed_and_unlinked(app, client, make_user, login, caldav_server):
    user, other = make_user(), make_user()
    login(client, user)
    url = _calendar(caldav_server)
    response = client.post(
        "/settings/calendars",
        data={
            "url": caldav_server.url,
            "calendar_url": url,
            "username": caldav_server.username,
            "password": caldav_server.password,
        },
    )
    assert response.status_code == 302
    [linked] = _linked(user)
    assert linked.calendar_url == url
    html = client.get("/settings/").get_data(as_text=True)
    assert url in html and caldav_server.password not in html
    assert html.count('id="personal-calendars"') == 1
    assert "<title>Settings" in html and "<section" not in html.split("</title>")[0]
    # Someone else's calendar is not there to unlink.
    stranger = app.test_client()
    login(stranger, other)
    assert stranger.post(f"/settings/calendars/{linked.id}/remove").status_code == 404
    assert _linked(user)
    assert client.post(f"/settings/calendars/{linked.id}/remove").status_code == 302
    assert _linked(user) == []


def test_a_server_that_cannot_be_read_is_explained_and_nothing_is_kept(client, make_user, login):
    user = make_user()
    user.locale = "ja"
    db.session.commit()
    login(client, user)
    refresh()
    dead = f"http://127.0.0.1:{free_port()}/dav/"
    response = client.post(
        "/settings/calendars", data={"url": dead, "username": "me", "password": "typed secret"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "カレンダーサーバー" in html  # the reason, in the reader's language
    assert "typed secret" not in html and dead in html  # the address stays in the form, the password does not
    assert _linked(db.session.get(User, user.id)) == []
