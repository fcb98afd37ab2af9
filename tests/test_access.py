"""Nothing is open by accident: the whole URL map, walked as an anonymous user, a stranger and a viewer.

The expectations come from the URL map itself, so every route any feature adds is checked too;
the only thing written down here is which routes may be public.
"""

from __future__ import annotations

import re

import pytest
from api_fixtures import fill, is_api, rules, snapshot

from planner.web.public import is_public

# The only routes anyone may reach without logging in.
PUBLIC_RULES = [
    r"/login",
    r"/healthz(/ready)?",
    r"/ping",
    r"/static/<path:filename>",
    r"/feeds/<token>\.ics",  # subscribed calendar feeds, behind their secret token
    r"/s/<token>(/.*)?",  # the client's schedule page and its request form, behind the same token
    r"/book/<key>",  # where the client picks a proposed time, behind the key in the reply
]
MUST_BE_PUBLIC = {"/login", "/healthz", "/ping"}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def allowed_public(rule: str) -> bool:
    return any(re.fullmatch(pattern, rule) for pattern in PUBLIC_RULES)


def rule_is_public(app, rule) -> bool:
    return rule.endpoint == "static" or is_public(app.view_functions[rule.endpoint])


def test_public_routes_are_exactly_the_allowed_ones(app):
    public = {rule.rule for rule in app.url_map.iter_rules() if rule_is_public(app, rule)}
    assert {r for r in public if not allowed_public(r)} == set(), "routes public without being allowed"
    assert public >= MUST_BE_PUBLIC
    # Whatever exists of the allowed ones (feeds, the client page) is really reachable without login.
    existing = {rule.rule for rule in app.url_map.iter_rules()}
    assert {r for r in existing if allowed_public(r)} == public


def test_anonymous_is_refused_everywhere_but_the_public_routes(app, client):
    checked = 0
    for rule, method in rules(app):
        url = fill(rule.rule)
        response = client.open(url, method=method)
        where = f"{method} {rule.rule}"
        if rule_is_public(app, rule):
            assert response.status_code < 500, where
            continue
        checked += 1
        if is_api(rule):
            assert response.status_code == 401, where
            assert response.headers["WWW-Authenticate"].startswith("Bearer"), where
            assert response.is_json and response.get_json()["error"], where
        elif method == "GET":
            assert response.status_code == 302, where
            assert response.headers["Location"].startswith("/login"), where
        else:
            assert response.status_code == 401, where
    assert checked > 40


@pytest.fixture
def ids(crew) -> dict[str, int]:
    """Real ids of the crew's engagement and its parts, by URL argument name."""
    owner_membership = crew.engagement.membership_of(crew.owner)
    return {
        "engagement_id": crew.engagement.id,
        "meeting_id": crew.meeting.id,
        "contact_id": crew.contact.id,
        "item_id": crew.item.id,
        "membership_id": owner_membership.id,
        "user_id": crew.owner.id,
        "token_id": 1,  # the owner's API token: nobody else may touch it
    }


def test_a_stranger_finds_nothing_of_an_engagement(app, client, crew, ids, login):
    login(client, crew.stranger)
    checked = 0
    for rule, _method in rules(app, {"GET"}, with_ids=True):
        if rule_is_public(app, rule):
            continue
        headers = crew.headers["stranger"] if is_api(rule) else {}
        response = client.get(fill(rule.rule, ids), headers=headers)
        assert response.status_code == 404, f"GET {rule.rule} answered {response.status_code}"
        checked += 1
    assert checked > 15


def test_a_stranger_cannot_change_anything(app, client, crew, ids, login):
    login(client, crew.stranger)
    before = snapshot()
    for rule, method in rules(app, WRITE_METHODS, with_ids=True):
        if rule_is_public(app, rule):
            continue
        url = fill(rule.rule, ids)
        if is_api(rule):
            response = client.open(url, method=method, json={}, headers=crew.headers["stranger"])
        else:
            response = client.open(url, method=method, data={})
        assert response.status_code == 404, f"{method} {rule.rule} answered {response.status_code}"
    assert snapshot() == before


def test_a_viewer_cannot_change_anything(app, client, crew, ids, login):
    login(client, crew.viewer)
    before = snapshot()
    checked = 0
    for rule, method in rules(app, WRITE_METHODS, with_ids=True):
        if rule_is_public(app, rule):
            continue
        url = fill(rule.rule, ids)
        if is_api(rule):
            response = client.open(url, method=method, json={}, headers=crew.headers["viewer"])
        else:
            response = client.open(url, method=method, data={})
        assert response.status_code in (403, 404), f"{method} {rule.rule} answered {response.status_code}"
        checked += 1
    assert checked > 20
    assert snapshot() == before


def test_impossible_ids_are_plain_404s(app, client, crew, login):
    login(client, crew.owner)
    for rule, _method in rules(app, {"GET"}, with_ids=True):
        headers = crew.headers["owner"] if is_api(rule) else {}
        response = client.get(fill(rule.rule, default_id=10**20), headers=headers)
        assert response.status_code == 404, rule.rule
