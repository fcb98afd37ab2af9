"""What every benchmark shares: a private database, gunicorn on loopback, a logged-in session, and wrk."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
USER_AGENT = "planner-bench/1"


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pg_base_url() -> str | None:
    """The PostgreSQL server to benchmark on, or None for SQLite."""
    url = os.environ.get("PLANNER_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    if url in ("", "sqlite"):
        return None
    from planner.config import normalise_database_url

    url = normalise_database_url(url)
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 2})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # noqa: BLE001 - no server means the SQLite fallback, said out loud
        print(
            f"PostgreSQL at {url} is not reachable ({error.__class__.__name__}); using SQLite",
            file=sys.stderr,
        )
        return None
    return url


@contextmanager
def database(prefix: str = "bench"):
    """A private PostgreSQL schema (dropped afterwards) or a SQLite file; yields the app's database URL."""
    base = pg_base_url()
    if base is None:
        folder = Path(tempfile.mkdtemp(prefix=f"planner-{prefix}-"))
        try:
            yield f"sqlite:///{folder / 'planner.sqlite'}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def app_env(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    """Environment for the app and its tools, as production would set it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_")}
    env.update(
        PLANNER_DATABASE_URL=database_url,
        PLANNER_INSTANCE_PATH=str(instance),
        PLANNER_SECRET_KEY="bench-" + uuid.uuid4().hex,
        # The login form is rate-limited per address; every bench request comes from 127.0.0.1.
        PLANNER_RATELIMIT_ENABLED="false",
    )
    env.update(extra)
    return env


def make_app(env: dict[str, str]):
    """The app in this process, configured as the servers are (to migrate and load data)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        from planner import create_app

        return create_app()
    finally:
        os.environ.clear()
        os.environ.update(saved)


@dataclass
class Server:
    """Gunicorn running `wsgi:app` (or `app_spec`) with gunicorn.conf.py; stopped by its PID."""

    env: dict[str, str]
    workers: int = 2
    app_spec: str = "wsgi:app"
    port: int = field(default_factory=free_port)
    log_path: Path | None = None
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> Server:
        env = self.env | {"PLANNER_BIND": f"127.0.0.1:{self.port}", "PLANNER_WORKERS": str(self.workers)}
        self.log_path = self.log_path or Path(tempfile.mkstemp(prefix="planner-gunicorn-", suffix=".log")[1])
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child, closed in stop()
        self._log = log
        self.process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), self.app_spec],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_path.read_text()[-2000:]}")
            try:
                if requests.get(self.url + "/ping", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not answer /ping in time")

    def worker_pids(self) -> list[int]:
        """The master's children (gunicorn workers)."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=35)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "_log", None):
            self._log.close()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def login(base_url: str, email: str, password: str) -> requests.Session:
    """A browser-like session, logged in through the real form (with its CSRF token)."""
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    page = session.get(base_url + "/login", timeout=10)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    data = {"email": email, "password": password}
    if match:
        data["csrf_token"] = match.group(1)
    response = session.post(base_url + "/login", data=data, allow_redirects=False, timeout=10)
    if response.status_code != 302:
        raise RuntimeError(f"login failed: {response.status_code}")
    return session


def cookie_header(session: requests.Session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


def settle(url: str, timeout: float = 20) -> None:
    """Wait until the server has drained what wrk left queued, so the next run starts on idle workers."""
    base = "/".join(url.split("/")[:3])
    deadline = time.monotonic() + timeout
    quick = 0
    while quick < 4 and time.monotonic() < deadline:
        started = time.monotonic()
        with contextlib.suppress(requests.RequestException):
            requests.get(base + "/ping", timeout=timeout, headers={"Connection": "close"})
        quick = quick + 1 if time.monotonic() - started < 0.05 else 0


@dataclass
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    non_2xx_3xx: int
    # CPU milliseconds per request, by who spent them: "app" (gunicorn), "database" (postgres), "wrk".
    cpu_ms: dict[str, float] = field(default_factory=dict)


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
# Which processes each part of the CPU a figure costs counts, by their command line.
_CPU_PARTS = {
    "app": lambda command: "gunicorn" in command,
    "database": lambda command: command.startswith("postgres"),
}


def cpu_seconds() -> dict[str, float]:
    """CPU seconds spent so far by the processes of each part, and by this process's finished children (wrk).

    Read from /proc; where there is none, only the children's time is known.
    """
    found = dict.fromkeys(_CPU_PARTS, 0.0)
    proc = Path("/proc")
    for entry in proc.iterdir() if proc.is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        for part, belongs in _CPU_PARTS.items():
            if belongs(command):
                found[part] += (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    times = os.times()
    found["wrk"] = times.children_user + times.children_system
    return found


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * _UNITS[unit]


def wrk(
    url: str,
    *,
    seconds: int = 5,
    connections: int = 8,
    threads: int = 2,
    headers: dict[str, str] | None = None,
    method: str = "GET",
    body: dict | None = None,
) -> WrkResult:
    """Run wrk against one URL (a Lua script for POST bodies) and parse its summary."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (Debian package `wrk`)")
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    # Gunicorn's sync workers close every connection; wrk stalls unless it is told so up front.
    for name, value in ({"Connection": "close"} | (headers or {})).items():
        args += ["-H", f"{name}: {value}"]
    script = None
    if method != "GET" or body is not None:
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
        script.write(f"wrk.method = {json.dumps(method)}\n")
        if body is not None:
            script.write(f"wrk.body = {json.dumps(json.dumps(body))}\n")
            script.write('wrk.headers["Content-Type"] = "application/json"\n')
        script.close()
        args += ["-s", script.name]
    before = cpu_seconds()
    try:
        for _attempt in range(3):
            out = subprocess.run(
                args + [url], capture_output=True, text=True, check=True, timeout=seconds + 30
            ).stdout
            # A run that completed nothing met a stall of the shared machine, not the app: run it again.
            if int(re.search(r"(\d+) requests in", out).group(1)) > 0:
                break
    finally:
        if script:
            os.unlink(script.name)
    spent = {part: seconds - before[part] for part, seconds in cpu_seconds().items()}
    settle(url)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    errors_match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = sum(int(n) for n in errors_match.groups()) if errors_match else 0
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    cpu_ms = {part: round(seconds * 1000 / max(total, 1), 3) for part, seconds in spent.items()}
    return WrkResult(rps, p50, p99, total, errors, int(bad.group(1)) if bad else 0, cpu_ms)
