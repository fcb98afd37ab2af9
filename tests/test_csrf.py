"""CSRF guards every form: each web POST route, sent without a token, is refused and changes nothing."""

from __future__ import annotations

import re

import pytest
from api_fixtures import fill, is_api, rules, snapshot

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, url: str = "/login") -> str:
    found = TOKEN.search(client.get(url).get_data(as_text=True))
    assert found, f"no CSRF token on {url}"
    return found.group(1)


@pytest.fixture
def guarded(make_app, crew):
    """A client of the app with CSRF on, logged in as the engagement's owner through the real login form."""
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    refused = client.post("/login", data={"email": crew.owner.email, "password": "correct horse battery"})
    assert refused.status_code == 400  # even logging in needs the token
    token = csrf_token(client)
    response = client.post(
        "/login", data={"email": crew.owner.email, "password": "correct horse battery", "csrf_token": token}
    )
    assert response.status_code == 302
    return client


def test_every_web_post_without_a_token_is_refused(app, crew, guarded):
    ids = {
        "engagement_id": crew.engagement.id,
        "meeting_id": crew.meeting.id,
        "contact_id": crew.contact.id,
        "item_id": crew.item.id,
        "membership_id": crew.engagement.membership_of(crew.member).id,
        "token_id": 1,
    }
    before = snapshot()
    checked = 0
    for rule, method in rules(app, {"POST", "PUT", "PATCH", "DELETE"}):
        if is_api(rule):
            continue
        response = guarded.open(fill(rule.rule, ids), method=method, data={"title": "x", "minutes": "5"})
        assert response.status_code == 400, f"{method} {rule.rule} answered {response.status_code}"
        checked += 1
    assert checked > 25
    assert snapshot() == before
    # Still logged in: the refused logout did not happen either.
    assert guarded.get(f"/engagements/{crew.engagement.id}").status_code == 200


def test_the_same_post_with_its_token_works(crew, guarded):
    """The refusals above are the missing token's doing: with it, the owner's post goes through."""
    token = csrf_token(guarded, f"/meetings/{crew.meeting.id}")
    response = guarded.post(
        f"/meetings/{crew.meeting.id}/agenda", data={"title": "Risks", "minutes": "10", "csrf_token": token}
    )
    assert response.status_code == 302
    assert "Risks" in guarded.get(f"/meetings/{crew.meeting.id}").get_data(as_text=True)


def test_the_api_uses_bearer_tokens_not_csrf(make_app, crew):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    response = client.post(
        f"/api/v1/meetings/{crew.meeting.id}/agenda",
        json={"title": "Risks", "minutes": 10},
        headers=crew.headers["member"],
    )
    assert response.status_code == 201
