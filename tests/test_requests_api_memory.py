"""What the request API trusts from memory: upcoming meetings per revision, the caller's access, the contact.

Each is read again as soon as what it depends on changes, in this process or (for the meetings) in another.
"""

from __future__ import annotations

import pytest
from requests_fixtures import request_data
from sqlalchemy import inspect
from test_query_counts import counting

from planner.extensions import db
from planner.models import Contact, Engagement, Meeting, MeetingRequest, utcnow
from planner.operations.contacts import update_contact
from planner.operations.people import remove_member
from planner.operations.requests import submit_request
from planner.operations.schedule import add_agenda_item

URL = "/api/v1/engagements/{}/requests"


@pytest.fixture
def app(make_app):
    """Access and contacts trusted for a minute, longer than any of these tests."""
    app = make_app(FEED_STATE_TTL=60)
    with app.app_context():
        yield app


def body(**overrides) -> dict:
    return {
        "topic": "ログイン画面のエラーメッセージ",
        "reasons": ["nuance"],
        "expected_minutes": 15,
        "people": 2,
        "apply": False,
    } | overrides


def post(client, scene, api_headers, **overrides):
    response = client.post(
        URL.format(scene.engagement.id), json=body(**overrides), headers=api_headers(scene.owner)
    )
    assert response.status_code == 201, response.json
    return response.json


def test_a_second_request_reads_no_meeting_no_membership_and_no_contact(client, scene, api_headers):
    post(client, scene, api_headers, contact_id=scene.contact.id)
    db.session.close()
    with counting() as seen:
        data = post(client, scene, api_headers, contact_id=scene.contact.id)
    assert data["outcome"] == "agenda_item"
    read = " ".join(s for s in seen if s.lstrip().upper().startswith("SELECT")).lower()
    # Only the member's busy times are read (across all their engagements); the engagement's schedule with its
    # agendas, its memberships and contacts come from memory.
    assert "join agenda_items" not in read and "from contacts" not in read
    assert "from memberships \nwhere memberships.engagement_id" not in read
    assert [s for s in seen if "INSERT INTO MEETING_REQUESTS" in s.upper()]


def test_a_schedule_change_in_another_process_is_seen_by_the_next_triage(
    client, scene, api_headers, make_app
):
    assert post(client, scene, api_headers, contact_id=scene.contact.id)["meeting_id"] == scene.review.id
    other = make_app()  # its own caches, as another worker has
    with other.app_context():
        review = db.session.get(Meeting, scene.review.id)
        add_agenda_item(review, title="残りの論点", minutes=45, now=utcnow())  # no free minutes left
        db.session.commit()
    db.session.expire_all()
    data = post(client, scene, api_headers, contact_id=scene.contact.id)
    assert (data["outcome"], data["meeting_id"]) == ("call", None)


def test_a_changed_contact_is_read_again(client, scene, api_headers):
    url, headers, contact_id = URL.format(scene.engagement.id), api_headers(scene.owner), scene.contact.id
    # Only "other" among the reasons, on a topic no meeting is about: the contact's channel decides (R10).
    ask = body(contact_id=contact_id, topic="請求書の送付先", reasons=["other"], expected_minutes=20)
    assert client.post(url, json=ask, headers=headers).json["outcome"] == "email"
    update_contact(db.session.get(Contact, contact_id), {"preferred_channel": "phone"}, now=utcnow())
    db.session.commit()
    db.session.close()  # the next request starts with an empty session, as in production
    assert client.post(url, json=ask, headers=headers).json["outcome"] == "call"


def test_a_member_removed_in_this_process_is_refused_at_once(client, scene, api_headers, make_user):
    from planner.operations.people import add_member

    colleague = make_user()
    add_member(db.session.get(Engagement, scene.engagement.id), colleague, "member")
    db.session.commit()
    headers = api_headers(colleague)
    url = URL.format(scene.engagement.id)
    assert client.post(url, json=body(), headers=headers).status_code == 201
    engagement = db.session.get(Engagement, scene.engagement.id)
    remove_member(engagement, next(m for m in engagement.members if m.user_id == colleague.id))
    db.session.commit()
    assert client.post(url, json=body(), headers=headers).status_code == 404


def test_the_written_row_is_the_row_read_back(app, scene):
    req, refused = submit_request(
        db.session.get(Engagement, scene.engagement.id),
        request_data(reasons=["status_update"], expected_minutes=20, people=1),
        received_via="client_page",
        now=utcnow(),
        apply=False,
    )
    assert refused is None and req.status == "triaged" and req.outcome == "email"
    written = {attr.key: getattr(req, attr.key) for attr in inspect(MeetingRequest).column_attrs}
    req_id = req.id
    db.session.remove()
    fresh = db.session.get(MeetingRequest, req_id)
    assert {attr.key: getattr(fresh, attr.key) for attr in inspect(MeetingRequest).column_attrs} == written
    assert [e.kind for e in fresh.events] == ["received", "triaged"]
    assert written["reply_body"] and written["applied_at"] is None and written["proposed_minutes"] == 0
