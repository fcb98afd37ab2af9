"""Hostile bodies at every write endpoint: always a 4xx with a JSON error, never a change."""

from __future__ import annotations

import itertools
import json

from api_fixtures import snapshot

from planner.api import agenda, contacts, engagements, meetings

NESTED = {"a": {"b": {"c": [1, {"d": None}]}}}


def hostile_values(field) -> list:
    """Values of the wrong type or shape for a field, or beyond its limits."""
    values: list = [NESTED, [NESTED], 1e308]
    if not field.nullable:
        values.append(None)
    if field.kind in ("string", "text", "date", "date-time", "uri", "email"):
        values += [123, True, ["a", "b"], "\x00", "\ud800", "x" * ((field.max_length or 4000) + 1)]
    if field.kind in ("date", "date-time"):
        values += [
            "2026-02-30",
            "２０２６-１２-０９",
            "tomorrow",
            "9999-12-31T23:59-12:00",
            "2026-12-09T25:00",
        ]
    if field.kind == "integer":
        values += ["10", "１０", 1.5, True, -1, 10**40, "", [10]]
    if field.kind == "boolean":
        values += ["true", 1, 0, "", [True]]
    if field.kind == "id-list":
        values += ["1", 1, [True], [1.5], [{"id": 1}], [10**40], [-1], list(range(600))]
    if field.enum:
        values += ["☃", field.enum[0].upper()] + ([] if field.nullable else [""])
    return values


def endpoints(crew) -> list[tuple[str, str, str, dict, dict]]:
    """(method, url, role, valid base body, field table) for every write endpoint."""
    return [
        ("post", "/api/v1/engagements", "owner", {"name": "X"}, engagements.FIELDS),
        ("patch", f"/api/v1/engagements/{crew.engagement.id}", "owner", {}, engagements.FIELDS),
        (
            "post",
            f"/api/v1/engagements/{crew.engagement.id}/contacts",
            "member",
            {"name": "X"},
            contacts.FIELDS,
        ),
        ("patch", f"/api/v1/contacts/{crew.contact.id}", "member", {}, contacts.FIELDS),
        (
            "post",
            f"/api/v1/engagements/{crew.engagement.id}/meetings",
            "member",
            {"title": "T", "purpose": "Agree the scope", "starts_at": "2026-12-09T10:00"},
            meetings.CREATE_FIELDS,
        ),
        ("patch", f"/api/v1/meetings/{crew.meeting.id}", "member", {}, meetings.FIELDS),
        (
            "post",
            f"/api/v1/meetings/{crew.meeting.id}/agenda",
            "member",
            {"title": "T", "minutes": 5},
            agenda.ITEM_FIELDS,
        ),
        ("patch", f"/api/v1/agenda/{crew.item.id}", "member", {}, agenda.ITEM_FIELDS),
    ]


def test_hostile_field_values_are_refused_and_change_nothing(client, crew):
    before = snapshot()
    tried = 0
    for method, url, role, base, fields in endpoints(crew):
        headers = crew.headers[role]
        for name, field in fields.items():
            for value in hostile_values(field):
                response = client.open(url, method=method, json=base | {name: value}, headers=headers)
                tried += 1
                assert 400 <= response.status_code < 500, (
                    method,
                    url,
                    name,
                    repr(value)[:80],
                    response.get_json(),
                )
                assert response.get_json()["error"]
    assert tried > 500
    assert snapshot() == before


RAW_BODIES = [
    (b"", "application/json"),
    (b"not json", "application/json"),
    (b"null", "application/json"),
    (b"[]", "application/json"),
    (b'"a string"', "application/json"),
    (b"42", "application/json"),
    (b"true", "application/json"),
    (b'{"name": "X",', "application/json"),
    (b"\xff\xfe\x00{", "application/json"),
    (b"[" * 50_000 + b"]" * 50_000, "application/json"),
    (b'{"name": "X"}', "text/plain"),
    (b"name=X", "application/x-www-form-urlencoded"),
    (json.dumps({"name": "X" * 3_000_000}).encode(), "application/json"),
]


def test_unreadable_bodies_get_400(client, crew):
    before = snapshot()
    for (body, content_type), (method, url, role, _base, _fields) in itertools.product(
        RAW_BODIES, endpoints(crew)
    ):
        response = client.open(
            url, method=method, data=body, content_type=content_type, headers=crew.headers[role]
        )
        assert response.status_code in (400, 413), (method, url, response.status_code)
        assert response.get_json()["error"]
    assert snapshot() == before


def test_unicode_round_trips(client, crew):
    text = "締切は来週金曜 🗓️ — «scope» Ünïcødé ‮RTL‬ \u3000全角スペース"
    response = client.post(
        f"/api/v1/meetings/{crew.meeting.id}/agenda",
        json={"title": text, "minutes": 5, "notes": text},
        headers=crew.headers["member"],
    )
    assert response.status_code == 201
    item = response.get_json()
    assert item["title"] == text.strip() and item["notes"] == text
