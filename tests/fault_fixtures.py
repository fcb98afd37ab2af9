"""What the fault suite breaks on purpose: a TCP proxy that can go silent or away, a silent listener.

Nothing here stops a shared server: a fault is made by cutting or muting our own proxy in front of it,
or by pointing the app at a port nobody (or only a silent listener of ours) listens on.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import requests


def forget_broker_connections() -> None:
    """Drop the shared Celery app's pooled connections, so the next publish uses the configured broker."""
    from planner.extensions import celery_app

    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SilentListener:
    """Accepts connections and never answers: a server that hangs (a frozen Redis, a full disk)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        self.closed = True
        with suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        for conn in self.held:
            conn.close()


class TcpProxy:
    """Forwards a loopback port to a server; ``cut()`` closes it (refused), ``mute()`` makes it hang."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = free_port()
        self.mode = "pass"
        self.lock = threading.Lock()
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.listener: socket.socket | None = None
        self.connections = 0
        self._listen()

    def _listen(self) -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", self.port))
        except OSError:
            sock.close()
            raise
        sock.listen(128)
        self.listener = sock
        threading.Thread(target=self._accept, args=(sock,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            if self.mode == "silent":
                with self.lock:
                    self.pairs.append((client, client))
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self.lock:
                self.pairs.append((client, server))
                self.connections += 1
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                while self.mode == "silent":
                    time.sleep(0.05)  # hold what came: the other side waits, as on a hung server
                if self.mode == "closed":
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            # shutdown() before close(): it wakes the other direction's recv() and tells both ends at once,
            # as the kernel does for a process that dies.
            for sock in (src, dst):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with suppress(OSError):
                    sock.close()

    def _drop_all(self) -> None:
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for client, server in pairs:
            for sock in (client, server):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def cut(self) -> None:
        """Nothing listens any more and every open connection is reset: a server that is gone."""
        self.mode = "closed"
        if self.listener is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone would leave the port listening.
            with suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)
            self.listener.close()
            self.listener = None
        self._drop_all()

    def mute(self) -> None:
        """Connections are accepted and open ones stay open, but nothing is answered."""
        self.mode = "silent"

    def restore(self) -> None:
        """Forward again; connections made while muted are dropped so that clients reconnect."""
        if self.mode == "silent":
            self._drop_all()
        self.mode = "pass"
        if self.listener is None:
            self._listen()

    def close(self) -> None:
        self.cut()


@contextmanager
def proxy_to(host: str, port: int):
    proxy = TcpProxy((host, port))
    try:
        yield proxy
    finally:
        proxy.close()


# --- web instances and a client that writes through them as a balancer would -------------------------

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


@dataclass
class Instance:
    name: str
    url: str
    process: subprocess.Popen
    log: Path


@contextmanager
def gunicorn_instances(env: dict[str, str], folder: Path, names: list[str]):
    """Gunicorn instances (two workers each) on free loopback ports, started together, stopped by PID."""
    started: list[tuple[Instance, object]] = []
    try:
        for name in names:
            port = free_port()
            log_path = folder / f"{name}.log"
            log = open(log_path, "wb")  # noqa: SIM115 - closed below
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
            started.append((Instance(name, f"http://127.0.0.1:{port}", process, log_path), log))
        deadline = time.monotonic() + 90
        for instance, _ in started:
            while True:
                assert instance.process.poll() is None, instance.log.read_text()[-3000:]
                try:
                    if requests.get(instance.url + "/ping", timeout=1).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                assert time.monotonic() < deadline, f"instance {instance.name} did not start"
                time.sleep(0.2)
        yield [instance for instance, _ in started]
    finally:
        for instance, _ in started:
            if instance.process.poll() is None:
                instance.process.send_signal(signal.SIGTERM)
        for instance, log in started:
            try:
                instance.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                instance.process.kill()
                instance.process.wait()
            log.close()


@dataclass
class Attempt:
    key: str
    at: float
    status: int | None  # None: no answer (connection refused or reset, timeout)
    replayed: bool
    body: dict | None
    took: float = 0.0


@dataclass
class WriteLog:
    """Every attempt of every write, to count what was acknowledged, lost, duplicated or answered 5xx."""

    attempts: list[Attempt] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, attempt: Attempt) -> None:
        with self.lock:
            self.attempts.append(attempt)

    def acknowledged(self) -> dict[str, int]:
        """Key -> meeting id of every write that got its 201."""
        return {a.key: a.body["id"] for a in self.attempts if a.status == 201 and a.body}

    def server_errors(self) -> list[Attempt]:
        return [a for a in self.attempts if a.status is not None and a.status >= 500]

    def replays_after_5xx(self) -> list[str]:
        """Keys whose 5xx was followed by a replay: a 5xx for a write that had been saved."""
        failed = {a.key for a in self.server_errors()}
        return sorted({a.key for a in self.attempts if a.replayed and a.key in failed})

    def unanswered_replayed(self) -> int:
        lost_answers = {a.key for a in self.attempts if a.status is None}
        return len({a.key for a in self.attempts if a.replayed and a.key in lost_answers})

    def first_success_after(self, moment: float) -> float | None:
        times = [a.at for a in self.attempts if a.status == 201 and a.at >= moment]
        return min(times) - moment if times else None


def write_meetings(
    urls: list[str],
    token: str,
    engagement_id: int,
    *,
    prefix: str,
    seconds: float,
    writers: int = 4,
    log: WriteLog,
) -> None:
    """Writers that plan meetings for `seconds`, each retrying an unanswered or 5xx write with its key.

    Like a balancer with retries: a write that got no answer is sent again to the next instance.
    """
    stop_at = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {token}", "User-Agent": "planner-fault-suite"}

    def writer(number: int) -> None:
        session = requests.Session()
        count = 0
        while time.monotonic() < stop_at:
            count += 1
            key = f"{prefix}-{number}-{count}"
            body = {
                "title": key,
                "purpose": "Agree the order screens before the design freeze",
                "starts_at": f"2027-04-{1 + count % 28:02d}T{9 + number % 8:02d}:00",
                "duration_minutes": 30,
            }
            turn = number
            give_up = time.monotonic() + seconds + 60
            while True:
                url = urls[turn % len(urls)]
                turn += 1
                sent = time.monotonic()
                try:
                    response = session.post(
                        f"{url}/api/v1/engagements/{engagement_id}/meetings",
                        json=body,
                        headers=headers | {"Idempotency-Key": key},
                        timeout=15,
                    )
                except requests.RequestException:
                    log.add(Attempt(key, time.monotonic(), None, False, None, time.monotonic() - sent))
                    session = requests.Session()
                    time.sleep(0.2)
                    continue
                replayed = response.headers.get("Idempotent-Replayed") == "true"
                try:
                    payload = response.json()
                except ValueError:
                    payload = None
                log.add(
                    Attempt(
                        key,
                        time.monotonic(),
                        response.status_code,
                        replayed,
                        payload,
                        time.monotonic() - sent,
                    )
                )
                if response.status_code == 201 or time.monotonic() > give_up:
                    break
                time.sleep(0.2)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def report(name: str, figures: dict) -> None:
    """Add a fault's figures to PLANNER_FAULT_REPORT (a JSON-lines file) when `bench/faults.py` asks."""
    path = os.environ.get("PLANNER_FAULT_REPORT")
    if path:
        with open(path, "a") as fh:
            fh.write(json.dumps({"fault": name, **figures}) + "\n")
