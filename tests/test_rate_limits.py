"""Rate limits key on the real client behind trusted proxies, and login is limited per account too."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from conftest import PASSWORD

from planner.client_address import memory_limits_warning

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
BROKER_URL = os.environ.get("PLANNER_TEST_BROKER_URL")


def _login(client, email: str, address: str, password: str = "wrong password"):
    return client.post(
        "/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


@pytest.fixture
def limited(app, make_app):
    # Built after the default app: the limiter is one object, configured by the app made last.
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_KEY_PREFIX=f"t{uuid.uuid4().hex[:8]}")
    with app.app_context():
        yield app


def test_one_address_is_slowed_down_alone(limited, make_user):
    user = make_user(email="ann@example.com")
    client = limited.test_client()
    codes = [_login(client, "someone@example.com", "198.51.100.7").status_code for _ in range(11)]
    assert codes == [400] * 10 + [429]
    # Another client is not affected, and the account owner logs in from their own address.
    assert _login(client, "someone@example.com", "198.51.100.8").status_code == 400
    assert _login(client, user.email, "198.51.100.9", PASSWORD).status_code == 302


def test_failures_from_many_addresses_slow_down_guessing_at_one_account(limited, make_user):
    make_user(email="ann@example.com")
    client = limited.test_client()
    codes = [_login(client, "ann@example.com", f"203.0.113.{n}").status_code for n in range(1, 51)]
    assert codes == [400] * 50
    assert _login(client, "ANN@example.com ", "203.0.113.200").status_code == 429
    assert _login(client, "bob@example.com", "203.0.113.200").status_code == 400  # other accounts go on


def test_one_address_cannot_lock_an_account(limited, make_user):
    user = make_user(email="ann@example.com")
    client = limited.test_client()
    # Far more attempts than the account's 50: the address is stopped long before (refusals do not count).
    codes = [_login(client, user.email, "198.51.100.66").status_code for _ in range(80)]
    assert codes.count(400) == 10 and codes.count(429) == 70
    assert _login(client, user.email, "192.0.2.10", PASSWORD).status_code == 302


def test_ipv6_clients_share_their_network_bucket(limited):
    client = limited.test_client()
    codes = [_login(client, "x@example.com", f"2001:db8:1:2::{n:x}").status_code for n in range(1, 12)]
    assert codes[-1] == 429
    assert _login(client, "x@example.com", "2001:db8:1:3::1").status_code == 400


def test_several_workers_with_memory_limits_get_a_warning():
    assert "2 workers" in memory_limits_warning({"RATELIMIT_STORAGE_URI": "memory://"}, 2)
    assert memory_limits_warning({"RATELIMIT_STORAGE_URI": "memory://"}, 1) is None
    assert memory_limits_warning({"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}, 4) is None
    assert (
        memory_limits_warning({"RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_ENABLED": False}, 4) is None
    )


def test_a_bad_number_of_trusted_proxies_stops_the_start(make_app):
    with pytest.raises(ValueError, match="PLANNER_TRUSTED_PROXIES"):
        make_app(TRUSTED_PROXIES="the balancer")


# --- under gunicorn, two workers, limits in Redis ----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _redis(folder: Path):
    """The Redis the suite was given, else one of our own on a free loopback port."""
    if BROKER_URL:
        yield BROKER_URL
        return
    server = shutil.which("redis-server")
    if not server:
        pytest.skip("no Redis: set PLANNER_TEST_BROKER_URL or install redis-server")
    port = _free_port()
    process = subprocess.Popen(
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)


@contextmanager
def _gunicorn(folder: Path, env: dict[str, str]):
    port = _free_port()
    log_path = folder / f"gunicorn-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
            cwd=ROOT,
            env=env
            | {"PLANNER_BIND": f"127.0.0.1:{port}", "PLANNER_WORKERS": "2", "PLANNER_GRACEFUL_TIMEOUT": "2"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, log_path.read_text()[-3000:]
                try:
                    if requests.get(url + "/ping", timeout=1).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
            yield url, log_path
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _attempt(url: str, forwarded_for: str | None) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    session = requests.Session()  # a fresh connection each time: either worker may answer
    try:
        return session.post(
            url + "/login",
            data={"email": "probe@example.com", "password": "wrong"},
            headers=headers,
            timeout=10,
        ).status_code
    finally:
        session.close()


@pytest.mark.slow
def test_behind_a_trusted_proxy_each_client_has_its_own_bucket(tmp_path):
    database = tmp_path / "planner.sqlite"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_")}
    env |= {
        "PLANNER_DATABASE_URL": f"sqlite:///{database}",
        "PLANNER_INSTANCE_PATH": str(tmp_path / "instance"),
        "PLANNER_SECRET_KEY": "rate-" + uuid.uuid4().hex,
        "PLANNER_WTF_CSRF_ENABLED": "false",
        "PLANNER_RATELIMIT_KEY_PREFIX": f"rate-test-{uuid.uuid4().hex[:8]}",
    }
    subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "wsgi", "planner", "init-db"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    with _redis(tmp_path) as redis_url:
        env["PLANNER_RATELIMIT_STORAGE_URI"] = redis_url
        with _gunicorn(tmp_path, env | {"PLANNER_TRUSTED_PROXIES": "1"}) as (url, log_path):
            first = [_attempt(url, "198.51.100.1") for _ in range(12)]
            # Shared by both workers through Redis: exactly the configured 10, not 10 per worker.
            assert first.count(400) == 10 and first[-2:] == [429, 429]
            # A second client behind the same balancer is not held back by the first one.
            assert _attempt(url, "198.51.100.2") == 400
            # What a client writes itself in front of the balancer's entry changes nothing.
            assert _attempt(url, "203.0.113.99, 198.51.100.1") == 429
            log = log_path.read_text()
        assert "Traceback" not in log and "each worker's memory" not in log
        # Without trusted proxies the header is the client's own claim: ignored, all share the socket address.
        env["PLANNER_RATELIMIT_KEY_PREFIX"] += "-direct"
        with _gunicorn(tmp_path, env) as (url, _):
            assert [_attempt(url, f"198.51.100.{n}") for n in range(10, 20)] == [400] * 10
            assert _attempt(url, "198.51.100.77") == 429
            assert _attempt(url, None) == 429


@pytest.mark.slow
def test_gunicorn_warns_when_workers_keep_limits_in_memory(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_")}
    env |= {
        "PLANNER_DATABASE_URL": f"sqlite:///{tmp_path / 'planner.sqlite'}",
        "PLANNER_INSTANCE_PATH": str(tmp_path / "instance"),
        "PLANNER_SECRET_KEY": "rate-" + uuid.uuid4().hex,
    }
    with _gunicorn(tmp_path, env) as (_, log_path):
        deadline = time.monotonic() + 10
        while "each worker's memory" not in log_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert log_path.read_text().count("each worker's memory") == 1


def test_guessing_the_current_password_from_a_session_is_slowed_down(limited, make_user, login):
    user = make_user(email="ann@example.com")
    client = limited.test_client()
    login(client, user)
    wrong = {
        "current": "not my password",
        "new": "a brand new passphrase",
        "confirm": "a brand new passphrase",
    }
    codes = [client.post("/settings/password", data=wrong).status_code for _ in range(11)]
    assert codes == [400] * 10 + [429]
    other = limited.test_client()
    login(other, make_user(email="bob@example.com"))
    assert other.post("/settings/password", data=wrong).status_code == 400  # per user, not per address
