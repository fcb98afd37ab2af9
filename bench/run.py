"""`make bench`: the app under gunicorn (2 workers) on loopback, pages measured with wrk as ratios to /ping.

Every ratio is taken against a /ping run made just before it, so a busy neighbour on the machine moves both
sides of the ratio. Then the other benchmarks run in this process: CalDAV sync costs, the cold feed build
against bare icalendar, and the triage policy's p50/p99. Results: bench/results.json and bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402

from bench import dataset, reference_app, report  # noqa: E402
from bench.harness import USER_AGENT, Server, app_env, cookie_header, database, login, make_app, wrk  # noqa: E402

HERE = Path(__file__).resolve().parent
TARGETS = {
    "engagement_page": 0.3,
    "week_view": 0.3,
    "feed_warm": 0.5,
    "feed_304": 0.8,
    # The request API's cost is reported, not held to a ratio: it triages against the member's calendar
    # across engagements and writes the request with its triage in one transaction.
    "triage_api": None,
    "client_page": 0.3,
}
LABELS = {
    "engagement_page": "Engagement page (200 meetings)",
    "week_view": "Week view",
    "feed_warm": "Client feed, warm (200 meetings)",
    "feed_304": "Client feed, 304 Not Modified",
    "triage_api": 'Triage API (POST, "apply": false)',
    "client_page": "Client schedule page",
}
# Routes that only reach the database (bench/reference_app.py): the floor under the triage API.
REFERENCE = {
    "select_one": ("GET", "/bench/select", "One SELECT 1, its own transaction"),
    "insert_one": ("POST", "/bench/insert", "One row INSERTed, its own transaction"),
}
LABELS |= {name: label for name, (_method, _path, label) in REFERENCE.items()}
LABELS |= {
    "meetings_before": "Meetings list before pages (all 200, an ORM object each)",
    "meetings_page": "Meetings list now (a page of 100)",
    "meetings_all": "Meetings list now (all 200 in one page, ?limit=500)",
}
MEETINGS_LIST_TARGET = 10
# Pages kept whole per process, measured a second time with that cache off.
RENDERED = ("engagement_page", "week_view", "client_page")
TRIAGE_BODY = {
    "topic": "帳票レイアウトの確認",
    "details": "請求書のレイアウト案について相談したいです。",
    "reasons": ["nuance", "review_materials"],
    "expected_minutes": 15,
    "people": 2,
    "preferred_format": "video",
    "received_via": "email",
    "apply": False,
}


def prepare(env: dict[str, str], meetings: int) -> dataset.Dataset:
    """Migrate the private database and load one engagement."""
    app = make_app(env)
    with app.app_context():
        from planner.cli import upgrade_database
        from planner.extensions import db

        upgrade_database()
        data = dataset.build(meetings)
        with db.engine.begin() as connection:
            reference_app.create_table(connection)
        db.session.remove()
        db.engine.dispose()
    return data


def endpoints(base: str, data: dataset.Dataset, session: requests.Session) -> dict[str, dict]:
    """Each figure's request, checked once by hand so that wrk never measures a redirect or an error."""
    cookie = {"Cookie": cookie_header(session), "User-Agent": USER_AGENT}
    api = {"Authorization": f"Bearer {data.api_token}", "User-Agent": USER_AGENT}
    found: dict[str, dict] = {
        "engagement_page": {"url": f"{base}/engagements/{data.engagement_id}", "headers": cookie},
        "week_view": {"url": f"{base}/engagements/{data.engagement_id}/week", "headers": cookie},
    }
    if data.feed_token:
        feed = f"{base}/feeds/{data.feed_token}.ics"
        found["feed_warm"] = {"url": feed, "headers": {"User-Agent": USER_AGENT}}
        first = requests.get(feed, timeout=30)
        etag = first.headers.get("ETag")
        found["feed_304"] = (
            {"url": feed, "headers": {"If-None-Match": etag, "User-Agent": USER_AGENT}, "status": 304}
            if etag
            else {"missing": "the feed answers without an ETag"}
        )
        found["client_page"] = {"url": f"{base}/s/{data.feed_token}", "headers": {"User-Agent": USER_AGENT}}
    else:
        for name in ("feed_warm", "feed_304", "client_page"):
            found[name] = {"missing": "feed links are not in this build (planner.operations.feeds)"}
    body = TRIAGE_BODY | ({"contact_id": data.contact_id} if data.contact_id else {})
    found["triage_api"] = {
        "url": f"{base}/api/v1/engagements/{data.engagement_id}/requests",
        "headers": api,
        "method": "POST",
        "body": body,
        "status": (200, 201),
    }
    return checked(found)


