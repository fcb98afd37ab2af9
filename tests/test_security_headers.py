"""Headers that keep private pages private and the browser on a short leash."""

from __future__ import annotations

import pytest


def test_logged_in_pages_and_api_answers_are_never_stored(
    app, client, login, make_user, make_engagement, api_token
):
    owner = make_user(email="ann@example.com")
    engagement = make_engagement(owner=owner)
    login(client, owner)
    for path in (
        "/engagements/",
        f"/engagements/{engagement.id}",
        "/settings/",
        f"/engagements/{engagement.id}/week",
    ):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["Cache-Control"] == "no-store", path
    token = api_token(owner)
    for path in ("/api/v1/engagements", "/api/v1/openapi.json", "/api/v1/meetings/999999"):
        answer = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert answer.headers["Cache-Control"] == "no-store", path
    assert app.test_client().get("/api/v1/engagements").headers["Cache-Control"] == "no-store"


def test_the_login_page_is_not_marked_private(client):
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")


def test_every_answer_limits_what_a_page_may_do(client):
    answer = client.get("/login")
    csp = answer.headers["Content-Security-Policy"]
    assert "base-uri 'none'" in csp and "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "camera=()" in answer.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in answer.headers  # plain http: HSTS would lock people out


def test_https_installations_send_hsts(make_app):
    app = make_app(SESSION_COOKIE_SECURE=True)
    answer = app.test_client().get("/login", base_url="https://planner.example")
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("put", "/login", {"GET", "HEAD", "POST", "OPTIONS"}),
        ("get", "/logout", {"POST", "OPTIONS"}),
        ("put", "/api/v1/engagements", {"GET", "HEAD", "POST", "OPTIONS"}),
    ],
)
def test_405_says_which_methods_are_allowed(client, method, path, allowed):
    answer = getattr(client, method)(path)
    assert answer.status_code == 405
    assert set(answer.headers["Allow"].split(", ")) == allowed


def test_trusted_hosts_refuse_a_forged_host_header(make_app):
    app = make_app(TRUSTED_HOSTS="planner.example.com, 10.0.0.5")
    client = app.test_client()
    assert client.get("/login", base_url="https://planner.example.com").status_code == 200
    assert client.get("/ping", base_url="http://10.0.0.5").status_code == 200
    # A Host the installation is not known by (links in mails are built from it when no public URL is set).
    assert client.get("/login", base_url="https://evil.example").status_code == 400
    assert make_app().test_client().get("/login", base_url="https://evil.example").status_code == 200
