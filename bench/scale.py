"""Scale: the same engagement measured on a small database and on one of 1,000 engagements / 100,000 meetings.

Both databases are private PostgreSQL schemas; the large one is bulk-loaded with COPY. Both servers run at
once and each figure is measured small, large, large, small, so drift on a shared machine cancels out.
Target: every figure on the large database within 2× its time on the small one.
Run: `python bench/scale.py [--engagements 1000] [--meetings 100000] [--seconds 5]`.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import report  # noqa: E402
from bench.harness import Server, app_env, database, login, make_app, pg_base_url, wrk  # noqa: E402
from bench.run import LABELS, endpoints, prepare  # noqa: E402

HERE = Path(__file__).resolve().parent
FIGURES = ("engagement_page", "week_view", "feed_warm", "triage_api")
# Kept pages cost one query whatever the database holds; rendered at every request, they show what it costs.
RENDERED = ("engagement_page", "week_view")
TARGET = 2.0
ZONES = ("Asia/Tokyo", "Europe/Berlin", "America/New_York", "Asia/Singapore")


def bulk_load(env: dict[str, str], engagements: int, meetings: int) -> float:
    """Add `engagements` engagements holding `meetings` meetings (two agenda items each); returns seconds."""
    started = time.monotonic()
    app = make_app(env)
    with app.app_context():
        from planner.extensions import db
        from planner.operations.people import create_user

        other = create_user(f"other-{uuid.uuid4().hex[:6]}@example.com", "scale-password-123", name="Other")
        db.session.commit()
        raw = db.engine.raw_connection()
        try:
            _copy(raw.driver_connection, other.id, engagements, meetings)
            raw.commit()
        finally:
            raw.close()
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        db.session.remove()
        db.engine.dispose()
    return round(time.monotonic() - started, 1)


def _copy(conn, user_id: int, engagements: int, meetings: int) -> None:
    """COPY rows straight into the tables: engagements, memberships, meetings, agenda items."""
    rng = random.Random(11)
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    with conn.cursor() as cur:
        with cur.copy(
            "COPY engagements (name, client_name, description, timezone, country, language, revision, "
            "created_at, updated_at, call_max_minutes, agenda_horizon_days, agenda_lead_hours, urgent_hours, "
            "warning_working_days, quiet_days, cancelled_feed_days) FROM STDIN"
        ) as copy:
            for n in range(engagements):
                zone = ZONES[n % len(ZONES)]
                copy.write_row(
                    (
                        f"Engagement {n}",
                        f"Client {n}",
                        "",
                        zone,
                        None,
                        "ja",
                        1,
                        now,
                        now,
                        30,
                        14,
                        24,
                        48,
                        2,
                        30,
                        30,
                    )
                )
        cur.execute("SELECT id FROM engagements WHERE name LIKE 'Engagement %%' ORDER BY id")
        ids = [row[0] for row in cur.fetchall()][-engagements:]
        with cur.copy("COPY memberships (engagement_id, user_id, role) FROM STDIN") as copy:
            for engagement_id in ids:
                copy.write_row((engagement_id, user_id, "owner"))
        per = meetings // len(ids)
        with cur.copy(
            "COPY meetings (engagement_id, uid, title, purpose, desired_outcome, kind, starts_at, ends_at, "
            "location, conference_url, status, internal, internal_notes, sequence, version, purpose_missing, "
            "created_at, updated_at) FROM STDIN"
        ) as copy:
            for engagement_id in ids:
                for m in range(per):
                    start = now + timedelta(days=rng.randint(-200, 200), hours=rng.randint(0, 9))
                    copy.write_row(
                        (
                            engagement_id,
                            f"{uuid.uuid4()}@planner",
                            f"Meeting {m}",
                            "Agree the next steps of the rollout",
                            "Decisions recorded",
                            "status",
                            start,
                            start + timedelta(hours=1),
                            "",
                            "",
                            "cancelled" if m % 17 == 0 else "confirmed",
                            False,
                            "",
                            0,
                            1,
                            False,
                            now,
                            now,
                        )
                    )
        cur.execute("SELECT id FROM meetings WHERE engagement_id = ANY(%s)", (ids,))
        meeting_ids = [row[0] for row in cur.fetchall()]
        with cur.copy(
            "COPY agenda_items (meeting_id, title, minutes, notes, position, done, created_at) FROM STDIN"
        ) as copy:
            for meeting_id in meeting_ids:
                copy.write_row((meeting_id, "Open questions", 20, "", 1, False, now))
                copy.write_row((meeting_id, "Decisions", 15, "", 2, False, now))


def _measure(server: Server, spec: dict, seconds: int):
    return wrk(
        spec["url"],
        seconds=seconds,
        headers=spec["headers"],
        method=spec.get("method", "GET"),
        body=spec.get("body"),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engagements", type=int, default=1000)
    parser.add_argument("--meetings", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=5)
    args = parser.parse_args(argv)
    if pg_base_url() is None:
        print(
            "bench/scale.py needs PostgreSQL (PLANNER_BENCH_DATABASE_URL); nothing measured.", file=sys.stderr
        )
        return 2
    results: dict = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": "postgresql",
        "seconds_per_figure": args.seconds,
        "target": TARGET,
    }
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="planner-scale-")))
        servers, specs = {}, {}
        for size in ("small", "large"):
            url = stack.enter_context(database(f"scale_{size}"))
            env = app_env(url, folder / size)
            print(f"[{size}] loading the measured engagement (200 meetings)...")
            data = prepare(env, 200)
            results[size] = {"engagements": 1, "meetings": 200}
            if size == "large":
                print(
                    f"[large] loading {args.engagements - 1:,} engagements, {args.meetings - 200:,} meetings"
                )
                seconds = bulk_load(env, args.engagements - 1, args.meetings - 200)
                results["large"] = {
                    "engagements": args.engagements,
                    "meetings": args.meetings,
                    "load_seconds": seconds,
                }
            for kind, extra in (("", {}), ("rendered", {"PLANNER_PAGE_CACHE_MB": "0"})):
                server = Server(env | extra, workers=2, log_path=folder / f"{size}{kind}.log")
                stack.callback(server.stop)
                server.start()
                session = login(server.url, data.email, data.password)
                servers[size + kind] = server
                specs[size + kind] = endpoints(server.url, data, session)
        figures: dict[str, dict] = {}
        measured = [(name, name, "") for name in FIGURES]
        measured += [(f"{name}_rendered", name, "rendered") for name in RENDERED]
        for key, name, kind in measured:
            label = LABELS[name] + (", rendered at every request" if kind else "")
            small_spec, large_spec = specs["small" + kind][name], specs["large" + kind][name]
            missing = small_spec.get("missing") or large_spec.get("missing")
            if missing:
                figures[key] = {"label": label, "not_measured": missing}
                continue
            _measure(servers["small" + kind], small_spec, 1)
            _measure(servers["large" + kind], large_spec, 1)
            runs = {"small": [], "large": []}
            for size in ("small", "large", "large", "small"):
                spec = small_spec if size == "small" else large_spec
                runs[size].append(_measure(servers[size + kind], spec, args.seconds))
            if any(r.requests == 0 for rs in runs.values() for r in rs):
                figures[key] = {
                    "label": label,
                    "not_measured": f"a {args.seconds} s run completed no request (machine overloaded)",
                }
                continue
            small_rps = sum(r.requests_per_second for r in runs["small"]) / 2
            large_rps = sum(r.requests_per_second for r in runs["large"]) / 2
            failed = sum(r.non_2xx_3xx + r.errors for rs in runs.values() for r in rs)
            slowdown = small_rps / large_rps if large_rps else float("inf")
            figures[key] = {
                "label": label,
                "small_rps": round(small_rps, 1),
                "large_rps": round(large_rps, 1),
                "small_p50_ms": round(sum(r.p50_ms for r in runs["small"]) / 2, 2),
                "large_p50_ms": round(sum(r.p50_ms for r in runs["large"]) / 2, 2),
                "slowdown": round(slowdown, 2),
                "failed": failed,
                "met": slowdown <= TARGET and failed == 0,
            }
            print(f"  {label:<60} small {small_rps:7.1f}/s  large {large_rps:7.1f}/s  {slowdown:.2f}×")
        results["figures"] = figures
    (HERE / "scale-results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    report.write()
    print("Wrote bench/scale-results.json and bench/RESULTS.md.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