def checked(found: dict[str, dict]) -> dict[str, dict]:
    """Each request made once by hand: one that answers otherwise than expected is marked missing."""
    for spec in found.values():
        if "missing" in spec:
            continue
        response = requests.request(
            spec.get("method", "GET"),
            spec["url"],
            headers=spec["headers"],
            json=spec.get("body"),
            allow_redirects=False,
            timeout=30,
        )
        expected = spec.get("status", 200)
        expected = expected if isinstance(expected, tuple) else (expected,)
        if response.status_code not in expected:
            spec["missing"] = f"answered {response.status_code} instead of {'/'.join(map(str, expected))}"
    return found


def measure(base: str, specs: dict[str, dict], seconds: int) -> tuple[dict, dict]:
    """wrk each figure right after a /ping run; returns figures and the /ping runs."""
    figures: dict[str, dict] = {}
    pings = []
    wrk(base + "/ping", seconds=2)  # warm both workers
    for name, spec in specs.items():
        if "missing" in spec:
            figures[name] = {
                "label": LABELS[name],
                "target": TARGETS.get(name),
                "not_measured": spec["missing"],
            }
            print(f"  {LABELS[name]:<40} not measured: {spec['missing']}")
            continue
        wrk(
            spec["url"],
            seconds=1,
            headers=spec["headers"],
            method=spec.get("method", "GET"),
            body=spec.get("body"),
        )
        ping = wrk(base + "/ping", seconds=seconds)
        page = wrk(
            spec["url"],
            seconds=seconds,
            headers=spec["headers"],
            method=spec.get("method", "GET"),
            body=spec.get("body"),
        )
        pings.append(ping.requests_per_second)
        expected_errors = page.non_2xx_3xx + page.errors
        figures[name] = {
            "label": LABELS[name],
            "target": TARGETS.get(name),
            "rps": round(page.requests_per_second, 1),
            "ping_rps": round(ping.requests_per_second, 1),
            "ratio": round(page.requests_per_second / ping.requests_per_second, 3),
            "p50_ms": round(page.p50_ms, 2),
            "p99_ms": round(page.p99_ms, 2),
            "requests": page.requests,
            "failed": expected_errors,
            # Where the time of one request goes on this machine, against /ping's.
            "cpu_ms": page.cpu_ms,
            "ping_cpu_ms": ping.cpu_ms,
        }
        target = TARGETS.get(name)
        reached = target is None or figures[name]["ratio"] >= target
        figures[name]["met"] = (reached and expected_errors == 0) if target is not None else None
        print(
            f"  {LABELS[name]:<40} {page.requests_per_second:8.1f} req/s  ratio {figures[name]['ratio']:.2f}"
        )
    return figures, {"rps_each_run": [round(p, 1) for p in pings]}


def meetings_list(base: str, data: dataset.Dataset, seconds: int) -> dict:
    """The API's meetings list now (a page of 100, and all in one page) against the list before pages."""
    api = {"Authorization": f"Bearer {data.api_token}", "User-Agent": USER_AGENT}
    path = f"/api/v1/engagements/{data.engagement_id}/meetings"
    specs = checked(
        {
            "meetings_before": {"url": f"{base}/bench/meetings-before/{data.engagement_id}", "headers": api},
            "meetings_page": {"url": base + path, "headers": api},
            "meetings_all": {"url": f"{base}{path}?limit=500", "headers": api},
        }
    )
    figures, _ = measure(base, specs, seconds)
    out = {name: {k: v for k, v in f.items() if k not in ("target", "met")} for name, f in figures.items()}
    before = figures.get("meetings_before", {}).get("rps")
    for name in ("meetings_page", "meetings_all"):
        if before and "rps" in figures.get(name, {}):
            out[name]["times_before"] = round(figures[name]["rps"] / before, 2)
    target = MEETINGS_LIST_TARGET
    page = out.get("meetings_page", {}).get("times_before")
    out["target"], out["met"] = target, page is not None and page >= target
    print(
        f"  meetings list: a page of 100 serves {page}x the list before pages "
        f"(all in one page: {out.get('meetings_all', {}).get('times_before')}x; target {target}x)"
    )
    return out


def run_module(name: str, call) -> dict:
    """Import bench/<name>.py and run it; a missing module or a failure is reported, never invented."""
    try:
        module = importlib.import_module(f"bench.{name}")
    except ModuleNotFoundError as error:
        if error.name in (f"bench.{name}", "bench"):
            return {"not_measured": f"bench/{name}.py does not exist in this build"}
        return {"not_measured": f"bench/{name}.py cannot be imported: {error}"}
    try:
        return call(module)
    except Exception as error:  # noqa: BLE001 - one failing benchmark must not hide the others
        return {"not_measured": f"bench/{name}.py failed: {error.__class__.__name__}: {error}"}


def caldav(meetings: int):
    """The sync figures for `meetings` meetings (Radicale takes about a quarter second per PUT here)."""

    def call(module) -> dict:
        result = module.run(meetings)
        return result if isinstance(result, dict) else {"result": result}

    return call


