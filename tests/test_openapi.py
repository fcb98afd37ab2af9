"""The OpenAPI description stays true to the URL map, whatever routes any feature adds."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

PREFIX = "/api/v1"
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def openapi_path(rule: str) -> str:
    """`/api/v1/meetings/<int:meeting_id>` → `/meetings/{meeting_id}` (the spec's server is /api/v1)."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)[len(PREFIX) :] or "/"


def routes(app) -> set[tuple[str, str]]:
    return {
        (openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(PREFIX + "/")
        for method in rule.methods - IGNORED_METHODS
    }


def described(spec: dict) -> set[tuple[str, str]]:
    verbs = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
    return {(path, method) for path, item in spec["paths"].items() for method in item if method in verbs}


def test_served_description_is_valid_openapi(client, lone):
    response = client.get("/api/v1/openapi.json", headers=lone.headers)
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    assert spec["openapi"].startswith("3.")
    assert spec["servers"] == [{"url": PREFIX}]


def test_every_route_is_described_and_every_description_is_a_route(app, client, lone):
    spec = client.get("/api/v1/openapi.json", headers=lone.headers).get_json()
    missing = routes(app) - described(spec)
    stale = described(spec) - routes(app)
    assert not missing, f"routes without a description in planner/api/openapi.py: {sorted(missing)}"
    assert not stale, f"described but no such route: {sorted(stale)}"


def test_every_operation_says_how_it_fails(client, lone):
    spec = client.get("/api/v1/openapi.json", headers=lone.headers).get_json()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            codes = set(operation["responses"])
            assert any(code.startswith("2") for code in codes), (path, method)
            assert "401" in codes, (path, method)


def test_schemas_describe_what_the_api_answers(client, crew):
    """The documented required properties are there in real answers."""
    headers = crew.headers["owner"]
    spec = client.get("/api/v1/openapi.json", headers=headers).get_json()
    schemas = spec["components"]["schemas"]
    answers = {
        "Engagement": client.get(f"/api/v1/engagements/{crew.engagement.id}", headers=headers).get_json(),
        "Contact": client.get(f"/api/v1/contacts/{crew.contact.id}", headers=headers).get_json(),
        "Meeting": client.get(f"/api/v1/meetings/{crew.meeting.id}", headers=headers).get_json(),
    }
    answers["AgendaItem"] = answers["Meeting"]["agenda"][0]
    for name, body in answers.items():
        schema = schemas[name]
        assert set(schema["required"]) <= set(body), name
        assert set(body) == set(schema["properties"]), name


def test_description_needs_a_token_like_the_rest(client):
    assert client.get("/api/v1/openapi.json").status_code == 401
