"""CalDAV sync cost against a local Radicale this script starts itself.

Figures: HTTP requests of a sync with nothing changed (target <= 2), after changing k of N meetings
(target <= k + 3), for a pull of k changes made in another calendar app (target: one sync REPORT and
one calendar-multiget, no GET); and the first push of N meetings timed against a bare sequential
PUT loop of the same bodies to the same server in the same run (target ratio <= 1.15).

Run with `python bench/bench_caldav.py [meetings] [k]`; `run()` returns the figures as a dict.
"""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

VENV_BIN = Path(sys.executable).parent
USER, PASSWORD = "bench", "bench-password"
RATIO_TARGET = 1.15


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_radicale(folder: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    (folder / "users").write_text(f"{USER}:{PASSWORD}\n")
    command = [
        str(VENV_BIN / "radicale"),
        "--config",
        "",
        "--server-hosts",
        f"127.0.0.1:{port}",
        "--storage-filesystem-folder",
        str(folder / "collections"),
        "--auth-type",
        "htpasswd",
        "--auth-htpasswd-filename",
        str(folder / "users"),
        "--auth-htpasswd-encryption",
        "plain",
        "--auth-delay",
        "0",
        "--logging-level",
        "warning",
    ]
    log = open(folder / "radicale.log", "ab")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("OPTIONS", "/")
            conn.getresponse().read()
            conn.close()
            return proc, f"http://127.0.0.1:{port}/"
        except OSError:
            time.sleep(0.05)
    proc.terminate()
    raise RuntimeError("Radicale did not start")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run(meetings: int = 1000, k: int = 10) -> dict:
    """Measure and return the figures (printing them as it goes)."""
    from sqlalchemy import select

    from planner import create_app
    from planner.caldav_backend import CalDAVBackend, href_path, resource_name
    from planner.netguard import Policy

    LOOPBACK = Policy(allow_private=True)
    from planner.cli import upgrade_database
    from planner.extensions import db
    from planner.models import Meeting
    from planner.operations import calendars as ops
    from planner.operations.people import create_user
    from planner.operations.schedule import create_engagement, create_meeting, update_meeting

    with tempfile.TemporaryDirectory(prefix="planner-bench-caldav-") as tmp:
        folder = Path(tmp)
        proc, url = _start_radicale(folder)
        try:
            app = create_app(
                {
                    "INSTANCE_PATH": str(folder / "instance"),
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite'}",
                    "SECRET_KEY": "bench",
                    "CALDAV_ALLOW_PRIVATE_HOSTS": True,  # the bench's Radicale is on loopback
                }
            )
            with app.app_context():
                upgrade_database()
                now = datetime.now(UTC)
                owner = create_user("bench@example.com", "bench-password-1", name="Bench")
                engagement = create_engagement(owner, {"name": "Bench", "timezone": "Asia/Tokyo"}, now=now)
                db.session.commit()
                start = datetime(2027, 1, 4, 0, 0, tzinfo=UTC)
                for n in range(meetings):
                    create_meeting(
                        engagement,
                        {
                            "title": f"Meeting {n}",
                            "purpose": "Agree the next step",
                            "desired_outcome": "A decision",
                            "kind": "status",
                            "starts_at": start + timedelta(hours=n),
                            "duration_minutes": 60,
                            "status": "confirmed",
                            "location": "Room A",
                        },
                        now=now,
                    )
                db.session.commit()
                all_meetings = list(db.session.scalars(select(Meeting).order_by(Meeting.id)))
                bodies = [ops.render_meeting(m, m.uid)[0] for m in all_meetings]

                def bare_loop(name: str) -> float:
                    """A bare sequential PUT loop of the same bodies, to its own calendar on the server."""
                    with CalDAVBackend(url, USER, PASSWORD, guard=LOOPBACK) as bare:
                        bare.calendar_url = bare.create_calendar(name).url
                        path = href_path(bare.calendar_url)
                        session = bare.client.session
                        headers = {"Content-Type": "text/calendar; charset=utf-8", "If-None-Match": "*"}
                        began = time.perf_counter()
                        for meeting, body in zip(all_meetings, bodies, strict=True):
                            response = session.request(
                                "PUT",
                                url.rstrip("/") + path + resource_name(meeting.uid),
                                data=body.encode("utf-8"),
                                headers=headers,
                                auth=bare.client.auth,
                            )
                            assert response.status_code in (201, 204), response.status_code
                        return time.perf_counter() - began

                # The server slows as it holds more: bare loops before and after the sync, averaged.
                bare_before = bare_loop("Bare loop before")
                link = ops.link_calendar(
                    engagement, url=url, username=USER, password=PASSWORD, calendar_name="Planner", now=now
                )
                db.session.commit()
                began = time.perf_counter()
                first = ops.run_sync(link, now=datetime.now(UTC))
                sync_seconds = time.perf_counter() - began
                assert first.error is None, first.error
                bare_after = bare_loop("Bare loop after")
                bare_seconds = (bare_before + bare_after) / 2
                ratio = sync_seconds / bare_seconds
                print(
                    f"first push of {meetings}: {first.requests} requests ({first.pushed} PUTs), "
                    f"{sync_seconds:.2f} s vs bare PUT loop {bare_seconds:.2f} s "
                    f"(before {bare_before:.2f} s, after {bare_after:.2f} s): ratio {ratio:.3f}"
                )

                quiet = ops.run_sync(link, now=datetime.now(UTC))
                print(f"nothing changed: {quiet.requests} requests")

                for meeting in all_meetings[:k]:
                    update_meeting(meeting, {"location": "Room B"}, now=datetime.now(UTC))
                db.session.commit()
                changed = ops.run_sync(link, now=datetime.now(UTC))
                print(f"{k} of {meetings} changed: {changed.requests} requests ({changed.pushed} PUTs)")

                other = CalDAVBackend(url, USER, PASSWORD, calendar_url=link.calendar_url, guard=LOOPBACK)
                calendar_path = href_path(link.calendar_url)
                for meeting in all_meetings[-k:]:
                    href = calendar_path + resource_name(meeting.uid)
                    item = other.get(href)
                    moved = item.ics.replace("LOCATION:Room A", "LOCATION:Osaka office")
                    other.update(href, moved, item.etag)
                other.close()
                backend = ops.backend_for(link)
                pull = ops.run_sync(link, now=datetime.now(UTC), backend=backend)
                methods = dict(backend.counter.by_method)
                backend.close()
                print(f"pull of {k} remote changes: {pull.requests} requests {methods}, {pull.pulled} taken")
        finally:
            _stop(proc)
    return {
        "meetings": meetings,
        "no_change_requests": quiet.requests,
        "no_change_met": quiet.requests <= 2,
        "k": k,
        "k_changed_requests": changed.requests,
        "k_changed_met": changed.requests <= k + 3,
        "pull_requests": pull.requests,
        "pull_by_method": methods,
        "pull_met": methods == {"REPORT": 2} and pull.pulled == k,
        "first_push_requests": first.requests,
        "first_push_puts": first.pushed,
        "first_push_seconds": round(sync_seconds, 3),
        "bare_put_loop_seconds": round(bare_seconds, 3),
        "bare_put_loop_before_after_seconds": [round(bare_before, 3), round(bare_after, 3)],
        "first_push_ratio": round(ratio, 3),
        "first_push_ratio_target": RATIO_TARGET,
        "first_push_met": ratio <= RATIO_TARGET and first.pushed == meetings,
    }


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    figures = run(*args)
    for key, value in figures.items():
        print(f"{key}: {value}")