def feed_build(module) -> dict:
    result = module.run(1000)
    return {
        "meetings": 1000,
        "app_ms": round(result["app"] * 1000, 1),
        "icalendar_ms": round(result["icalendar"] * 1000, 1),
        "ratio": round(result["ratio"], 3),
        "target": module.TARGET,
        "met": result["ratio"] <= module.TARGET,
    }


def triage_policy(module) -> dict:
    result = module.run(2000, 500)
    return {
        "meetings": 500,
        "p50_ms": round(result["p50_ms"], 3),
        "p99_ms": round(result["p99_ms"], 3),
        "target_p99_ms": 5.0,
        "met": result["p99_ms"] < 5.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per figure (default 5)")
    parser.add_argument("--meetings", type=int, default=200)
    parser.add_argument("--skip-modules", action="store_true", help="only the HTTP figures")
    parser.add_argument(
        "--caldav-meetings",
        type=int,
        default=200,
        help="meetings in the CalDAV first-push figure (default 200 keeps the run short; the issue's 1,000 "
        "takes over ten minutes against Radicale here: python bench/bench_caldav.py 1000)",
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    results: dict = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "setup": {"workers": 2, "wrk": "2 threads, 8 connections", "seconds_per_figure": args.seconds},
    }
    with database("bench") as url, tempfile.TemporaryDirectory(prefix="planner-bench-") as folder:
        results["setup"]["database"] = url.split(":", 1)[0].replace("+psycopg", "")
        env = app_env(url, Path(folder) / "instance")
        print(f"Loading an engagement of {args.meetings} meetings ({results['setup']['database']})...")
        data = prepare(env, args.meetings)
        server = Server(env, workers=2, log_path=Path(folder) / "gunicorn.log")
        with server:
            session = login(server.url, data.email, data.password)
            specs = endpoints(server.url, data, session)
            print("Measuring with wrk (each figure against /ping run just before it):")
            results["http"], results["ping"] = measure(server.url, specs, args.seconds)
        # The same pages with the page cache off: what the first view after every change costs.
        rendered = Server(env | {"PLANNER_PAGE_CACHE_MB": "0"}, workers=2, log_path=server.log_path)
        with rendered:
            session = login(rendered.url, data.email, data.password)
            specs = endpoints(rendered.url, data, session)
            print("The same pages rendered at every request (PLANNER_PAGE_CACHE_MB=0):")
            figures, _ = measure(rendered.url, {name: specs[name] for name in RENDERED}, args.seconds)
            results["http_rendered"] = {
                name: {k: v for k, v in figure.items() if k not in ("target", "met")}
                for name, figure in figures.items()
            }
        # The same gunicorn and app, with routes that only reach the database: a floor no route that writes
        # can pass on this machine.
        reference = Server(env, log_path=server.log_path, app_spec="bench.reference_app:create()")
        with reference:
            specs = checked(
                {
                    name: {
                        "url": reference.url + path,
                        "headers": {"User-Agent": USER_AGENT},
                        "method": method,
                        "status": (200, 201),
                    }
                    for name, (method, path, _label) in REFERENCE.items()
                }
            )
            print("Routes that only reach the database (bench/reference_app.py):")
            figures, _ = measure(reference.url, specs, args.seconds)
            results["http_reference"] = {
                name: {k: v for k, v in figure.items() if k not in ("target", "met")}
                for name, figure in figures.items()
            }
            print(f"The meetings list of {args.meetings} meetings, before and now (same server, same run):")
            results["meetings_list"] = {"kept": meetings_list(reference.url, data, args.seconds)}
        # The same list built at every request (nothing kept): what the first read after each change costs.
        built = Server(
            env | {"PLANNER_PAGE_CACHE_MB": "0"},
            log_path=server.log_path,
            app_spec="bench.reference_app:create()",
        )
        with built:
            print("The same lists built at every request (PLANNER_PAGE_CACHE_MB=0):")
            results["meetings_list"]["built"] = meetings_list(built.url, data, args.seconds)
        log = server.log_path.read_text()
        results["setup"]["server_errors_logged"] = sum(
            '"level": "error"' in line for line in log.splitlines()
        )
    if not args.skip_modules:
        print("CalDAV, feed build and triage policy benchmarks...")
        results["caldav"] = run_module("bench_caldav", caldav(args.caldav_meetings))
        results["feed_build"] = run_module("bench_feed", feed_build)
        results["triage_policy"] = run_module("bench_triage", triage_policy)
    results["seconds"] = round(time.monotonic() - started, 1)
    results["load_average"] = [round(x, 1) for x in os.getloadavg()]
    (HERE / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    report.write()
    print(f"Wrote bench/results.json and bench/RESULTS.md in {results['seconds']} s.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
