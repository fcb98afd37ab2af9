"""Every page runs the same number of SQL statements whether the engagement has 10 meetings or 200."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import event

from planner.extensions import db
from planner.models import AgendaItem, utcnow

SIZES = (10, 200)


def _this_week_slots(zone, count: int):
    """`count` starts spread over this week's days in `zone` (every page, the week view too, shows them)."""
    today = utcnow().astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    for n in range(count):
        day = monday + timedelta(days=n % 7)
        yield datetime.combine(day, time(8 + (n // 7) % 12, 5 * ((n // 84) % 12)), tzinfo=zone)


def _engagement(owner, make_engagement, count: int):
    from planner.operations.schedule import create_meeting

    engagement = make_engagement(owner=owner, name=f"Engagement of {count}")
    contact = None
    try:
        from planner.operations.contacts import create_contact

        contact = create_contact(
            engagement, {"name": "田中 太郎", "email": "tanaka@example.jp"}, now=utcnow()
        )
        db.session.flush()
    except ImportError:
        pass
    now = utcnow()
    for number, start in enumerate(_this_week_slots(engagement.tz, count)):
        meeting = create_meeting(
            engagement,
            {
                "title": f"Design review {number}",
                "purpose": "Agree the order-entry screens",
                "desired_outcome": "Signed-off screens",
                "kind": "design_review",
                "starts_at": start,
                "duration_minutes": 60,
                "status": "cancelled" if number % 9 == 8 else "confirmed",
                "internal": number % 10 == 9,
                "contact_ids": [contact.id] if contact else None,
                "user_ids": [owner.id],
            },
            now=now,
        )
        meeting.agenda.append(AgendaItem(title="Open questions", minutes=20, position=1, created_at=now))
        meeting.agenda.append(AgendaItem(title="Decisions", minutes=15, position=2, created_at=now))
    token = None
    try:
        from planner.operations.feeds import create_feed

        _, token = create_feed(engagement, label="Client", audience="client", user=owner, now=now)
    except ImportError:
        pass
    db.session.commit()
    first = min(engagement.meetings, key=lambda m: m.starts_at)
    return engagement, first, token


@contextmanager
def counting():
    """Count the SQL statements sent while the block runs."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _pages(app, engagement, meeting, token) -> dict[str, tuple[str, bool]]:
    """Page name -> (URL, as API). Pages of features not in this build are left out."""
    endpoints = set(app.view_functions)
    pages = {
        "engagement page": (f"/engagements/{engagement.id}", False),
        "meeting page": (f"/meetings/{meeting.id}", False),
    }
    if "schedule.week" in endpoints:
        pages["week view"] = (f"/engagements/{engagement.id}/week", False)
    if token and "feeds.schedule_page" in endpoints:
        pages["client page"] = (f"/s/{token}", False)
        pages["feed, cold"] = (f"/feeds/{token}.ics", False)
        pages["feed, warm"] = (f"/feeds/{token}.ics", False)
    for rule in app.url_map.iter_rules():
        if rule.rule == "/api/v1/engagements/<int:engagement_id>/meetings" and "GET" in rule.methods:
            pages["API meetings list"] = (f"/api/v1/engagements/{engagement.id}/meetings", True)
    return pages


def forget_kept_pages(app) -> None:
    """Empty this app's per-process caches of rendered pages and fragments."""
    for name in ("page_cache", "schedule_fragments", "week_fragments", "client_schedules"):
        if app.extensions.get(name) is not None:
            app.extensions[name].clear()


def test_query_counts_do_not_grow_with_the_number_of_meetings(
    app, make_user, make_engagement, login, api_headers
):
    owner = make_user()
    built = {size: _engagement(owner, make_engagement, size) for size in SIZES}
    client = app.test_client()
    login(client, owner)
    headers = api_headers(owner)
    counts: dict[str, dict[int, int]] = {}
    for size, (engagement, meeting, token) in built.items():
        pages = _pages(app, engagement, meeting, token)
        for name, (url, as_api) in pages.items():
            extra = {"headers": headers} if as_api else {}
            if name != "feed, cold":
                # Warm once: per-process caches (zones, translations, a feed's first build) are not per page.
                assert client.get(url, **extra).status_code == 200, (name, url)
            forget_kept_pages(app)  # rendered here, not served from a kept copy
            db.session.expire_all()
            with counting() as seen:
                response = client.get(url, **extra)
            assert response.status_code == 200, (name, url)
            counts.setdefault(name, {})[size] = len(seen)
            if not as_api and name.split(",")[0] != "feed":
                with counting() as seen:
                    assert client.get(url, **extra).status_code == 200, (name, url)
                counts.setdefault(f"{name}, kept", {})[size] = len(seen)
    report = ", ".join(f"{name}: {c[SIZES[0]]} vs {c[SIZES[1]]}" for name, c in counts.items())
    print(f"SQL statements per request with {SIZES[0]} vs {SIZES[1]} meetings: {report}")
    growing = {name: c for name, c in counts.items() if c[SIZES[0]] != c[SIZES[1]]}
    assert not growing, f"query counts grow with meetings: {growing}"
    assert {"engagement page", "meeting page"} <= set(counts)


@pytest.mark.parametrize("size", [10])
def test_counting_sees_the_statements_of_a_request(app, make_user, make_engagement, login, size):
    """The counter itself works: a page that reads the database is seen to do so."""
    owner = make_user()
    engagement, _, _ = _engagement(owner, make_engagement, size)
    client = app.test_client()
    login(client, owner)
    with counting() as seen:
        client.get(f"/engagements/{engagement.id}")
    assert any("meetings" in statement for statement in seen)
