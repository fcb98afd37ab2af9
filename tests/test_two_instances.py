"""Two app instances (separate gunicorn processes) on one PostgreSQL: concurrent edits lose nothing.

Runs when PLANNER_TEST_DATABASE_URL is set; with PLANNER_TEST_BROKER_URL the instances also share Redis
for their rate limits, as instances behind a load balancer do.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

PG_URL = os.environ.get("PLANNER_TEST_DATABASE_URL")
BROKER_URL = os.environ.get("PLANNER_TEST_BROKER_URL")
ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PASSWORD = "two-instances-password"
AGENT = "planner-two-instances-test"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not PG_URL, reason="PLANNER_TEST_DATABASE_URL is not set (needs PostgreSQL)"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _instances(env: dict[str, str], folder: Path, names: list[str]):
    """Gunicorn instances with two workers each on free loopback ports; stopped by their PIDs.

    All start at once and are waited for together (each takes seconds to import the app), and all are
    told to stop before any is waited for.
    """
    started: list[tuple[str, subprocess.Popen, object]] = []
    urls = []
    try:
        for name in names:
            port = _free_port()
            log = open(folder / f"{name}.log", "wb")  # noqa: SIM115 - closed below
            process = subprocess.Popen(
                [str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
                cwd=ROOT,
                env=env
                | {
                    "PLANNER_BIND": f"127.0.0.1:{port}",
                    "PLANNER_WORKERS": "2",
                    "PLANNER_GRACEFUL_TIMEOUT": "5",
                    "PLANNER_INSTANCE_PATH": str(folder / name),
                },
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            started.append((name, process, log))
            urls.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        for (name, process, _), url in zip(started, urls, strict=True):
            while True:
                assert process.poll() is None, (folder / f"{name}.log").read_text()[-3000:]
                try:
                    if requests.get(url + "/healthz", timeout=1).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                assert time.monotonic() < deadline, f"instance {name} did not start"
                time.sleep(0.1)
        yield urls
    finally:
        for _, process, _ in started:
            process.send_signal(signal.SIGTERM)
        for _, process, log in started:
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


class SlowCalDAV:
    """A calendar server that answers slowly and records how many requests overlap."""

    def __init__(self, delay: float = 0.6):
        outer = self
        self.delay, self.in_flight, self.max_in_flight, self.requests = delay, 0, 0, 0
        self.lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def _any(self):
                with outer.lock:
                    outer.in_flight += 1
                    outer.requests += 1
                    outer.max_in_flight = max(outer.max_in_flight, outer.in_flight)
                try:
                    time.sleep(outer.delay)
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                finally:
                    with outer.lock:
                        outer.in_flight -= 1

            do_GET = do_PUT = do_PROPFIND = do_REPORT = do_OPTIONS = do_DELETE = do_HEAD = _any

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cal/"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A private schema with one engagement, and two instances sharing it (and Redis when configured)."""
    from planner import create_app
    from planner.config import normalise_database_url

    folder = tmp_path_factory.mktemp("instances")
    schema = f"two_instances_{uuid.uuid4().hex[:8]}"
    base = normalise_database_url(PG_URL)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_")} | {
        "PLANNER_DATABASE_URL": url,
        # Shared by every instance: sessions and stored calendar passwords must read the same everywhere.
        "PLANNER_SECRET_KEY": uuid.uuid4().hex,
        "PLANNER_CALDAV_SECRET_KEY": "nHcQ3fGvoUZZ9b9kQWqkY6P1vB1rVlTzY5gqgFQqKkI=",
        # The slow calendar server of these tests listens on loopback.
        "PLANNER_CALDAV_ALLOW_PRIVATE_HOSTS": "1",
    }
    if BROKER_URL:
        env["PLANNER_RATELIMIT_STORAGE_URI"] = BROKER_URL
        env["PLANNER_RATELIMIT_KEY_PREFIX"] = f"test-{uuid.uuid4().hex[:8]}"
    slow = SlowCalDAV()
    try:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "INSTANCE_PATH": str(folder / "setup"),
                "SECRET_KEY": env["PLANNER_SECRET_KEY"],
                "CALDAV_SECRET_KEY": env["PLANNER_CALDAV_SECRET_KEY"],
            }
        )
        token, ids = _seed(app, slow.url)
        with slow, _instances(env, folder, ["a", "b"]) as (a, b):
            yield {
                "urls": [a, b],
                "token": token,
                "ids": ids,
                "url": url,
                "slow": slow,
                "logs": [folder / "a.log", folder / "b.log"],
            }
    finally:
        slow.server.server_close()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _seed(app, calendar_url: str) -> tuple[str, dict]:
    """One owner, an engagement with a meeting and its agenda, a calendar link; returns a token and ids."""
    with app.app_context():
        from planner.cli import upgrade_database
        from planner.extensions import db
        from planner.models import CalendarLink, utcnow
        from planner.operations.calendars import encrypt_password
        from planner.operations.people import create_api_token, create_user
        from planner.operations.schedule import add_agenda_item, create_engagement, create_meeting

        upgrade_database()
        now = utcnow()
        user = create_user("lead@example.com", PASSWORD, name="Lead")
        engagement = create_engagement(user, {"name": "Renewal", "timezone": "Asia/Tokyo"}, now=now)
        db.session.flush()  # the revision bump of a new meeting is SQL on the engagement's row
        meeting = create_meeting(
            engagement,
            {
                "title": "Design review",
                "purpose": "Agree the order screens",
                "desired_outcome": "Signed-off screens",
                "kind": "design_review",
                "starts_at": now.replace(microsecond=0, second=0, minute=0) + timedelta(days=3),
                "duration_minutes": 90,
                "status": "confirmed",
            },
            now=now,
        )
        db.session.flush()
        add_agenda_item(meeting, title="Open questions", minutes=10, now=now)
        link = CalendarLink(
            engagement=engagement,
            server_url=calendar_url,
            calendar_url=calendar_url,
            username="planner",
            secret=encrypt_password("app-password"),
        )
        db.session.add(link)
        token = create_api_token(user, label="two instances", now=now)
        db.session.commit()
        ids = {"engagement": engagement.id, "meeting": meeting.id, "link": link.id}
        db.session.remove()
        db.engine.dispose()
    return token, ids


