"""`make faults`: the fault suite (`pytest -m faults`) with its figures written to bench/faults-results.json.

Needs PLANNER_TEST_DATABASE_URL and PLANNER_TEST_BROKER_URL (as `.ci/run` sets them); each fault test adds
its figures (5xx answers, lost and duplicated writes, seconds to recover) to a JSON-lines file, collected
here and rendered into bench/RESULTS.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import report  # noqa: E402

HERE = Path(__file__).resolve().parent


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="planner-faults-") as folder:
        figures_path = Path(folder) / "faults.jsonl"
        env = os.environ | {"PLANNER_FAULT_REPORT": str(figures_path)}
        started = time.monotonic()
        command = [sys.executable, "-m", "pytest", "-q", "-m", "faults", "-p", "no:cacheprovider", "tests"]
        run = subprocess.run(command, env=env, cwd=HERE.parent, check=False)
        lines = figures_path.read_text().splitlines() if figures_path.exists() else []
    results = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "passed": run.returncode == 0,
        "seconds": round(time.monotonic() - started, 1),
        "database": "postgresql" if os.environ.get("PLANNER_TEST_DATABASE_URL") else "not set",
        "broker": "redis" if os.environ.get("PLANNER_TEST_BROKER_URL") else "not set",
        "faults": [json.loads(line) for line in lines],
    }
    (HERE / "faults-results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    report.write()
    print(f"Wrote bench/faults-results.json and bench/RESULTS.md ({len(results['faults'])} faults).")
    return run.returncode


if __name__ == "__main__":
    raise SystemExit(main())
