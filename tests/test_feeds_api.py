"""API v1 feed links: create returns the token and links once; delete revokes at once."""

from __future__ import annotations

import pytest

from planner.extensions import db
from planner.models import Contact, Membership
from planner.models.feeds import FeedLink


@pytest.fixture
def api_setup(make_user, make_engagement, make_meeting, api_headers):
    owner = make_user(email="owner@example.com")
    engagement = make_engagement(owner=owner)
    make_meeting(engagement)
    return {"engagement": engagement, "headers": api_headers(owner), "owner": owner}


def test_create_feed_and_subscribe(client, api_setup):
    engagement = api_setup["engagement"]
    answer = client.post(
        f"/api/v1/engagements/{engagement.id}/feeds",
        json={"label": "Sakura team", "audience": "client"},
        headers=api_setup["headers"],
    )
    assert answer.status_code == 201, answer.json
    body = answer.json
    token = body["token"]
    assert len(token) >= 43  # 256 random bits, URL-safe
    assert body["url"] == f"http://localhost/feeds/{token}.ics"
    assert body["webcal_url"] == f"webcal://localhost/feeds/{token}.ics"
    assert body["page_url"] == f"http://localhost/s/{token}"
    assert db.session.get(FeedLink, body["id"]).token_hash != token
    feed = client.get(f"/feeds/{token}.ics")
    assert feed.status_code == 200 and b"BEGIN:VEVENT" in feed.data

    assert client.delete(f"/api/v1/feeds/{body['id']}", headers=api_setup["headers"]).status_code == 204
    assert client.get(f"/feeds/{token}.ics").status_code == 404
    assert client.delete(f"/api/v1/feeds/{body['id']}", headers=api_setup["headers"]).status_code == 204


@pytest.mark.parametrize(
    "payload",
    [{}, {"label": ""}, {"label": "x", "audience": "everyone"}, {"label": 5}, {"label": "x", "secret": 1}],
)
def test_bad_input_is_422_and_creates_nothing(client, api_setup, payload):
    engagement = api_setup["engagement"]
    url = f"/api/v1/engagements/{engagement.id}/feeds"
    answer = client.post(url, json=payload, headers=api_setup["headers"])
    assert answer.status_code == 422
    assert "error" in answer.json
    assert db.session.query(FeedLink).count() == 0


def test_contact_of_another_engagement_is_refused(client, api_setup, make_engagement):
    other = make_engagement(owner=api_setup["owner"], name="Other")
    stranger_contact = Contact(engagement=other, name="Someone else")
    db.session.add(stranger_contact)
    db.session.commit()
    engagement = api_setup["engagement"]
    answer = client.post(
        f"/api/v1/engagements/{engagement.id}/feeds",
        json={"label": "x", "contact_id": stranger_contact.id},
        headers=api_setup["headers"],
    )
    assert answer.status_code == 422
    assert "contact_id" in answer.json["fields"]


def test_viewers_and_strangers_cannot_create_or_revoke(client, api_setup, make_user, api_headers):
    engagement = api_setup["engagement"]
    viewer = make_user(email="viewer@example.com")
    db.session.add(Membership(engagement=engagement, user=viewer, role="viewer"))
    stranger = make_user(email="stranger@example.com")
    db.session.commit()
    url = f"/api/v1/engagements/{engagement.id}/feeds"
    assert client.post(url, json={"label": "x"}, headers=api_headers(viewer)).status_code == 403
    assert client.post(url, json={"label": "x"}, headers=api_headers(stranger)).status_code == 404
    created = client.post(url, json={"label": "x"}, headers=api_setup["headers"]).json
    assert client.delete(f"/api/v1/feeds/{created['id']}", headers=api_headers(stranger)).status_code == 404
    assert client.delete(f"/api/v1/feeds/{created['id']}", headers=api_headers(viewer)).status_code == 403
    assert client.delete("/api/v1/feeds/99999", headers=api_setup["headers"]).status_code == 404
    assert client.get(f"/feeds/{created['token']}.ics").status_code == 200


def test_openapi_describes_the_feed_routes(client, api_setup, app):
    spec = client.get("/api/v1/openapi.json", headers=api_setup["headers"]).json
    assert "post" in spec["paths"]["/engagements/{engagement_id}/feeds"]
    assert "delete" in spec["paths"]["/feeds/{feed_id}"]
    required = set(spec["components"]["schemas"]["FeedLink"]["required"])
    assert required >= {"token", "url", "webcal_url", "page_url"}
    rules = {r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1/") and "feeds" in r.rule}
    described = {"/api/v1" + path.replace("{", "<int:").replace("}", ">") for path in spec["paths"]}
    assert rules <= described
