"""Input no database can hold is refused with a 422 naming the field, before anything is changed."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from planner.extensions import db
from planner.models import Commitment, Engagement, MeetingRequest


@pytest.fixture
def caller(app, make_user, make_engagement, api_token):
    owner = make_user(email="owner@example.com")
    engagement = make_engagement(owner=owner)
    return engagement, {"Authorization": f"Bearer {api_token(owner)}", "Content-Type": "application/json"}


def _post(client, url, headers, body) -> tuple[int, dict]:
    # Sent as text: json.dumps would refuse a lone surrogate, a client's JSON encoder might not.
    raw = body if isinstance(body, str) else json.dumps(body, ensure_ascii=True)
    answer = client.post(url, data=raw, headers=headers)
    return answer.status_code, answer.get_json(silent=True) or {}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


COMMITMENT = {"title": "Send the estimate", "due_at": "2027-01-10T18:00"}
REQUEST = {
    "topic": "Login errors",
    "reasons": ["nuance"],
    "expected_minutes": 15,
    "people": 1,
    "apply": False,
}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"title": "Send", "due_at": "2027-01-10T18:00", "request_id": 9223372036854775808}', "request_id"),
        ('{"title": "Send", "due_at": "2027-01-10T18:00", "request_id": 2147483648}', "request_id"),
        ('{"title": "Send \\ud800", "due_at": "2027-01-10T18:00"}', "title"),
        ('{"title": "Send \\u0000 it", "due_at": "2027-01-10T18:00"}', "title"),
        ('{"title": "Send", "due_at": "2027-01-10T18:00", "promised_amount": 1e400}', "promised_amount"),
        ('{"title": "Send", "due_at": "2027-01-10T18:00", "promised_amount": NaN}', "promised_amount"),
        ('{"title": "Send", "due_at": "2027-01-10T18:00", "promised_amount": -Infinity}', "promised_amount"),
        ('{"title": "Send", "due_at": "2027-01-10T18:00", "colour": "red"}', "colour"),
        ('{"title": "Send", "due_at": "2027-01-10T18:00", "\\ud800": 1}', "?"),
    ],
)
def test_commitments_api_refuses_what_cannot_be_stored(client, caller, body, field):
    engagement, headers = caller
    status, answer = _post(client, f"/api/v1/engagements/{engagement.id}/commitments", headers, body)
    assert status == 422, answer
    assert field in answer["fields"] or (field == "?" and answer["fields"])
    assert _count(Commitment) == 0


def test_a_commitment_patch_refuses_unknown_keys_and_infinity(client, caller):
    engagement, headers = caller
    status, made = _post(client, f"/api/v1/engagements/{engagement.id}/commitments", headers, COMMITMENT)
    assert status == 201
    url = f"/api/v1/commitments/{made['id']}"
    for raw in ('{"revised_amount": 1e999}', '{"colour": "red"}', '{"reason": "a\\u0000b"}'):
        answer = client.patch(url, data=raw, headers=headers)
        assert answer.status_code == 422, raw
    after = client.get(url, headers=headers).get_json()
    assert after["revised_amount"] is None and after["reason"] == ""
    # What a valid body gets back is valid JSON (no Infinity).
    assert json.loads(client.get(url, headers=headers).get_data(as_text=True))["title"] == COMMITMENT["title"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"topic": "Login \ud800"}, "topic"),
        ({"details": "a\x00b"}, "details"),
        ({"contact_id": 2**63}, "contact_id"),
        ({"people": 10**40}, "people"),
        ({"shoe_size": 44}, "shoe_size"),
    ],
)
def test_requests_api_refuses_what_cannot_be_stored(client, caller, change, field):
    engagement, headers = caller
    raw = json.dumps(REQUEST | change, ensure_ascii=True)
    status, answer = _post(client, f"/api/v1/engagements/{engagement.id}/requests", headers, raw)
    assert status == 422 and field in answer["fields"]
    assert _count(MeetingRequest) == 0


@pytest.mark.parametrize(
    "zone", ["localtime", "Factory", "Asia/Tokyo ", " Asia/Tokyo", "asia/tokyo", "posixrules"]
)
def test_time_zones_are_iana_names_exactly(client, caller, zone):
    _engagement, headers = caller
    before = _count(Engagement)
    status, answer = _post(client, "/api/v1/engagements", headers, {"name": "Zoned", "timezone": zone})
    assert status == 422 and "timezone" in answer["fields"]
    assert _count(Engagement) == before
    status, _answer = _post(
        client, "/api/v1/engagements", headers, {"name": "Zoned", "timezone": "Europe/Berlin"}
    )
    assert status == 201


def test_a_stranger_gets_401_before_any_word_about_the_body(client, caller):
    engagement, headers = caller
    status, _ = _post(
        client,
        f"/api/v1/engagements/{engagement.id}/commitments",
        {"Content-Type": "application/json"},
        '{"x": 1e999}',
    )
    assert status == 401


@pytest.mark.parametrize(
    "next_value",
    [
        "/engagements/\r\nSet-Cookie: x=1",
        "//evil.example/",
        "/\\evil.example",
        "https://evil.example/",
        "/a b",
        "javascript:alert(1)",
    ],
)
def test_next_is_only_a_plain_local_path(client, make_user, login, next_value):
    user = make_user(email="ann@example.com")
    answer = client.post(
        "/login",
        query_string={"next": next_value},
        data={"email": user.email, "password": "correct horse battery"},
    )
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/engagements/")
    switched = client.post("/settings/language", data={"locale": "ja", "next": next_value})
    assert switched.status_code == 302 and switched.headers["Location"].endswith("/engagements/")
    kept = client.post("/settings/language", data={"locale": "en", "next": "/settings/?tab=tokens"})
    assert kept.headers["Location"].endswith("/settings/?tab=tokens")


def test_forms_and_query_strings_refuse_nul_and_ids_past_the_database(
    client, make_user, make_engagement, login
):
    user = make_user(email="ann@example.com")
    engagement = make_engagement(owner=user)
    login(client, user)
    too_big = client.get(f"/engagements/{engagement.id}/commitments/new?request_id=99999999999999999999")
    assert too_big.status_code == 422 and "request_id" in too_big.get_data(as_text=True)
    nul = client.post(f"/engagements/{engagement.id}/contacts/new", data={"name": "Sato\x00"})
    assert nul.status_code == 422 and "NUL" in nul.get_data(as_text=True)


def test_web_form_amounts_must_be_finite(client, make_user, make_engagement, login):
    user = make_user(email="ann@example.com")
    engagement = make_engagement(owner=user)
    login(client, user)
    for amount in ("inf", "nan", "1e400", "-Infinity"):
        answer = client.post(
            f"/engagements/{engagement.id}/commitments/new",
            data={
                "title": "Estimate",
                "owed_by": "us",
                "due_at": "2027-01-10T18:00",
                "promised_amount": amount,
            },
        )
        assert answer.status_code == 400, amount
    assert _count(Commitment) == 0