def _state(cluster) -> dict:
    """Version, sequence, revision and agenda straight from the database."""
    engine = create_engine(cluster["url"].replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        meeting = conn.execute(
            text("SELECT title, version, sequence, engagement_id FROM meetings WHERE id = :id"),
            {"id": cluster["ids"]["meeting"]},
        ).one()
        revision = conn.execute(
            text("SELECT revision FROM engagements WHERE id = :id"), {"id": meeting.engagement_id}
        ).scalar_one()
        agenda = conn.execute(
            text("SELECT title, position FROM agenda_items WHERE meeting_id = :id ORDER BY position"),
            {"id": cluster["ids"]["meeting"]},
        ).all()
    engine.dispose()
    return {
        "title": meeting.title,
        "version": meeting.version,
        "sequence": meeting.sequence,
        "revision": revision,
        "agenda": [(row.title, row.position) for row in agenda],
    }


def _errors(cluster) -> list[str]:
    """Error lines of both instances' logs, for assertion messages."""
    return [
        line
        for path in cluster["logs"]
        for line in path.read_text().splitlines()
        if '"level": "error"' in line or '"level": "critical"' in line
    ]


def _api(cluster) -> dict:
    return {"Authorization": f"Bearer {cluster['token']}", "User-Agent": AGENT}


def test_concurrent_api_edits_through_both_instances_lose_nothing(cluster):
    before = _state(cluster)
    meeting_id = cluster["ids"]["meeting"]
    results: list[tuple[int, int, str, dict]] = []
    lock = threading.Lock()

    def editor(number: int) -> None:
        base = cluster["urls"][number % 2]
        for attempt in range(5):
            current = requests.get(f"{base}/api/v1/meetings/{meeting_id}", headers=_api(cluster), timeout=30)
            assert current.status_code == 200
            version = current.json()["version"]
            title = f"Design review (editor {number}, try {attempt})"
            response = requests.patch(
                f"{base}/api/v1/meetings/{meeting_id}",
                json={"title": title},
                headers=_api(cluster) | {"If-Match": f'"{version}"'},
                timeout=30,
            )
            with lock:
                results.append((response.status_code, version, title, response.json()))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(editor, range(8)))

    after = _state(cluster)
    accepted = [r for r in results if r[0] == 200]
    stale = [r for r in results if r[0] == 409]
    assert len(accepted) + len(stale) == len(results) == 40, {r[0] for r in results}
    assert accepted and stale, "eight editors on two instances should both win and collide"
    # No lost update: each version was the base of exactly one accepted edit, and each bumped it once.
    bases = sorted(r[1] for r in accepted)
    assert bases == list(range(before["version"], after["version"]))
    assert [r[3]["version"] for r in accepted if r[1] == bases[-1]] == [after["version"]]
    last = next(r for r in accepted if r[1] == bases[-1])
    assert after["title"] == last[2]
    assert after["sequence"] - before["sequence"] == len(accepted)
    assert after["revision"] - before["revision"] == len(accepted)
    for _, _, _, body in stale:
        assert "changed" in body["error"] or "Someone else" in body["error"]


