"""The request API's body: JSON types as sent, the forms' bounds, messages in the caller's language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from planner.extensions import db
from planner.models import MeetingRequest, utcnow

URL = "/api/v1/engagements/{}/requests"
ASK = {"topic": "帳票レイアウト", "reasons": ["nuance"], "expected_minutes": 15, "people": 2, "apply": False}


def post(client, scene, headers, **changes):
    return client.post(URL.format(scene.engagement.id), json=ASK | changes, headers=headers)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"topic": {"text": "x"}}, "topic"),
        ({"topic": "   "}, "topic"),
        ({"topic": "x" * 301}, "topic"),
        ({"details": "x" * 4001}, "details"),
        ({"expected_minutes": True}, "expected_minutes"),
        ({"expected_minutes": "20"}, "expected_minutes"),
        ({"expected_minutes": 15.5}, "expected_minutes"),
        ({"expected_minutes": 481}, "expected_minutes"),
        ({"people": "many"}, "people"),
        ({"reasons": "nuance,bored"}, "reasons"),
        ({"reasons": {"nuance": True}}, "reasons"),
        ({"needed_by": 20261201}, "needed_by"),
        ({"needed_by": "9999-01-01T10:00"}, "needed_by"),
        ({"contact_id": "first"}, "contact_id"),
        ({"requester_name": "x" * 121}, "requester_name"),
    ],
)
def test_a_bad_field_is_named_and_nothing_is_saved(client, scene, api_headers, changes, field):
    response = post(client, scene, api_headers(scene.owner), **changes)
    assert response.status_code == 422 and set(response.json["fields"]) == {field}, response.json
    assert db.session.scalar(select(func.count(MeetingRequest.id))) == 0


def test_comma_reasons_and_defaults_are_taken(client, scene, api_headers):
    response = post(client, scene, api_headers(scene.owner), people=None, reasons="nuance, other")
    assert response.status_code == 201, response.json
    data = response.json
    assert (data["expected_minutes"], data["people"], data["reasons"]) == (15, 1, ["nuance", "other"])
    assert (data["preferred_format"], data["received_via"], data["contact_id"]) == ("any", "api", None)


def test_a_time_without_offset_is_read_in_the_engagement_zone(client, scene, api_headers):
    tomorrow = (utcnow() + timedelta(days=2)).astimezone(scene.engagement.tz).replace(tzinfo=None)
    when = tomorrow.replace(hour=10, minute=0, second=0, microsecond=0)
    response = post(client, scene, api_headers(scene.owner), needed_by=when.isoformat())
    assert response.status_code == 201, response.json
    assert response.json["needed_by"] == when.replace(tzinfo=scene.engagement.tz).isoformat()


def test_messages_are_in_the_callers_language_unless_the_call_asks(client, scene, api_headers):
    scene.owner.locale = "ja"
    db.session.commit()
    headers = api_headers(scene.owner)
    japanese = post(client, scene, headers, topic="", people=0).json["fields"]
    assert japanese["topic"] == ["このフィールドは必須です。"] and "1" in japanese["people"][0]
    assert japanese["people"][0] != "Must be between 1 and 100."
    english = post(client, scene, headers | {"Accept-Language": "en"}, topic="", people=0).json["fields"]
    assert english == {"topic": ["This field is required."], "people": ["Must be between 1 and 100."]}
