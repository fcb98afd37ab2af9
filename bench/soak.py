"""`make soak`: minutes of mixed traffic against gunicorn + PostgreSQL with a Celery sync worker on Redis.

Reads (pages, feed, 304, client page, API) come from wrk cycling through them; writes (meeting edits that
schedule CalDAV syncs, agenda items, triaged requests) from a steady writer. Passes when nothing answered
5xx, no log line is an error, and every gunicorn worker's memory stays within 10 % after the warm-up.
Run: `python bench/soak.py [--seconds 180]` (at most 600).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402

from bench import report  # noqa: E402
from bench.harness import (  # noqa: E402
    ROOT,
    USER_AGENT,
    VENV_BIN,
    Server,
    app_env,
    cookie_header,
    database,
    login,
    make_app,
    pg_base_url,
)
from bench.run import TRIAGE_BODY, prepare  # noqa: E402

HERE = Path(__file__).resolve().parent
MAX_SECONDS = 600
RSS_LIMIT = 0.10
# A Redis database of its own, so that no other worker on the machine takes the soak's jobs.
BROKER = os.environ.get("PLANNER_SOAK_BROKER_URL", "redis://127.0.0.1:6379/11")

LUA = """
local reqs = {}
local i = 0
init = function(args)
  for _, line in ipairs(args) do
    local method, path, extra = line:match("^(%S+) (%S+) ?(.*)$")
    -- wrk.format replaces wrk.headers when given a table: start from them (User-Agent, Connection).
    local headers = {}
    for name, value in pairs(wrk.headers) do headers[name] = value end
    if extra ~= "" then
      local name, value = extra:match("^([^:]+): (.*)$")
      headers[name] = value
    end
    table.insert(reqs, wrk.format(method, path, headers))
  end
  statuses = {}
end
request = function()
  i = i % #reqs + 1
  return reqs[i]
end
response = function(status, headers, body)
  local class = math.floor(status / 100)
  statuses[class] = (statuses[class] or 0) + 1
