"""Sessions end at logout, password change and an operator's reset; remember cookies are bounded."""

from __future__ import annotations

from datetime import timedelta
from email.utils import parsedate_to_datetime

from conftest import PASSWORD
from werkzeug.security import generate_password_hash

from planner.extensions import db
from planner.models import utcnow

NEW_PASSWORD = "a brand new passphrase"


def _cookies(client) -> dict[str, str]:
    return {
        name: client.get_cookie(name).value
        for name in ("session", "remember_token")
        if client.get_cookie(name)
    }


def _replay(app, cookies: dict[str, str]):
    """Another browser holding a copy of the cookies (stolen, or left on a shared computer)."""
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def _opens(client) -> bool:
    return client.get("/engagements/").status_code == 200


def test_logout_ends_every_copy_of_the_cookies(app, client, login, make_user):
    user = make_user(email="ann@example.com")
    login(client, user)
    copied = _cookies(client)
    assert set(copied) == {"session", "remember_token"}
    assert _opens(_replay(app, copied))
    assert _opens(_replay(app, {"remember_token": copied["remember_token"]}))
    client.post("/logout")
    assert not _opens(client)
    assert not _opens(_replay(app, copied))
    assert not _opens(_replay(app, {"remember_token": copied["remember_token"]}))


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(app, client, login, make_user):
    user = make_user(email="ann@example.com")
    login(client, user)
    elsewhere = app.test_client()
    login(elsewhere, user)
    old = _cookies(elsewhere)
    answer = client.post(
        "/settings/password", data={"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert answer.status_code == 302
    assert _opens(client)  # the browser that changed it stays logged in
    assert not _opens(elsewhere)
    assert not _opens(_replay(app, old))
    assert not _opens(_replay(app, {"remember_token": old["remember_token"]}))
    fresh = app.test_client()
    assert fresh.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 400
    login(fresh, user, NEW_PASSWORD)


def test_log_out_everywhere_else(app, client, login, make_user):
    user = make_user(email="ann@example.com")
    login(client, user)
    elsewhere = app.test_client()
    login(elsewhere, user)
    assert client.post("/settings/sessions/end").status_code == 302
    assert _opens(client)
    assert not _opens(elsewhere)


def test_an_operator_reset_ends_every_session(app, client, login, make_user):
    user = make_user(email="ann@example.com")
    login(client, user)
    copied = _cookies(client)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["planner", "set-password", "ann@example.com"], input="operator set pw\n" * 2)
    assert result.exit_code == 0, result.output
    assert "operator set pw" not in result.output  # asked for, never echoed
    assert not _opens(client) and not _opens(_replay(app, copied))
    login(app.test_client(), user, "operator set pw")
    login(client, user, "operator set pw")
    result = runner.invoke(
        args=["planner", "reset-password", "ann@example.com", "--password", "another one!"]
    )
    assert result.exit_code == 0
    assert not _opens(client)
    short = runner.invoke(args=["planner", "set-password", "ann@example.com"], input="short\nshort\n")
    assert short.exit_code != 0 and "10 characters" in short.output
    missing = runner.invoke(
        args=["planner", "set-password", "nobody@example.com"], input="long enough pw\n" * 2
    )
    assert missing.exit_code != 0


def test_remember_cookies_are_same_site_and_bounded(app, client, make_user):
    user = make_user(email="ann@example.com")
    answer = client.post("/login", data={"email": user.email, "password": PASSWORD})
    remember = next(h for h in answer.headers.getlist("Set-Cookie") if h.startswith("remember_token="))
    assert "SameSite=Lax" in remember and "HttpOnly" in remember
    expires = parsedate_to_datetime(remember.split("Expires=")[1].split(";")[0])
    assert abs(expires - utcnow() - timedelta(days=14)) < timedelta(minutes=1)
    assert "Secure" not in remember  # plain http here; see the next test


def test_secure_cookies_follow_the_session_setting(make_app, make_user):
    app = make_app(SESSION_COOKIE_SECURE=True)
    with app.app_context():
        user = make_user(email="ann@example.com")
        client = app.test_client()
        answer = client.post("/login", data={"email": user.email, "password": PASSWORD}, base_url="https://x")
        cookies = answer.headers.getlist("Set-Cookie")
        assert all("Secure" in c for c in cookies) and len(cookies) == 2


def test_login_starts_a_new_session(app, client, make_user):
    user = make_user(email="ann@example.com")
    with client.session_transaction() as planted:
        planted["calendar_link_pending"] = {"url": "https://attacker.example/"}
        planted["_fresh"] = True
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    with client.session_transaction() as session:
        assert "calendar_link_pending" not in session
        number, version, began = session["_user_id"].split(".")
        assert (int(number), int(version)) == (user.id, user.session_version)
        assert abs(int(began) - utcnow().timestamp()) < 60


def _with_session(app, login, user, value: str):
    """A logged-in browser whose session cookie (signed as the app signs it) says `value`."""
    browser = app.test_client()
    login(browser, user)
    browser.delete_cookie("remember_token")
    with browser.session_transaction() as session:
        session["_user_id"] = value
    return browser


def _with_remember_cookie(app, value: str):
    from flask_login.utils import encode_cookie

    other = app.test_client()
    with app.test_request_context():
        other.set_cookie("remember_token", encode_cookie(value))
    return other


def test_cookies_of_the_old_form_open_nothing(app, login, make_user):
    user = make_user(email="ann@example.com")
    now = int(utcnow().timestamp())
    assert _opens(_with_session(app, login, user, f"{user.id}.{user.session_version}.{now}"))
    for value in (str(user.id), f"{user.id}.{user.session_version}", f"{user.id}.x.{now}", f"1.1.{now}.1"):
        assert not _opens(_with_session(app, login, user, value)), value
        assert not _opens(_with_remember_cookie(app, value)), value


def test_no_login_outlives_its_lifetime_whatever_the_cookie_says(app, login, make_user):
    user = make_user(email="ann@example.com")
    now = int(utcnow().timestamp())
    for age_days, opens in ((13, True), (15, False), (-1, False)):
        value = f"{user.id}.{user.session_version}.{now - age_days * 86400}"
        # Properly signed cookies, as a browser that kept them for days (or someone who copied them) sends.
        assert _opens(_with_remember_cookie(app, value)) is opens, age_days
        assert _opens(_with_session(app, login, user, value)) is opens, age_days


def test_an_unknown_email_costs_a_password_check_too(app, client, make_user, monkeypatch):
    import werkzeug.security

    make_user(email="ann@example.com")
    checked = []
    real = werkzeug.security.check_password_hash

    def counting(pwhash, password):
        checked.append(pwhash.split(":")[0])
        return real(pwhash, password)

    monkeypatch.setattr(werkzeug.security, "check_password_hash", counting)
    answer = client.post("/login", data={"email": "nobody@example.com", "password": "guess guess"})
    assert answer.status_code == 400
    # The production hashing, as for a real account (fixture users have a cheap hash, see conftest).
    assert checked == [generate_password_hash("x").split(":")[0]]
    wrong = client.post("/login", data={"email": "ann@example.com", "password": "guess guess"})
    assert wrong.status_code == 400
    assert wrong.data.count(b"Wrong email or password") == answer.data.count(b"Wrong email or password") == 1
    db.session.rollback()
