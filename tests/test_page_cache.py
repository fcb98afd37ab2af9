"""Whole member pages are served from a per-process cache, and never stale, foreign or one-off."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import PASSWORD

from planner.extensions import db
from planner.models import utcnow
from planner.operations.contacts import create_contact
from planner.operations.people import add_member

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def secret_of(token: str) -> str:
    return token.split(".")[0]


@pytest.fixture(autouse=True)
def still_clock(monkeypatch):
    """Pages keep for a minute: a test running across a minute's turn must not see a second rendering."""
    moment = utcnow().replace(second=5)
    monkeypatch.setattr("planner.web.utcnow", lambda: moment)


def renders(app) -> int:
    return app.extensions["page_cache"].renders


def test_a_page_is_rendered_once_until_anything_on_it_changes(
    app, client, make_user, make_engagement, make_meeting, login
):
    user = make_user()
    engagement = make_engagement(owner=user)
    make_meeting(engagement, title="Scope workshop")
    login(client, user)
    url = f"/engagements/{engagement.id}"
    assert "Scope workshop" in client.get(url).get_data(as_text=True)
    assert "Scope workshop" in client.get(url).get_data(as_text=True)
    assert renders(app) == 1

    # Not a meeting, so the schedule's revision stays: the page still shows the new contact at once.
    create_contact(engagement, {"name": "Kobayashi Aoi"}, now=utcnow())
    db.session.commit()
    assert "Kobayashi Aoi" in client.get(url).get_data(as_text=True)
    assert renders(app) == 2


def test_the_week_view_follows_a_role_change(app, client, make_user, make_engagement, make_meeting, login):
    owner, colleague = make_user(), make_user()
    engagement = make_engagement(owner=owner)
    add_member(engagement, colleague, "member")
    db.session.commit()
    make_meeting(engagement)
    login(client, colleague)
    url = f"/engagements/{engagement.id}/week"
    assert "/meetings/new" in client.get(url).get_data(as_text=True)
    add_member(engagement, colleague, "viewer")
    db.session.commit()
    assert "/meetings/new" not in client.get(url).get_data(as_text=True)


def test_a_change_made_by_another_instance_shows_at_once(
    app, make_app, client, make_user, make_engagement, make_meeting, login
):
    user = make_user()
    engagement = make_engagement(owner=user)
    meeting = make_meeting(engagement, title="Scope workshop")
    login(client, user)
    url = f"/engagements/{engagement.id}"
    assert "Scope workshop" in client.get(url).get_data(as_text=True)

    other = make_app()
    with other.app_context():
        from planner.models import Meeting

        found = db.session.get(Meeting, meeting.id)
        found.title = "Data migration rehearsal"
        found.engagement.bump_revision(utcnow())
        db.session.commit()
    db.session.expire_all()
    page = client.get(url).get_data(as_text=True)
    assert "Data migration rehearsal" in page and "Scope workshop" not in page


def test_a_flash_is_shown_once_and_never_kept(app, client, make_user, make_engagement, login):
    user = make_user()
    engagement = make_engagement(owner=user)
    login(client, user)
    response = client.post(
        f"/engagements/{engagement.id}/edit", data={"name": "Renewal, phase 2", "timezone": "Asia/Tokyo"}
    )
    assert response.status_code == 302
    first = client.get(f"/engagements/{engagement.id}").get_data(as_text=True)
    second = client.get(f"/engagements/{engagement.id}").get_data(as_text=True)
    assert "Engagement saved." in first
    assert "Engagement saved." not in second
    assert "Renewal, phase 2" in second


def test_the_page_moves_on_with_the_clock(app, client, make_user, make_engagement, login, monkeypatch):
    user = make_user()
    engagement = make_engagement(owner=user)
    login(client, user)
    moment = utcnow().replace(second=5)
    monkeypatch.setattr("planner.web.utcnow", lambda: moment)
    client.get(f"/engagements/{engagement.id}")
    monkeypatch.setattr("planner.web.utcnow", lambda: moment + timedelta(seconds=30))
    client.get(f"/engagements/{engagement.id}")
    assert renders(app) == 1
    monkeypatch.setattr("planner.web.utcnow", lambda: moment + timedelta(seconds=60))
    client.get(f"/engagements/{engagement.id}")
    assert renders(app) == 2


