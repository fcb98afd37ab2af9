"""Render bench/RESULTS.md from the last results of `make bench`, bench/scale.py and `make soak`."""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES = {
    "bench": "results.json",
    "scale": "scale-results.json",
    "soak": "soak-results.json",
    "faults": "faults-results.json",
}


def _load(name: str) -> dict | None:
    path = HERE / SOURCES[name]
    return json.loads(path.read_text()) if path.exists() else None


def _target(figure: dict) -> str:
    # A figure without a target is reported for its cost only.
    return f"≥ {figure['target']}" if figure.get("target") is not None else "reported"


def _verdict(met: bool | None) -> str:
    return "—" if met is None else ("met" if met else "**missed**")


def _bench(data: dict) -> list[str]:
    setup = data["setup"]
    lines = [
        "## `make bench`",
        "",
        f"Run {data['when']} on {data['machine']['cpus']} CPUs (shared), Python {data['machine']['python']}, "
        f"{setup['database']}, gunicorn {setup['workers']} sync workers, wrk {setup['wrk']}, "
        f"{setup['seconds_per_figure']} s per figure. Each ratio is to `/ping` measured just before it.",
        "",
        "| figure | req/s | /ping req/s | ratio | target | p50 ms | p99 ms | |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for figure in data["http"].values():
        if "not_measured" in figure:
            lines.append(
                f"| {figure['label']} | — | — | — | {_target(figure)} | — | — | "
                f"not measured: {figure['not_measured']} |"
            )
            continue
        failed = f" ({figure['failed']} failed)" if figure["failed"] else ""
        lines.append(
            f"| {figure['label']} | {figure['rps']:.0f} | {figure['ping_rps']:.0f} | {figure['ratio']:.2f} | "
            f"{_target(figure)} | {figure['p50_ms']:.1f} | {figure['p99_ms']:.1f} | "
            f"{_verdict(figure['met'])}{failed} |"
        )
    lines += _cpu(data["http"]) + _budget(data["http"])
    rendered = data.get("http_rendered")
    if rendered:
        lines += [
            "",
            "Those pages are kept whole per process until what they show changes (see Notes). Rendered at "
            "every request instead (`PLANNER_PAGE_CACHE_MB=0`), which is what the first view after each "
            "change costs:",
            "",
            "| figure | req/s | /ping req/s | ratio | p50 ms | p99 ms |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for figure in rendered.values():
            if "not_measured" in figure:
                continue
            lines.append(
                f"| {figure['label']} | {figure['rps']:.0f} | {figure['ping_rps']:.0f} | "
                f"{figure['ratio']:.2f} | {figure['p50_ms']:.1f} | {figure['p99_ms']:.1f} |"
            )
    lines += _reference(data.get("http_reference"), data["http"].get("triage_api", {}))
    lists = data.get("meetings_list") or {}
    lines += _meetings_list(lists.get("kept"), "kept until the engagement changes, as pages are")
    lines += _meetings_list(lists.get("built"), "built at every request, `PLANNER_PAGE_CACHE_MB=0`")
    lines += [
        "",
        f"Server error lines logged during the run: {setup.get('server_errors_logged', 0)}. "
        f"Load average at the end: {data.get('load_average')} (the machine is shared).",
        "",
    ]
    lines += _modules(data)
    return lines


def _reference(figures: dict | None, triage: dict) -> list[str]:
    """Routes that only reach the database: what any route that reads or writes cannot beat here."""
    if not figures:
        return []
    lines = [
        "",
        "The same app and gunicorn with two routes that only reach the database (`bench/reference_app.py`), "
        "each statement its own transaction, one round trip; a route that writes can be no faster than the "
        "second one here:",
        "",
        "| route | req/s | /ping req/s | ratio | p50 ms | p99 ms | CPU ms: app | database |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for figure in figures.values():
        if "not_measured" in figure:
            lines.append(f"| {figure['label']} | not measured: {figure['not_measured']} | | | | | | |")
            continue
        cpu = figure["cpu_ms"]
        failed = f" ({figure['failed']} failed)" if figure["failed"] else ""
        lines.append(
            f"| {figure['label']}{failed} | {figure['rps']:.0f} | {figure['ping_rps']:.0f} | "
            f"{figure['ratio']:.2f} | {figure['p50_ms']:.1f} | {figure['p99_ms']:.1f} | "
            f"{cpu['app']:.2f} | {cpu['database']:.2f} |"
        )
    insert = figures.get("insert_one", {})
    if "ratio" in insert and "ratio" in triage:
        share = triage["ratio"] / insert["ratio"]
        lines += [
            "",
            f"The triage API ({triage['ratio']:.2f} of `/ping`) runs at {share:.0%} of the rate of a route "
            f"that only inserts one row ({insert['ratio']:.2f}), while it also checks the caller and the "
            "body, triages, drafts the reply and writes the request with its history.",
        ]
    return lines


def _meetings_list(figures: dict | None, how: str) -> list[str]:
    """The API's meetings list now against the same list before pages, served side by side."""
    if not figures:
        return []
    lines = [
        "",
        f"The API's meetings list of the same engagement, now ({how}) and as it was before pages and the "
        "row serialiser (`bench/meetings_before.py`, served by the same gunicorn in the same run):",
        "",
        "| list | req/s | /ping req/s | × before | p50 ms | p99 ms | CPU ms: app | database |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in ("meetings_before", "meetings_page", "meetings_all"):
        figure = figures.get(name)
        if not figure or "not_measured" in figure:
            lines.append(f"| {name} | not measured | | | | | | |")
            continue
        cpu = figure["cpu_ms"]
        times = figure.get("times_before", 1.0)
        lines.append(
            f"| {figure['label']} | {figure['rps']:.0f} | {figure['ping_rps']:.0f} | {times:.1f} | "
            f"{figure['p50_ms']:.1f} | {figure['p99_ms']:.1f} | {cpu['app']:.2f} | {cpu['database']:.2f} |"
        )
    lines += ["", f"Target: a page serves {figures['target']}× the list before: {_verdict(figures['met'])}."]
    return lines


def _cpu(figures: dict) -> list[str]:
    """CPU milliseconds per request by process, which bounds every ratio on a machine of few cores."""
    rows = [f for f in figures.values() if f.get("cpu_ms")]
    if not rows:
        return []
    lines = [
        "",
        "CPU per request in milliseconds, read from /proc around each wrk run (the app's gunicorn processes, "
        "PostgreSQL's, and wrk itself); on a machine of two cores their sum bounds the requests per second:",
        "",
        "| figure | app | database | wrk | /ping: app | database | wrk |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for figure in rows:
        own, ping = figure["cpu_ms"], figure["ping_cpu_ms"]
        lines.append(
            f"| {figure['label']} | {own['app']:.2f} | {own['database']:.2f} | {own['wrk']:.2f} | "
            f"{ping['app']:.2f} | {ping['database']:.2f} | {ping['wrk']:.2f} |"
        )
    return lines


def _budget(figures: dict) -> list[str]:
    """For each missed figure with CPU readings: the CPU a request may spend to meet it, and what it spent."""
    lines = []
    for figure in figures.values():
        if figure.get("met", True) is not False or not figure.get("cpu_ms") or figure.get("target") is None:
            continue
        own, ping = figure["cpu_ms"], figure["ping_cpu_ms"]
        allowed = sum(ping.values()) / figure["target"]
        spent = ", ".join(f"{part} {ms:.2f}" for part, ms in own.items())
        lines.append(
            f"{figure['label']}: at {figure['target']} of `/ping` a request may spend {allowed:.2f} ms "
            f"of CPU in all; it spent {sum(own.values()):.2f} ms ({spent}). The database alone takes "
            f"{own['database'] / allowed:.0%} of that allowance, the app {own['app'] / allowed:.0%}, while "
            f"`/ping` itself spends {ping['app'] / allowed:.0%} of it in the app."
        )
    return ["", *lines] if lines else []


def _modules(data: dict) -> list[str]:
    lines = ["| benchmark | figure | target | |", "| --- | --- | --- | --- |"]
    feed = data.get("feed_build")
    if feed is not None:
        if "not_measured" in feed:
            lines.append(f"| Cold feed build | not measured: {feed['not_measured']} | ≤ 1.5× | — |")
        else:
            lines.append(
                f"| Cold feed build, {feed['meetings']} meetings | app {feed['app_ms']} ms vs icalendar "
                f"{feed['icalendar_ms']} ms = {feed['ratio']:.2f}× | ≤ {feed['target']}× | "
                f"{_verdict(feed['met'])} |"
            )
    triage = data.get("triage_policy")
    if triage is not None:
        if "not_measured" in triage:
            lines.append(f"| Triage policy | not measured: {triage['not_measured']} | p99 < 5 ms | — |")
        else:
            lines.append(
                f"| Triage policy, {triage['meetings']} meetings | p50 {triage['p50_ms']:.3f} ms, "
                f"p99 {triage['p99_ms']:.3f} ms | p99 < {triage['target_p99_ms']:g} ms | "
                f"{_verdict(triage['met'])} |"
            )
    caldav = data.get("caldav")
    if caldav is not None:
        if "not_measured" in caldav:
            lines.append(f"| CalDAV sync | not measured: {caldav['not_measured']} | see issue 4 | — |")
        else:
            lines += _caldav(caldav)
    return lines + [""]


def _caldav(c: dict) -> list[str]:
    if "meetings" not in c:
        return [f"| CalDAV sync | {json.dumps(c, ensure_ascii=False)} | see issue 4 | — |"]
    n, k = c["meetings"], c["k"]
    return [
        f"| CalDAV sync, nothing changed ({n} meetings) | {c['no_change_requests']} requests | ≤ 2 | "
        f"{_verdict(c['no_change_met'])} |",
        f"| CalDAV sync after changing {k} of {n} | {c['k_changed_requests']} requests | ≤ {k + 3} | "
        f"{_verdict(c['k_changed_met'])} |",
        f"| CalDAV pull of {k} remote changes | {c['pull_requests']} requests {c['pull_by_method']} | "
        f"1 sync REPORT + 1 multiget | {_verdict(c['pull_met'])} |",
        f"| CalDAV first push of {n} meetings | {c['first_push_puts']} PUTs, "
        f"{c['first_push_requests']} requests, "
        f"{c['first_push_seconds']:.1f} s vs bare PUT loop {c['bare_put_loop_seconds']:.1f} s = "
        f"{c['first_push_ratio']:.2f}× | ≤ {c['first_push_ratio_target']}× | "
        f"{_verdict(c['first_push_met'])} |",
    ]


def _scale(data: dict) -> list[str]:
    lines = [
        "## Scale (`bench/scale.py`)",
        "",
        f"Run {data['when']}: {data['large']['engagements']:,} engagements and {data['large']['meetings']:,} "
        f"meetings in {data['database']} (loaded in {data['large']['load_seconds']} s) "
        "against a database holding "
        f"one engagement of {data['small']['meetings']} meetings. Same gunicorn setup, wrk "
        f"{data['seconds_per_figure']} s per figure; "
        "target: the large database within 2× the small one's latency.",
        "",
        "| figure | small req/s | large req/s | small p50 ms | large p50 ms | slowdown | |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for figure in data["figures"].values():
        if "not_measured" in figure:
            lines.append(
                f"| {figure['label']} | — | — | — | — | — | not measured: {figure['not_measured']} |"
            )
            continue
        lines.append(
            f"| {figure['label']} | {figure['small_rps']:.0f} | {figure['large_rps']:.0f} | "
            f"{figure['small_p50_ms']:.1f} | {figure['large_p50_ms']:.1f} | {figure['slowdown']:.2f}× | "
            f"{_verdict(figure['met'])} |"
        )
    return lines + [""]


def _soak(data: dict) -> list[str]:
    lines = [
        "## Soak (`make soak`)",
        "",
        f"Run {data['when']}: {data['seconds']} s of mixed traffic ({data['mix']}) against gunicorn "
        f"({data['workers']} workers) on {data['database']}; sync worker: {data['sync_worker']}.",
        "",
        f"- Requests: {data['requests']:,} ({data['rps']:.0f} req/s), 5xx: {data['status_5xx']}, "
        f"other failures: {data['failures']}.",
        f"- Reads by status class: {data.get('reads')}; writes: {data.get('writes')}; "
        f"calendar syncs completed by the worker: {data.get('syncs_completed', 0)}.",
        f"- Error lines in the logs: {data['error_lines']}; workers that died and were replaced: "
        f"{data.get('worker_deaths', 'not counted')}. "
        f"Load average at the end: {data.get('load_average')}.",
        "- Worker memory after warm-up (RSS, MiB, first → last sample, "
        f"max growth {data['max_rss_growth_pct']}%, "
        f"limit 10%): "
        + "; ".join(f"{pid}: {w['first']} → {w['last']}" for pid, w in data["workers_rss"].items()),
        f"- Verdict: {_verdict(data['met'])}.",
        "",
    ]
    return lines


def _faults(data: dict) -> list[str]:
    lines = [
        "## Faults (`make faults`)",
        "",
        f"Run {data['when']}: the fault suite (`pytest -m faults`, {data['seconds']} s, "
        f"{'passed' if data['passed'] else '**failed**'}) on {data['database']} and {data['broker']}. "
        "Writers retry an unanswered or 5xx write with its Idempotency-Key, as a client behind a balancer "
        "would; recovery is from the end of the fault to the next saved write.",
        "",
        "| fault | writes saved | 5xx answers | 5xx for a saved write | lost | duplicated | recovery s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    others = []
    for fault in data["faults"]:
        if "writes_acknowledged" not in fault:
            others.append(fault)
            continue
        lines.append(
            f"| {fault['fault']} | {fault['writes_acknowledged']} | {fault['server_errors']} "
            f"{fault.get('server_error_statuses') or ''} | {fault['server_errors_for_saved_writes']} | "
            f"{fault['lost']} | {fault['duplicated']} | {fault['recovery_seconds']} |"
        )
    for fault in others:
        details = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in fault.items() if k != "fault")
        lines += ["", f"- {fault['fault']}: {details}."]
    return lines + [""]


NOTES = """## Notes

- **Kept pages** (engagement page, week view, client page): each is kept whole per process and served again
  while the engagement's activity counter (moved by every committed change to its rows, from any instance or
  worker), the viewer, the language and the minute are the same; only the CSRF token is put in per request.
  A member's page then costs the login-and-membership query, one statement outside any transaction, against
  `/ping`'s none. The second table above is what a page costs when it is rendered: the first view after each
  change. The engagement page rendered is its schedule (cached per revision) plus the panels other features
  put around it (at-risk commitments, quiet contacts, open requests, calendar sync, feed links, the plan),
  about 25 small constant queries.
- **Triage API**: the body is checked field by field (no form), the caller's access, the contact and the
  upcoming meetings come from memory (access and contact for `PLANNER_FEED_STATE_TTL`, meetings per schedule
  revision), and on PostgreSQL the request, its history and the activity counter are written in one
  statement that is its own transaction: one round trip, no BEGIN or COMMIT. The new request is plain values
  until that statement (no ORM object for it, its history or the caller's membership). What is left is the
  policy, the drafted reply, that statement, the engagement, contact and user as session objects, and Flask
  and gunicorn around them. The CPU table above
  says where the time goes: on two shared cores every process's CPU counts, so a ratio of 0.3 allows a
  triage request 3.3 times a `/ping`'s CPU, everything included; the line under that table works it out.
- **Feed and 304**: one indexed read of the link's state at most once a second per process
  (`PLANNER_FEED_STATE_TTL`), then the feed built once per revision.
- **CalDAV first push**: Radicale on this machine is the bottleneck and its speed drifts during a run (see
  the bare loop before and after). The issue's figure is for 1,000 meetings, which takes over ten minutes
  here: `python bench/bench_caldav.py 1000`.
- Runs happen on a shared 2-core machine that also runs PostgreSQL and wrk (load average recorded with each
  run); each ratio is taken against `/ping` measured just before it, which cancels most of that, not all.
"""


def write() -> Path:
    """Write RESULTS.md from whichever results exist."""
    parts = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`bench/run.py`), `bench/scale.py` and `make soak` (`bench/soak.py`); every "
        "figure below was measured, none is estimated. Ratios compare with the app's trivial `/ping` route "
        "in the same run, so they hold across machines better than raw requests per second.",
        "",
    ]
    for name, render in (("bench", _bench), ("scale", _scale), ("soak", _soak), ("faults", _faults)):
        data = _load(name)
        if data is None:
            parts += [f"## {name}", "", "Not run yet.", ""]
        else:
            parts += render(data)
    parts.append(NOTES)
    path = HERE / "RESULTS.md"
    path.write_text("\n".join(parts).rstrip() + "\n")
    return path


if __name__ == "__main__":
    print(write())
