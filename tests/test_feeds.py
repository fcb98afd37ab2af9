"""Subscribing to feeds as calendar apps do: conditional GETs, changes, cancellations, audiences."""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
import vobject

from planner import ical
from planner.extensions import db
from planner.models import Meeting, utcnow
from planner.models.feeds import FeedLink
from planner.operations.feeds import create_feed, revoke_feed
from planner.operations.schedule import add_agenda_item, cancel_meeting, update_meeting


@pytest.fixture
def setup(make_user, make_engagement, make_meeting):
    owner = make_user(email="owner@example.com", name="Owner")
    engagement = make_engagement(owner=owner, name="Order system", timezone="Europe/Berlin", language="en")
    shared = make_meeting(engagement, title="Kickoff", kind="kickoff")
    add_agenda_item(shared, title="Introductions", minutes=15, now=utcnow())
    secret = make_meeting(
        engagement,
        title="Pricing strategy",
        internal=True,
        internal_notes="Margin floor 18%",
        status="confirmed",
    )
    update_meeting(shared, {"internal_notes": "Client CFO is sceptical"}, now=utcnow())
    db.session.commit()
    client_feed, client_token = create_feed(
        engagement, label="Tanaka", audience="client", user=owner, now=utcnow()
    )
    team_feed, team_token = create_feed(engagement, label="Team", audience="team", user=owner, now=utcnow())
    db.session.commit()
    return {
        "owner": owner,
        "engagement": engagement,
        "shared": shared,
        "secret": secret,
        "client_token": client_token,
        "team_token": team_token,
        "client_feed": client_feed,
    }


def events_of(data: bytes) -> dict[str, icalendar.Event]:
    vobject.readOne(data.decode("utf-8"))  # a second, independent parser accepts it too
    return {str(e["UID"]): e for e in ical.parse_calendar(data)}


def test_subscription_walk(client, setup):
    url = f"/feeds/{setup['client_token']}.ics"
    first = client.get(url)
    assert first.status_code == 200
    assert first.headers["Content-Type"] == "text/calendar; charset=utf-8"
    etag = first.headers["ETag"]
    assert etag and first.headers["Last-Modified"]
    shared = setup["shared"]
    event = events_of(first.data)[shared.uid]
    sequence = int(event["SEQUENCE"])
    assert str(event["STATUS"]) == "CONFIRMED"

    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    since = client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304

    update_meeting(
        shared, {"title": "Kickoff (moved)", "starts_at": shared.starts_at + timedelta(hours=2)}, now=utcnow()
    )
    db.session.commit()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    event = events_of(changed.data)[shared.uid]
    assert int(event["SEQUENCE"]) == sequence + 1
    assert str(event["SUMMARY"]) == "Kickoff (moved)"

    cancel_meeting(shared, now=utcnow())
    db.session.commit()
    cancelled = client.get(url, headers={"If-None-Match": changed.headers["ETag"]})
    assert cancelled.status_code == 200
    event = events_of(cancelled.data)[shared.uid]
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == sequence + 2


def test_head_answers_like_get_without_a_body(client, setup):
    url = f"/feeds/{setup['client_token']}.ics"
    got = client.get(url)
    head = client.head(url)
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["ETag"] == got.headers["ETag"]
    assert head.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert int(head.headers["Content-Length"]) == len(got.data)
    assert client.head(url, headers={"If-None-Match": got.headers["ETag"]}).status_code == 304


def test_client_feed_leaks_nothing_internal(client, setup):
    data = client.get(f"/feeds/{setup['client_token']}.ics").data
    events = events_of(data)
    assert set(events) == {setup["shared"].uid}
    for secret in (b"Pricing strategy", b"Margin floor", b"CFO is sceptical", b"Internal notes"):
        assert secret not in data
    description = str(events[setup["shared"].uid]["DESCRIPTION"])
    assert description.startswith("Purpose: Agree the scope")
    assert "1. Introductions (15 min)" in description
    assert f"/s/{setup['client_token']}#m-{setup['shared'].id}" in description

    team = client.get(f"/feeds/{setup['team_token']}.ics").data
    assert set(events_of(team)) == {setup["shared"].uid, setup["secret"].uid}
    assert b"CFO is sceptical" in team


def test_feed_has_what_calendar_apps_need(client, setup):
    data = client.get(f"/feeds/{setup['client_token']}.ics").data
    calendar = icalendar.Calendar.from_ical(data)
    assert str(calendar["X-WR-CALNAME"]) == "Order system"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H" in data
    assert b"X-PUBLISHED-TTL:PT1H" in data
    assert b"METHOD" not in data
    event = calendar.events[0]
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event["DTSTART"].dt.astimezone(setup["shared"].starts_at.tzinfo) == setup["shared"].starts_at


def test_revoked_or_unknown_token_gets_404(client, setup):
    url = f"/feeds/{setup['client_token']}.ics"
    assert client.get(url).status_code == 200
    revoke_feed(setup["client_feed"], now=utcnow())
    db.session.commit()
    assert client.get(url).status_code == 404
    assert client.get(f"/s/{setup['client_token']}").status_code == 404
    assert client.get("/feeds/not-a-token.ics").status_code == 404
    assert client.get("/feeds/" + "x" * 500 + ".ics").status_code == 404


def test_feed_is_built_once_per_revision(app, client, setup):
    from planner.web.feeds import feed_cache

    url = f"/feeds/{setup['client_token']}.ics"
    for _ in range(5):
        assert client.get(url).status_code == 200
    assert feed_cache().builds == 1
    update_meeting(setup["shared"], {"purpose": "Agree the scope and the order of delivery"}, now=utcnow())
    db.session.commit()
    assert b"order of delivery" in client.get(url).data
    assert feed_cache().builds == 2


