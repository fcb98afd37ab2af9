"""Member pages for feeds: links shown once, rotation, revocation, panels, downloads and roles."""

from __future__ import annotations

import re

import pytest

from planner import ical
from planner.extensions import db
from planner.models import utcnow
from planner.models.feeds import FeedLink
from planner.operations.schedule import create_meeting


def forget_login() -> None:
    """The test's app context outlives requests: drop the user Flask-Login cached in it."""
    from flask import g

    g.pop("_login_user", None)


@pytest.fixture
def member(make_user, make_engagement, make_meeting, login, client):
    owner = make_user(email="owner@example.com", name="Owner")
    engagement = make_engagement(owner=owner, name="Order system", language="en")
    meeting = make_meeting(engagement, title="Kickoff", internal_notes="Only for us")
    login(client, owner)
    return {"owner": owner, "engagement": engagement, "meeting": meeting}


def test_engagement_and_meeting_pages_show_the_panels(client, member):
    page = client.get(f"/engagements/{member['engagement'].id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"/engagements/{member['engagement'].id}/feeds" in html
    assert f"/engagements/{member['engagement'].id}/export.ics" in html
    meeting_page = client.get(f"/meetings/{member['meeting'].id}").get_data(as_text=True)
    assert f"/meetings/{member['meeting'].id}.ics" in meeting_page


def test_create_link_shows_token_once_and_stores_only_its_hash(client, member):
    engagement = member["engagement"]
    form = {"label": "Tanaka-san", "audience": "client"}
    answer = client.post(f"/engagements/{engagement.id}/feeds", data=form)
    assert answer.status_code == 201
    html = answer.get_data(as_text=True)
    token = re.search(r"/feeds/([A-Za-z0-9_-]{40,})\.ics", html).group(1)
    assert f"webcal://localhost/feeds/{token}.ics" in html
    assert f"/s/{token}" in html
    link = db.session.query(FeedLink).one()
    assert link.token_hash != token and token not in link.token_hash
    assert link.label == "Tanaka-san" and link.audience == "client"
    listing = client.get(f"/engagements/{engagement.id}/feeds").get_data(as_text=True)
    assert "Tanaka-san" in listing
    assert token not in listing
    assert client.get(f"/feeds/{token}.ics").status_code == 200


def test_bad_link_form_changes_nothing(client, member):
    engagement = member["engagement"]
    answer = client.post(f"/engagements/{engagement.id}/feeds", data={"label": "", "audience": "everyone"})
    assert answer.status_code == 400
    assert db.session.query(FeedLink).count() == 0


def test_rotate_and_revoke(client, member):
    engagement = member["engagement"]
    form = {"label": "A", "audience": "team"}
    html = client.post(f"/engagements/{engagement.id}/feeds", data=form).get_data(as_text=True)
    old = re.search(r"/feeds/([A-Za-z0-9_-]{40,})\.ics", html).group(1)
    link = db.session.query(FeedLink).one()
    rotated = client.post(f"/feed-links/{link.id}/rotate").get_data(as_text=True)
    new = re.search(r"/feeds/([A-Za-z0-9_-]{40,})\.ics", rotated).group(1)
    assert new != old
    assert client.get(f"/feeds/{old}.ics").status_code == 404
    assert client.get(f"/feeds/{new}.ics").status_code == 200
    assert client.post(f"/feed-links/{link.id}/revoke").status_code == 302
    assert client.get(f"/feeds/{new}.ics").status_code == 404
    assert "Revoked" in client.get(f"/engagements/{engagement.id}/feeds").get_data(as_text=True)


def test_strangers_cannot_see_or_manage_links(app, client, member, make_user, login):
    from planner.operations.feeds import create_feed

    engagement = member["engagement"]
    link, _ = create_feed(engagement, label="A", audience="client", user=member["owner"], now=utcnow())
    db.session.commit()
    stranger = make_user(email="stranger@example.com")
    other = app.test_client()
    forget_login()
    login(other, stranger)
    assert other.get(f"/engagements/{engagement.id}/feeds").status_code == 404
    assert other.post(f"/feed-links/{link.id}/revoke").status_code == 404
    assert other.get(f"/engagements/{engagement.id}/export.ics").status_code == 404
    assert other.get(f"/meetings/{member['meeting'].id}.ics").status_code == 404
    anonymous = app.test_client()
    forget_login()
    assert anonymous.get(f"/engagements/{engagement.id}/feeds").status_code == 302
    db.session.refresh(link)
    assert link.revoked_at is None


def test_meeting_download_is_a_publish_calendar(client, member):
    meeting = member["meeting"]
    answer = client.get(f"/meetings/{meeting.id}.ics")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/calendar; charset=utf-8"
    disposition = answer.headers["Content-Disposition"]
    assert disposition == "attachment; filename=\"Kickoff.ics\"; filename*=UTF-8''Kickoff.ics"
    assert b"METHOD:PUBLISH" in answer.data
    events = ical.parse_calendar(answer.data)
    assert [str(e["UID"]) for e in events] == [meeting.uid]
    assert b"BEGIN:VTIMEZONE" in answer.data
    assert str(events[0]["ORGANIZER"]) == "mailto:owner@example.com"


def test_download_of_a_japanese_title_keeps_it_for_browsers(client, member, make_meeting):
    meeting = make_meeting(member["engagement"], title="要件定義/レビュー")
    disposition = client.get(f"/meetings/{meeting.id}.ics").headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="')
    assert "filename*=UTF-8''%E8%A6%81" in disposition
    assert "%2F" not in disposition  # no path separator reaches the file name


def test_export_holds_every_meeting_including_cancelled(client, member):
    engagement = member["engagement"]
    data = {
        "title": "Old review",
        "purpose": "Review the draft",
        "starts_at": member["meeting"].starts_at,
        "duration_minutes": 30,
        "status": "cancelled",
    }
    cancelled = create_meeting(engagement, data, now=utcnow())
    db.session.commit()
    answer = client.get(f"/engagements/{engagement.id}/export.ics")
    assert answer.status_code == 200
    assert b"METHOD:PUBLISH" in answer.data
    uids = {str(e["UID"]) for e in ical.parse_calendar(answer.data)}
    assert uids == {member["meeting"].uid, cancelled.uid}