end
threads = {}
setup = function(thread) table.insert(threads, thread) end
done = function(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for class, count in pairs(s) do total[class] = (total[class] or 0) + count end
  end
  for class, count in pairs(total) do io.write(string.format("STATUS %dxx %d\\n", class, count)) end
end
"""


def rss_mib(pid: int) -> float | None:
    """Resident memory of a process in MiB (None once it is gone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return round(int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) / 1024, 1)


def start_caldav(stack: ExitStack, folder: Path):
    """A local Radicale with the sync tests' helper, or None with the reason."""
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from caldav_servers import running_server
    except ImportError as error:
        return None, f"no CalDAV test server helper ({error})"
    try:
        server = stack.enter_context(running_server("radicale", folder))
    except Exception as error:  # noqa: BLE001 - the soak runs without sync and says why
        return None, f"Radicale did not start ({error})"
    return server, None


def link_calendar(env: dict[str, str], engagement_id: int, server) -> int:
    app = make_app(env)
    with app.app_context():
        from planner.extensions import db
        from planner.models import Engagement, utcnow
        from planner.operations.calendars import link_calendar as link

        engagement = db.session.get(Engagement, engagement_id)
        url, username, password = server.credentials()
        created = link(
            engagement, url=url, username=username, password=password, calendar_name="Soak", now=utcnow()
        )
        db.session.commit()
        link_id = created.id
        db.session.remove()
        db.engine.dispose()
    return link_id


def writer(base: str, data, stop: threading.Event, tally: dict) -> None:
    """About two writes a second: meeting edits (each schedules a sync), agenda items, triaged requests."""
    api = {"Authorization": f"Bearer {data.api_token}", "User-Agent": USER_AGENT}
    number = 0
    while not stop.is_set():
        number += 1
        try:
            if number % 3 == 0:
                response = requests.post(
                    f"{base}/api/v1/engagements/{data.engagement_id}/requests",
                    json=TRIAGE_BODY | {"topic": f"Soak request {number}"},
                    headers=api,
                    timeout=30,
                )
            elif number % 3 == 1:
                current = requests.get(f"{base}/api/v1/meetings/{data.meeting_id}", headers=api, timeout=30)
                response = requests.patch(
                    f"{base}/api/v1/meetings/{data.meeting_id}",
                    json={"title": f"Design review (edit {number})", "version": current.json()["version"]},
                    headers=api,
                    timeout=30,
                )
            else:
                response = requests.post(
                    f"{base}/api/v1/meetings/{data.meeting_id}/agenda",
                    json={"title": f"Point {number}", "minutes": 1},
                    headers=api,
                    timeout=30,
                )
            key = f"{response.status_code // 100}xx"
        except requests.RequestException as error:
            key = f"failed: {error.__class__.__name__}"
        tally[key] = tally.get(key, 0) + 1
        stop.wait(0.5)


def error_lines(path: Path, celery: bool = False) -> list[str]:
    """Lines that report an error: JSON records at error level, or Celery's ERROR/CRITICAL/tracebacks."""
    json_error = re.compile(r'"level": "(error|critical)"')
    celery_error = re.compile(r"\b(ERROR|CRITICAL)\b|Traceback")
    return [
        line
        for line in path.read_text(errors="replace").splitlines()
        if json_error.search(line) or (celery and celery_error.search(line))
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=180)
    parser.add_argument("--warmup", type=int, default=None, help="seconds before memory counts (default 1/4)")
    args = parser.parse_args(argv)
    seconds = min(args.seconds, MAX_SECONDS)
    warmup = args.warmup if args.warmup is not None else seconds // 4
    if pg_base_url() is None:
        print(
            "bench/soak.py needs PostgreSQL (PLANNER_BENCH_DATABASE_URL); nothing measured.", file=sys.stderr
        )
        return 2
    result: dict = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "seconds": seconds}
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="planner-soak-")))
        url = stack.enter_context(database("soak"))
        env = app_env(
            url,
            folder / "instance",
            PLANNER_BROKER_URL=BROKER,
            PLANNER_CALDAV_TIMEOUT="10",
            PLANNER_CALDAV_ALLOW_PRIVATE_HOSTS="true",  # the soak's calendar server is on loopback
        )
        data = prepare(env, 200)
        caldav, reason = start_caldav(stack, folder / "caldav")
        worker_log = folder / "celery.log"
        if caldav is not None:
            link_calendar(env, data.engagement_id, caldav)
            with open(worker_log, "wb") as log:
                worker = subprocess.Popen(
                    [
                        str(VENV_BIN / "celery"),
                        "-A",
                        "planner.worker",
                        "worker",
                        "--concurrency",
                        "1",
                        "--loglevel",
                        "INFO",
                        "--without-gossip",
                        "--without-mingle",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            stack.callback(_stop, worker)
            result["sync_worker"] = f"Celery worker (1 process) on {BROKER}, syncing to a local Radicale"
        else:
            result["sync_worker"] = f"none: {reason}"
        server = Server(env, workers=2, log_path=folder / "gunicorn.log")
        stack.callback(server.stop)
        server.start()
        session = login(server.url, data.email, data.password)
        mix = [
            f"GET /engagements/{data.engagement_id} Cookie: {cookie_header(session)}",
            f"GET /engagements/{data.engagement_id}/week Cookie: {cookie_header(session)}",
            f"GET /meetings/{data.meeting_id} Cookie: {cookie_header(session)}",
            f"GET /api/v1/engagements/{data.engagement_id}/meetings Authorization: Bearer {data.api_token}",
            "GET /ping",
            "GET /healthz",
        ]
        if data.feed_token:
            etag = requests.get(f"{server.url}/feeds/{data.feed_token}.ics", timeout=30).headers.get(
                "ETag", ""
            )
            mix += [
                f"GET /feeds/{data.feed_token}.ics",
                f"GET /feeds/{data.feed_token}.ics If-None-Match: {etag}",
                f"GET /s/{data.feed_token}",
            ]
        result["mix"] = (
            "engagement page, week view, meeting page, API meetings list, /ping, /healthz"
            + (", feed, feed 304, client page" if data.feed_token else "")
            + "; writes: meeting edits, agenda items, triaged requests"
        )
        script = folder / "mix.lua"
        script.write_text(LUA)
        stop = threading.Event()
        writes: dict[str, int] = {}
        write_thread = threading.Thread(target=writer, args=(server.url, data, stop, writes), daemon=True)
        wrk = subprocess.Popen(
            [
                "wrk",
                "-t2",
                "-c4",
                f"-d{seconds}s",
                "--timeout",
                "30s",
                "-H",
                "Connection: close",
                "-H",
                f"User-Agent: {USER_AGENT}",
                "-s",
                str(script),
                server.url,
                "--",
                *mix,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        write_thread.start()
        samples: dict[int, list[tuple[float, float]]] = {}
        started = time.monotonic()
        print(f"Soaking for {seconds} s (memory counts after {warmup} s)...")
        while wrk.poll() is None:
            elapsed = time.monotonic() - started
            for pid in server.worker_pids():
                value = rss_mib(pid)
                if value is not None:
                    samples.setdefault(pid, []).append((elapsed, value))
            time.sleep(5)
        stop.set()
        write_thread.join(timeout=60)
        out = wrk.stdout.read()
        statuses = {m.group(1): int(m.group(2)) for m in re.finditer(r"STATUS (\dxx) (\d+)", out)}
        total = int(re.search(r"(\d+) requests in", out).group(1))
        errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
        server.stop()
        rss = {}
        for pid, points in samples.items():
            after = [value for when, value in points if when >= warmup]
            if len(after) >= 2:
                rss[str(pid)] = {
                    "first": after[0],
                    "last": after[-1],
                    "max": max(after),
                    "growth_pct": round((max(after) - after[0]) / after[0] * 100, 1),
                }
        logs = error_lines(server.log_path)
        # A worker that dies (a crash, a kill) is replaced quietly by gunicorn: count each one.
        deaths = re.findall(r"Worker \(pid:\d+\) was sent \w+", server.log_path.read_text(errors="replace"))
        syncs = 0
        if worker_log.exists():
            logs += error_lines(worker_log, celery=True)
            syncs = len(re.findall(r"Task planner\.sync_link\[[^\]]+\] succeeded", worker_log.read_text()))
        result.update(
            workers=2,
            database="postgresql",
            requests=total + sum(writes.values()),
            rps=total / seconds,
            status_5xx=statuses.get("5xx", 0) + writes.get("5xx", 0),
            reads=statuses,
            writes=writes,
            failures=(sum(int(n) for n in errors.groups()) if errors else 0)
            + sum(v for k, v in writes.items() if k.startswith("failed")),
            error_lines=len(logs),
            worker_deaths=len(deaths),
            syncs_completed=syncs,
            first_errors=logs[:5],
            workers_rss=rss,
            max_rss_growth_pct=max((w["growth_pct"] for w in rss.values()), default=None),
            load_average=[round(x, 1) for x in os.getloadavg()],
        )
        result["met"] = (
            result["status_5xx"] == 0
            and result["error_lines"] == 0
            and result["worker_deaths"] == 0
            and bool(rss)
            and all(w["growth_pct"] <= RSS_LIMIT * 100 for w in rss.values())
        )
    (HERE / "soak-results.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    report.write()
    shown = ("requests", "status_5xx", "error_lines", "worker_deaths", "workers_rss", "met")
    print(json.dumps({k: result[k] for k in shown}))
    return 0 if result["met"] else 1


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    raise SystemExit(main())
