"""Structured request logs keep secrets out, and /healthz reports the database and the broker honestly."""

from __future__ import annotations

import io
import json
import logging
import os
import socket

import pytest

from planner.extensions import db
from planner.logging import JsonFormatter, redact
from planner.models import utcnow

SECRET_PASSWORD = "Hunter2-very-secret-pass"


@pytest.fixture
def json_log():
    """Every record, formatted as production writes it, into a buffer."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield buffer
    root.removeHandler(handler)


def _lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_request_lines_carry_the_route_template_and_never_a_secret(
    app, client, make_user, make_engagement, api_token, json_log, caplog
):
    caplog.set_level(logging.INFO)
    user = make_user(email="ops@example.com", password=SECRET_PASSWORD)
    engagement = make_engagement(owner=user)
    token = api_token(user)
    secrets = [SECRET_PASSWORD, token]

    response = client.post("/login", data={"email": user.email, "password": SECRET_PASSWORD})
    assert response.status_code == 302
    assert client.get(f"/engagements/{engagement.id}?all=1&password={SECRET_PASSWORD}").status_code == 200
    api = app.test_client()
    api.get("/api/v1/openapi.json", headers={"Authorization": f"Bearer {token}"})
    api.get("/api/v1/openapi.json", headers={"Authorization": "Bearer wrong-" + token})
    if "feeds.feed" in app.view_functions:
        from planner.operations.feeds import create_feed

        _, feed_token = create_feed(engagement, label="Client", audience="client", user=user, now=utcnow())
        db.session.commit()
        secrets.append(feed_token)
        assert api.get(f"/feeds/{feed_token}.ics").status_code == 200
        assert api.get(f"/s/{feed_token}").status_code == 200
    # An unknown path with a token-like segment is logged without its path.
    api.get(f"/nowhere/{token}?token={token}")

    lines = _lines(json_log)
    requests = [line for line in lines if line["logger"] == "planner.request"]
    assert len(requests) >= 5
    by_path = {line["path"]: line for line in requests}
    assert by_path["/login"]["method"] == "POST" and by_path["/login"]["status"] == 302
    shown = by_path["/engagements/<int:engagement_id>"]
    assert shown["user_id"] == user.id and shown["status"] == 200 and shown["duration_ms"] > 0
    assert {401, 200} <= {line["status"] for line in requests if line["path"] == "/api/v1/openapi.json"}
    if "feeds.feed" in app.view_functions:
        assert by_path["/feeds/<token>.ics"]["status"] == 200
        assert "/s/<token>" in by_path
    assert any(line["path"] is None and line["status"] == 404 for line in requests)
    everything = json_log.getvalue() + caplog.text
    for secret in secrets:
        assert secret not in everything
    assert "Bearer" not in everything and "?" not in "".join(str(line["path"]) for line in requests)


def test_request_id_is_echoed_only_when_it_is_safe(client, json_log):
    ok = client.get("/ping", headers={"X-Request-ID": "lb-1234abcd"})
    assert ok.headers["X-Request-ID"] == "lb-1234abcd"
    bad = client.get("/ping", headers={"X-Request-ID": 'x" injected {} line'})
    assert bad.headers["X-Request-ID"] != 'x" injected {} line' and len(bad.headers["X-Request-ID"]) == 32
    ids = [line["request_id"] for line in _lines(json_log) if line["logger"] == "planner.request"]
    assert ids == ["lb-1234abcd", bad.headers["X-Request-ID"]]


def test_a_crash_is_logged_as_an_error_without_the_secret_it_carried(make_app, json_log):
    app = make_app(SHOW_ERROR_PAGE=True)

    def boom():
        raise RuntimeError("upstream said: Authorization: Bearer abc.def-123 password=letmein")

    app.add_url_rule("/boom", "boom", boom)
    from planner.web.public import public

    public(boom)
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    lines = _lines(json_log)
    # Logged once: the request's own line carries the traceback.
    errors = [line for line in lines if line["level"] == "error"]
    assert len(errors) == 1, errors
    request_line = errors[0]
    assert request_line["logger"] == "planner.request" and request_line["status"] == 500
    assert "RuntimeError" in request_line["exc"]
    assert response.headers["X-Request-ID"] == request_line["request_id"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "abc.def-123" not in json_log.getvalue() and "letmein" not in json_log.getvalue()


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("Authorization: Bearer s3cr3t-token", "s3cr3t-token"),
        ("login failed, password='s3cret value'", "s3cret"),
        ("GET /feeds/AbCdEf123.ics failed", "AbCdEf123"),
        ("GET /s/AbCdEf123 failed", "AbCdEf123"),
        ("connect to https://bob:app-pass@dav.example.com/ failed", "app-pass"),
        ('{"token": "t0k3n"}', "t0k3n"),
    ],
)
def test_redact_masks_secrets_in_free_text(text, hidden):
    assert hidden not in redact(text)
    assert "[redacted]" in redact(text)


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["database"] == "ok"
    assert "broker" not in response.get_json()["checks"]


def test_healthz_is_503_when_the_database_is_down(make_app):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/none")
    with app.app_context():
        response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "unavailable",
        "checks": {"database": "unavailable", "ms": response.get_json()["checks"]["ms"]},
    }


def test_healthz_stays_up_and_says_degraded_when_the_broker_is_down(make_app):
    # Pages and edits work without Redis: a balancer must not take every instance out for it.
    app = make_app(BROKER_URL=f"redis://127.0.0.1:{_free_port()}/0")
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "degraded"
    checks = response.get_json()["checks"]
    assert checks["database"] == "ok" and checks["broker"] == "unavailable"


def test_strict_readiness_is_503_when_the_broker_is_down(make_app):
    app = make_app(BROKER_URL=f"redis://127.0.0.1:{_free_port()}/0")
    client = app.test_client()
    for path in ("/healthz/ready?strict=1", "/healthz?strict=1"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert response.get_json()["status"] == "unavailable"
    relaxed = client.get("/healthz/ready")
    assert relaxed.status_code == 200 and relaxed.get_json()["status"] == "degraded"


@pytest.mark.skipif(
    not os.environ.get("PLANNER_TEST_BROKER_URL"), reason="PLANNER_TEST_BROKER_URL is not set"
)
def test_healthz_checks_a_running_broker(make_app):
    app = make_app(BROKER_URL=os.environ["PLANNER_TEST_BROKER_URL"])
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["broker"] == "ok"


def test_text_lines_for_people_keep_the_same_secrets_out(client):
    from planner.logging import TextFormatter

    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(TextFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        client.get("/feeds/Sup3rSecretFeedToken.ics")
        logging.getLogger("werkzeug").warning("GET /s/Sup3rSecretFeedToken HTTP/1.1 200")
    finally:
        root.removeHandler(handler)
    text = buffer.getvalue()
    assert "GET /feeds/<token>.ics 404" in text
    assert "/s/[redacted]" in text
    assert "Sup3rSecretFeedToken" not in text