@pytest.fixture
def csrf_app(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app


def test_each_session_gets_its_own_working_csrf_token(csrf_app, make_user, make_engagement, make_meeting):
    owner = make_user()
    engagement = make_engagement(owner=owner)
    meeting = make_meeting(engagement)

    def logged_in(user):
        client = csrf_app.test_client()
        token = TOKEN.search(client.get("/login").get_data(as_text=True)).group(1)
        response = client.post(
            "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 302
        return client

    # The same person in two browsers: one rendering, two sessions.
    first, second = logged_in(owner), logged_in(owner)
    url = f"/engagements/{engagement.id}"
    mine = set(TOKEN.findall(first.get(url).get_data(as_text=True)))
    theirs = set(TOKEN.findall(second.get(url).get_data(as_text=True)))
    assert renders(csrf_app) == 1
    assert len(mine) == 1 and len(theirs) == 1 and mine != theirs
    assert not any(token.startswith("csrf-") for token in mine | theirs)

    agenda = f"/meetings/{meeting.id}/agenda"
    refused = second.post(agenda, data={"title": "Risks", "minutes": "10", "csrf_token": mine.pop()})
    assert refused.status_code == 400
    accepted = second.post(agenda, data={"title": "Risks", "minutes": "10", "csrf_token": theirs.pop()})
    assert accepted.status_code == 302


def test_the_client_page_is_kept_whole_and_its_form_still_works(
    csrf_app, make_user, make_engagement, make_meeting
):
    from requests_fixtures import request_data

    from planner.operations.feeds import create_feed

    owner = make_user()
    engagement = make_engagement(owner=owner)
    make_meeting(engagement, title="Design review")
    _, token = create_feed(engagement, label="Client", audience="client", user=owner, now=utcnow())
    db.session.commit()
    first, second = csrf_app.test_client(), csrf_app.test_client()
    mine = set(TOKEN.findall(first.get(f"/s/{token}").get_data(as_text=True)))
    theirs = set(TOKEN.findall(second.get(f"/s/{token}").get_data(as_text=True)))
    assert renders(csrf_app) == 1
    assert len(mine) == 1 and len(theirs) == 1 and mine != theirs

    response = second.post(f"/s/{token}/request", data=request_data(csrf_token=next(iter(theirs))))
    assert response.status_code == 302
    assert second.get(response.headers["Location"]).status_code == 200
    again = second.get(f"/s/{token}").get_data(as_text=True)
    # A token is signed with the second it was made in; the session's secret, its first part, stays the same.
    assert "Design review" in again
    assert {secret_of(token) for token in TOKEN.findall(again)} == {secret_of(token) for token in theirs}


def test_a_kept_page_costs_one_statement_outside_any_transaction(
    app, client, make_user, make_engagement, make_meeting, login
):
    from sqlalchemy import event

    from planner.operations.people import remove_member

    owner, colleague = make_user(), make_user()
    engagement = make_engagement(owner=owner)
    add_member(engagement, colleague, "viewer")
    db.session.commit()
    make_meeting(engagement)
    login(client, colleague)
    url = f"/engagements/{engagement.id}"
    assert client.get(url).status_code == 200
    db.session.close()  # a new request starts with no transaction open

    levels: list[str | None] = []

    def note(conn, *args):
        levels.append(conn.get_execution_options().get("isolation_level"))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert levels == ["AUTOCOMMIT"]

    # The same path still refuses someone who is no longer a member.
    from planner.models import Engagement

    engagement = db.session.get(Engagement, engagement.id)
    remove_member(engagement, next(m for m in engagement.members if m.user_id == colleague.id))
    db.session.commit()
    db.session.close()
    assert client.get(url).status_code == 404


def test_page_cache_mb_zero_renders_every_time(make_app, make_user, make_engagement, make_meeting, login):
    from test_query_counts import counting

    app = make_app(PAGE_CACHE_MB=0)
    with app.app_context():
        user = make_user()
        engagement = make_engagement(owner=user)
        make_meeting(engagement, title="Scope workshop")
        client = app.test_client()
        login(client, user)
        client.get(f"/engagements/{engagement.id}")
        with counting() as seen:
            assert "Scope workshop" in client.get(f"/engagements/{engagement.id}").get_data(as_text=True)
        assert app.extensions["page_cache"] is None
        assert any("FROM meetings" in statement for statement in seen)
