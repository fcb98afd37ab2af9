"""The meetings list comes in pages (`?limit=&cursor=`, `Link: rel="next"`), each row as its own route."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from planner.extensions import db
from planner.models import utcnow
from planner.operations.schedule import add_agenda_item, create_meeting


def _plan(engagement, count: int, *, same_start: int = 0) -> None:
    """`count` meetings a day apart; the first `same_start` of them at one moment (ties on the sort key)."""
    start = datetime(2027, 1, 4, 1, 0, tzinfo=UTC)
    for n in range(count):
        when = start if n < same_start else start + timedelta(days=n)
        create_meeting(
            engagement,
            {
                "title": f"Status {n:03d}",
                "purpose": "Agree what moves this week",
                "starts_at": when,
                "duration_minutes": 30,
                "status": "cancelled" if n % 10 == 9 else "confirmed",
            },
            now=utcnow(),
        )
    db.session.commit()


def _next(response) -> str | None:
    found = re.match(r'<([^>]+)>; rel="next"', response.headers.get("Link", ""))
    return found.group(1) if found else None


def _walk(client, url: str, headers: dict) -> tuple[list[dict], int]:
    rows, pages = [], 0
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.get_json()
        rows += response.get_json()
        pages += 1
        url = _next(response)
    return rows, pages


def test_the_list_comes_in_pages_of_100_that_cover_every_meeting_once(client, make_engagement, api_headers):
    engagement = make_engagement()
    _plan(engagement, 230, same_start=5)
    headers = api_headers(engagement.members[0].user)
    url = f"/api/v1/engagements/{engagement.id}/meetings"

    first = client.get(url, headers=headers)
    assert len(first.get_json()) == 100 and _next(first)
    rows, pages = _walk(client, url, headers)

    assert pages == 3
    assert len(rows) == 230 and len({r["id"] for r in rows}) == 230
    keys = [(r["starts_at"], r["id"]) for r in rows]
    assert keys == sorted(keys, key=lambda k: (datetime.fromisoformat(k[0]), k[1]))


def test_a_chosen_limit_and_the_filters_carry_over_to_the_next_page(client, make_engagement, api_headers):
    engagement = make_engagement()
    _plan(engagement, 30)
    headers = api_headers(engagement.members[0].user)
    url = f"/api/v1/engagements/{engagement.id}/meetings?status=confirmed&limit=7"

    first = client.get(url, headers=headers)
    assert len(first.get_json()) == 7
    assert "status=confirmed" in _next(first) and "limit=7" in _next(first)
    rows, pages = _walk(client, url, headers)
    assert len(rows) == 27 and pages == 4
    assert {r["status"] for r in rows} == {"confirmed"}


def test_a_meeting_added_between_pages_is_neither_repeated_nor_skipped(client, make_engagement, api_headers):
    engagement = make_engagement()
    _plan(engagement, 20)
    headers = api_headers(engagement.members[0].user)
    first = client.get(f"/api/v1/engagements/{engagement.id}/meetings?limit=10", headers=headers)
    create_meeting(
        engagement,
        {
            "title": "Early",
            "purpose": "Settle the invoice format",
            "starts_at": datetime(2026, 12, 1, tzinfo=UTC),
        },
        now=utcnow(),
    )
    db.session.commit()
    rest, _ = _walk(client, _next(first), headers)
    titles = [r["title"] for r in first.get_json() + rest]
    assert titles == [f"Status {n:03d}" for n in range(20)]


def test_each_row_is_the_meeting_as_its_own_route_shows_it(
    client, make_engagement, make_meeting, api_headers
):
    from planner.operations.contacts import create_contact

    engagement = make_engagement()
    contact = create_contact(engagement, {"name": "山田", "email": "yamada@sakura.example"}, now=utcnow())
    db.session.flush()
    meeting = make_meeting(engagement, title="Design review", purpose="MTG", location="Room 3")
    add_agenda_item(meeting, title="Open questions", minutes=15, now=utcnow())
    add_agenda_item(meeting, title="Next steps", minutes=5, now=utcnow())
    db.session.commit()
    headers = api_headers(engagement.members[0].user)
    client.patch(
        f"/api/v1/meetings/{meeting.id}",
        json={"contact_ids": [contact.id], "user_ids": [engagement.members[0].user_id]},
        headers=headers,
    )

    listed = client.get(f"/api/v1/engagements/{engagement.id}/meetings", headers=headers).get_json()
    alone = client.get(f"/api/v1/meetings/{meeting.id}", headers=headers).get_json()

    assert listed == [alone]
    assert (
        alone["purpose_vague"] is True
        and alone["agenda_minutes"] == 20
        and alone["contact_ids"] == [contact.id]
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=ten", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=WyJub3QgYSBkYXRlIiwgMV0", "cursor"),
    ],
)
def test_a_bad_limit_or_cursor_is_named(client, make_engagement, api_headers, query, field):
    engagement = make_engagement()
    headers = api_headers(engagement.members[0].user)
    response = client.get(f"/api/v1/engagements/{engagement.id}/meetings?{query}", headers=headers)
    assert response.status_code == 422
    assert field in response.get_json()["fields"]


def test_a_page_costs_the_same_statements_whatever_its_size(app, client, make_engagement, api_headers):
    engagement = make_engagement()
    _plan(engagement, 60)
    headers = api_headers(engagement.members[0].user)
    url = f"/api/v1/engagements/{engagement.id}/meetings?limit="
    client.get(url + "3", headers=headers)  # token and access remembered, as on a busy instance
    counts = []
    for size in ("5", "60"):
        statements = []

        def count(*_args, statements=statements) -> None:
            statements.append(1)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert len(client.get(url + size, headers=headers).get_json()) == int(size)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_a_kept_page_follows_every_change_at_once(client, make_engagement, api_headers):
    engagement = make_engagement()
    _plan(engagement, 3)
    headers = api_headers(engagement.members[0].user)
    url = f"/api/v1/engagements/{engagement.id}/meetings"
    first = client.get(url, headers=headers).get_json()
    assert client.get(url, headers=headers).get_json() == first  # kept

    meeting_id = first[0]["id"]
    client.patch(f"/api/v1/meetings/{meeting_id}", json={"title": "Moved review"}, headers=headers)
    assert client.get(url, headers=headers).get_json()[0]["title"] == "Moved review"

    client.post(
        f"/api/v1/meetings/{meeting_id}/agenda", json={"title": "Risks", "minutes": 5}, headers=headers
    )
    assert [i["title"] for i in client.get(url, headers=headers).get_json()[0]["agenda"]] == ["Risks"]