def test_last_used_is_written_at_most_once_a_minute(client, setup):
    url = f"/feeds/{setup['client_token']}.ics"
    client.get(url)
    link = db.session.get(FeedLink, setup["client_feed"].id)
    db.session.refresh(link)
    first = link.last_used_at
    assert first is not None
    client.get(url)
    db.session.refresh(link)
    assert link.last_used_at == first
    link.last_used_at = first - timedelta(minutes=2)
    db.session.commit()
    client.get(url)
    db.session.refresh(link)
    assert link.last_used_at > first - timedelta(minutes=2)


def test_cancelled_meetings_leave_the_feed_after_the_configured_days(client, setup):
    engagement = setup["engagement"]
    shared = setup["shared"]
    cancel_meeting(shared, now=utcnow())
    db.session.commit()
    url = f"/feeds/{setup['client_token']}.ics"
    assert shared.uid in events_of(client.get(url).data)
    # Cancelled longer ago than the engagement keeps them: the feed drops it.
    shared = db.session.get(Meeting, shared.id)
    shared.cancelled_at = utcnow() - timedelta(days=engagement.cancelled_feed_days + 1)
    engagement.bump_revision(utcnow())
    db.session.commit()
    assert shared.uid not in events_of(client.get(url).data)


def test_cache_entry_expires_when_a_cancelled_meeting_leaves():
    from datetime import UTC, datetime

    from planner.feed_cache import BuiltFeed, FeedCache

    now = datetime(2026, 11, 1, tzinfo=UTC)
    cache = FeedCache(max_entries=2)
    first = BuiltFeed(b"a", "1", now, valid_until=now + timedelta(days=1))
    second = BuiltFeed(b"b", "2", now, valid_until=None)
    assert cache.get_or_build("k", now, lambda: first) is first
    assert cache.get_or_build("k", now + timedelta(hours=23), lambda: second) is first
    assert cache.get_or_build("k", now + timedelta(days=1), lambda: second) is second
    assert cache.builds == 2
    cache.get_or_build("x", now, lambda: first)
    cache.get_or_build("y", now, lambda: first)
    assert cache.get_or_build("k", now, lambda: first) is first  # "k" was evicted: built again
    assert cache.builds == 5


@pytest.mark.parametrize(
    ("setting", "expected"),
    [(timedelta(hours=6), b"PT6H"), (1800, b"PT30M"), ("soon", b"PT1H"), (-5, b"PT1H")],
)
def test_refresh_interval_is_configurable(make_app, setting, expected):
    app = make_app(FEED_REFRESH=setting)
    with app.app_context():
        from planner.operations.people import create_user
        from planner.operations.schedule import create_engagement

        owner = create_user("o@example.com", "correct horse battery")
        engagement = create_engagement(owner, {"name": "E", "timezone": "Asia/Tokyo"}, now=utcnow())
        db.session.flush()
        _, token = create_feed(engagement, label="x", audience="client", user=owner, now=utcnow())
        db.session.commit()
        data = app.test_client().get(f"/feeds/{token}.ics").data
    assert b"REFRESH-INTERVAL;VALUE=DURATION:" + expected + b"\r\n" in data
    assert b"X-PUBLISHED-TTL:" + expected + b"\r\n" in data


def test_hostile_text_typed_into_a_meeting_cannot_break_the_feed(client, setup, make_meeting):
    hostile = "Plan\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil\r\nX-INJECTED:1 ; , \\ \x07\x1b 日本語🎉"
    meeting = make_meeting(
        setup["engagement"], title=hostile, purpose=hostile * 50, desired_outcome=hostile, location=hostile
    )
    data = client.get(f"/feeds/{setup['client_token']}.ics").data
    events = events_of(data)
    assert set(events) == {setup["shared"].uid, meeting.uid}
    event = events[meeting.uid]
    assert "X-INJECTED" not in event
    assert ical.vevent_fields(event, "UTC")["purpose"] == ical.clean_text(hostile * 50)
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    parsed = vobject.readOne(data.decode("utf-8"))
    assert sorted(e.uid.value for e in parsed.vevent_list) == sorted(events)


def test_polls_in_quick_succession_skip_the_database(make_app, login):
    import time

    from sqlalchemy import event

    app = make_app(FEED_STATE_TTL=0.5)
    with app.app_context():
        from planner.operations.people import create_user
        from planner.operations.schedule import create_engagement, create_meeting

        owner = create_user("o@example.com", "correct horse battery")
        engagement = create_engagement(owner, {"name": "E", "timezone": "Asia/Tokyo"}, now=utcnow())
        meeting = create_meeting(
            engagement,
            {"title": "Kickoff", "purpose": "Agree the plan", "starts_at": utcnow() + timedelta(days=3)},
            now=utcnow(),
        )
        link, token = create_feed(engagement, label="x", audience="client", user=owner, now=utcnow())
        db.session.commit()
        url = f"/feeds/{token}.ics"
        client = app.test_client()
        etag = client.get(url).headers["ETag"]

        statements: list[str] = []
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        for _ in range(5):
            assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
        assert statements == []  # answered from memory: no query, no write

        # A change made elsewhere shows once the remembered state is older than FEED_STATE_TTL.
        update_meeting(db.session.get(Meeting, meeting.id), {"title": "Kickoff (moved)"}, now=utcnow())
        db.session.commit()
        time.sleep(0.6)
        changed = client.get(url, headers={"If-None-Match": etag})
        assert changed.status_code == 200 and b"Kickoff (moved)" in changed.data

        # Revoking through the app takes effect at once, whatever the TTL.
        member = app.test_client()
        login(member, owner)
        assert member.post(f"/feed-links/{link.id}/revoke").status_code == 302
        assert client.get(url).status_code == 404
