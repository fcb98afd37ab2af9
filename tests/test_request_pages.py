"""A client link shows each sender their own request only, through a secret link shown to them once."""

from __future__ import annotations

from requests_fixtures import request_data
from sqlalchemy import select

from planner.extensions import db
from planner.models.requests import MeetingRequest


def _send(client, scene, **data):
    return client.post(f"/s/{scene.token}/request", data=request_data(**data))


def test_request_pages_are_not_reachable_by_number(app, client, scene):
    first = _send(client, scene, requester_name="Hanako Sato", topic="Login error messages")
    other = app.test_client()  # someone else holding the same client link
    _send(other, scene, requester_name="Taro Suzuki", topic="Invoice layout")
    requests = list(db.session.scalars(select(MeetingRequest).order_by(MeetingRequest.id)))
    assert len(requests) == 2
    for req in requests:
        for guess in (str(req.id), f"{req.id:03d}", "0", "-1", "99999999999999999999"):
            assert other.get(f"/s/{scene.token}/request/{guess}").status_code == 404
    # The first sender's page, with its secret link, shows their request and nobody else's.
    page = client.get(first.headers["Location"])
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Hanako Sato" in text and "Taro Suzuki" not in text
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"


def test_only_a_hash_of_the_page_link_is_kept(client, scene):
    sent = _send(client, scene)
    page = sent.headers["Location"].rsplit("/", 1)[1]
    req = db.session.scalar(select(MeetingRequest))
    assert len(page) >= 43 and req.page_token_hash and page not in req.page_token_hash
    # The link is shown on the page itself, once, to the person who sent it.
    assert page in client.get(sent.headers["Location"]).get_data(as_text=True)


def test_a_double_click_finds_the_same_page(client, scene):
    first = _send(client, scene)
    again = _send(client, scene)
    assert again.status_code == 302 and again.headers["Location"] == first.headers["Location"]
    assert len(db.session.scalars(select(MeetingRequest)).all()) == 1


def test_the_same_request_from_another_browser_gets_no_link_to_it(app, client, scene):
    first = _send(client, scene)
    copy = app.test_client()
    answer = _send(copy, scene)  # the very same values, within minutes, from elsewhere
    assert answer.status_code == 200
    page = first.headers["Location"].rsplit("/", 1)[1]
    assert page not in answer.get_data(as_text=True) and "/request/" not in answer.get_data(as_text=True)
    assert client.get(first.headers["Location"]).status_code == 200  # the sender's link still works
    assert len(db.session.scalars(select(MeetingRequest)).all()) == 1