def test_concurrent_agenda_additions_are_each_kept_or_refused(cluster):
    before = _state(cluster)
    meeting_id = cluster["ids"]["meeting"]
    outcomes: list[tuple[int, str, dict]] = []
    lock = threading.Lock()

    def add(number: int) -> None:
        base = cluster["urls"][number % 2]
        title = f"Item from client {number}"
        response = requests.post(
            f"{base}/api/v1/meetings/{meeting_id}/agenda",
            json={"title": title, "minutes": 5},
            headers=_api(cluster),
            timeout=30,
        )
        with lock:
            outcomes.append((response.status_code, title, response.json()))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(add, range(16)))

    after = _state(cluster)
    kept = [title for status, title, _ in outcomes if status == 201]
    refused = [body for status, _, body in outcomes if status == 409]
    assert len(kept) + len(refused) == 16, sorted({status for status, _, _ in outcomes})
    assert kept
    titles = [title for title, _ in after["agenda"]]
    assert sorted(set(titles) - {t for t, _ in before["agenda"]}) == sorted(kept)
    positions = [position for _, position in after["agenda"]]
    assert len(positions) == len(set(positions)), "two items share a position"
    assert after["sequence"] - before["sequence"] == len(kept)
    assert after["revision"] - before["revision"] == len(kept)
    assert all("Someone else" in body["error"] or "changed" in body["error"] for body in refused)


class _FormReader(HTMLParser):
    """The fields of the meeting edit form, as a browser would submit them."""

    def __init__(self):
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self.inside = False
        self.select: str | None = None
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and "/edit" in (attrs.get("action") or "/edit"):
            self.inside = True
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind not in ("submit", "button"):
                self.fields.append((name, attrs.get("value", "y" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self.select = name
        elif tag == "option" and self.select and "selected" in attrs:
            self.fields.append((self.select, attrs.get("value", "")))
        elif tag == "textarea" and name:
            self.textarea, self.text = name, ""

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.fields.append((self.textarea, self.text))
            self.textarea = None
        elif tag == "form":
            self.inside = False

    def handle_data(self, data):
        if self.textarea:
            self.text += data


def _browser(base: str) -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = AGENT
    page = session.get(base + "/login", timeout=30)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    response = session.post(
        base + "/login",
        data={"email": "lead@example.com", "password": PASSWORD, "csrf_token": csrf},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302
    return session


def test_two_people_saving_the_same_form_on_different_instances(cluster):
    meeting_id = cluster["ids"]["meeting"]
    a, b = cluster["urls"]
    # Logged in on instance A, the session works on B too: no sticky sessions needed.
    session = _browser(a)
    second = requests.Session()
    second.headers["User-Agent"] = AGENT
    second.cookies.update(session.cookies)
    assert second.get(f"{b}/engagements/{cluster['ids']['engagement']}", timeout=30).status_code == 200

    before = _state(cluster)
    forms = []
    for browser, base in ((session, a), (second, b)):
        reader = _FormReader()
        reader.feed(browser.get(f"{base}/meetings/{meeting_id}/edit", timeout=30).text)
        forms.append(reader.fields)
    assert ("version", str(before["version"])) in forms[0]

    def submit(index: int):
        browser, base = ((session, a), (second, b))[index]
        fields = [(k, v) for k, v in forms[index] if k != "title"] + [("title", f"Saved by person {index}")]
        return browser.post(
            f"{base}/meetings/{meeting_id}/edit", data=fields, allow_redirects=False, timeout=30
        )

    with ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(submit, (0, 1)))

    after = _state(cluster)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [302, 409], statuses
    winner = responses.index(next(r for r in responses if r.status_code == 302))
    assert after["title"] == f"Saved by person {winner}"
    loser = responses[1 - winner]
    assert "Someone else saved this meeting while you were editing" in loser.text
    assert f"Saved by person {1 - winner}" in loser.text  # what they typed is still in the form
    assert after["version"] > before["version"]
    assert after["sequence"] == before["sequence"] + 1
    assert after["revision"] == before["revision"] + 1


def test_at_most_one_sync_per_calendar_link_across_instances(cluster):
    link_id = cluster["ids"]["link"]
    slow = cluster["slow"]

    def sync(number: int) -> tuple[int, dict]:
        base = cluster["urls"][number % 2]
        response = requests.post(f"{base}/api/v1/calendars/{link_id}/sync", headers=_api(cluster), timeout=60)
        return response.status_code, response.json()

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(sync, range(6)))

    statuses = [status for status, _ in answers]
    assert set(statuses) <= {200, 409}, (answers, _errors(cluster))
    assert 409 in statuses, "overlapping syncs were not refused"
    busy = [body for status, body in answers if status == 409]
    assert all(body["result"]["busy"] for body in busy)
    assert slow.requests >= 1
    assert slow.max_in_flight == 1, f"{slow.max_in_flight} syncs of one link talked to the server at once"


def test_no_server_errors_in_either_instance_log(cluster):
    for path in cluster["logs"]:
        for line in path.read_text().splitlines():
            assert '"status": 5' not in line, line
            assert '"level": "error"' not in line and '"level": "critical"' not in line, line
