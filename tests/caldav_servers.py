"""Real CalDAV servers (Radicale, Xandikos) and a fault-injecting proxy for the sync tests.

Use the fixtures by importing them: ``from caldav_servers import caldav_server_fixture`` (the
fixture is then named ``caldav_server``), likewise ``fresh_server_fixture``, ``fault_proxy_fixture``.

Every server runs as a subprocess on a free 127.0.0.1 port with temporary storage and is stopped
by PID when its fixture ends. ``FaultProxy`` sits between the client and a server and can drop a
connection (before or after the server saw the request), delay, or answer 503 / 412 for the next
N requests, so the sync code meets the failures of real networks in a test. ``strict()`` makes it
behave like a hosted production server (see ``FaultProxy.strict``).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit
from xml.etree import ElementTree as ET  # noqa: S405 - replies of our own loopback test servers
from xml.sax.saxutils import escape

import pytest

VENV_BIN = Path(sys.executable).parent
USERNAME = "planner"
PASSWORD = "s3cret-Pa55"  # noqa: S105 - a throwaway password for a loopback test server


def free_port() -> int:
    """Return a TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_answering(port: int, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"CalDAV test server exited early with code {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("OPTIONS", "/")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("CalDAV test server did not answer in time")


@dataclass
class CalDAVServer:
    """A running test server: ``url`` is its root, ``calendar_home`` where calendars live."""

    kind: str
    storage: Path
    port: int = 0
    username: str = USERNAME
    password: str = PASSWORD
    proc: subprocess.Popen | None = None
    log: Path | None = None
    extra: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def calendar_home(self) -> str:
        if self.kind == "xandikos":
            return f"{self.url}user/calendars/"
        return f"{self.url}{self.username}/"

    def credentials(self) -> tuple[str, str, str]:
        """Return ``(url, username, password)``."""
        return self.url, self.username, self.password

    def _command(self) -> list[str]:
        if self.kind == "radicale":
            htpasswd = self.storage / "users"
            htpasswd.write_text(f"{self.username}:{self.password}\n")
            return [
                str(VENV_BIN / "radicale"),
                "--config",
                "",
                "--server-hosts",
                f"127.0.0.1:{self.port}",
                "--storage-filesystem-folder",
                str(self.storage / "collections"),
                "--auth-type",
                "htpasswd",
                "--auth-htpasswd-filename",
                str(htpasswd),
                "--auth-htpasswd-encryption",
                "plain",
                "--auth-delay",
                "0",
                "--rights-type",
                "owner_only",
                "--logging-level",
                "warning",
            ]
        return [
            str(VENV_BIN / "xandikos"),
            "serve",
            "--directory",
            str(self.storage / "data"),
            "--defaults",
            "--no-detect-systemd",
            "--listen-address",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]

    def start(self) -> None:
        """Start (or start again) the server on its port, keeping its storage."""
        if not self.port:
            self.port = free_port()
        self.log = self.storage / f"{self.kind}.log"
        env = {**os.environ, "XDG_DATA_HOME": str(self.storage / "state")}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(  # noqa: S603 - fixed argv of an installed test server
                self._command(), stdout=log, stderr=subprocess.STDOUT, env=env
            )
        _wait_until_answering(self.port, self.proc)

    def stop(self) -> None:
        """Stop the server process by its PID."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def restart(self) -> None:
        """Stop and start again on the same port with the same storage."""
        self.stop()
        self.start()

    def new_calendar_url(self) -> str:
        """Return a fresh, not yet existing calendar URL under the calendar home."""
        return f"{self.calendar_home}cal-{uuid.uuid4().hex[:10]}/"


@contextlib.contextmanager
def running_server(kind: str, storage: Path) -> Iterator[CalDAVServer]:
    """Start a server of ``kind`` ("radicale" or "xandikos") and stop it on exit."""
    server = CalDAVServer(kind=kind, storage=storage)
    storage.mkdir(parents=True, exist_ok=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


SERVER_KINDS = ["radicale", "xandikos"]


@pytest.fixture(name="caldav_server", scope="module", params=SERVER_KINDS)
def caldav_server_fixture(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """A real CalDAV server for the module, once per server kind."""
    with running_server(request.param, tmp_path_factory.mktemp(request.param)) as server:
        yield server


@pytest.fixture(name="fresh_server")
def fresh_server_fixture(request: pytest.FixtureRequest, tmp_path: Path):
    """A server for one test only (for restarts); parametrize with ``indirect`` or use the default."""
    kind = getattr(request, "param", "radicale")
    with running_server(kind, tmp_path / kind) as server:
        yield server


# -- fault-injecting proxy -------------------------------------------------------------------------

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "upgrade"}


@dataclass
class Fault:
    """One planned fault: ``kind`` in drop, drop_after, delay, 503, 412."""

    kind: str
    count: int = 1
    methods: frozenset[str] | None = None
    seconds: float = 0.0

    def applies(self, method: str) -> bool:
        return self.count > 0 and (self.methods is None or method in self.methods)


class FaultProxy:
    """A threaded HTTP reverse proxy on loopback that injects faults into chosen requests.

    ``drop`` closes the connection before the server sees the request; ``drop_after`` forwards it
    and then closes without answering (the server applied it, the client never learns);
    ``delay`` waits before forwarding; ``503`` and ``412`` answer without forwarding.
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.strict_home: str | None = None
        self.refuse_marks: dict[str, str] = {}
        self.faults: list[Fault] = []
        self.seen: list[tuple[str, str, int]] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def _any(self) -> None:
                proxy._handle(self)

            do_GET = do_PUT = do_DELETE = do_PROPFIND = do_REPORT = do_OPTIONS = _any  # noqa: N815
            do_MKCALENDAR = do_MKCOL = do_PROPPATCH = do_POST = do_HEAD = _any  # noqa: N815

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        # A short poll interval: stop() waits up to one interval for the loop to notice.
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def inject(
        self, kind: str, count: int = 1, methods: set[str] | None = None, seconds: float = 0.0
    ) -> None:
        """Plan ``kind`` for the next ``count`` requests (of ``methods``, when given)."""
        with self._lock:
            self.faults.append(Fault(kind, count, frozenset(methods) if methods else None, seconds))

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

    def strict(self, home: str) -> None:
        """Behave like a hosted production server whose calendars live under ``home`` (a path).

        A PUT with an X- property without a value is refused with ``valid-calendar-data``; a UID
        is unique across every calendar of the account (``unique-scheduling-object-resource``
        naming the resource that holds it); and an event with an ORGANIZER comes without an ETag,
        after its PUT and when it is read with GET (the server rewrites scheduling objects).
        """
        self.strict_home = home if home.endswith("/") else home + "/"

    def refuse(self, mark: str, message: str) -> None:
        """Refuse any PUT whose body contains ``mark`` with ``valid-calendar-data`` and ``message``."""
        self.refuse_marks[mark] = message

    # -- the strict server's rules ------------------------------------------------------------------

    def _upstream(self, method: str, path: str, body: bytes, headers: dict) -> tuple[int, dict, bytes]:
        upstream = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=30)
        try:
            upstream.request(method, path, body=body, headers=headers)
            response = upstream.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            upstream.close()

    def _holders(self, uid: str, auth: dict) -> list[str]:
        """Every resource of the account holding ``uid``, by a calendar-query in each calendar."""
        home = self.strict_home or "/"
        listing = (
            b'<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/></D:prop></D:propfind>'
        )
        headers = {**auth, "Depth": "1", "Content-Type": "application/xml"}
        _, _, data = self._upstream("PROPFIND", home, listing, headers)
        root = ET.fromstring(data)
        calendars = [
            response.findtext("{DAV:}href")
            for response in root.findall("{DAV:}response")
            if response.find(".//{urn:ietf:params:xml:ns:caldav}calendar") is not None
        ]
        query = (
            '<?xml version="1.0"?><C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
            '<D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR">'
            '<C:comp-filter name="VEVENT"><C:prop-filter name="UID">'
            f'<C:text-match collation="i;octet">{escape(uid)}</C:text-match>'
            "</C:prop-filter></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"
        ).encode()
        found = []
        for calendar in calendars:
            status, _, data = self._upstream("REPORT", urlsplit(calendar).path, query, headers)
            if status != 207:
                continue
            for response in ET.fromstring(data).findall("{DAV:}response"):
                found.append(unquote(urlsplit(response.findtext("{DAV:}href") or "").path))
        return found

    def _strict_refusal(self, handler: BaseHTTPRequestHandler, body: bytes) -> bytes | None:
        text = body.decode("utf-8", "replace")
        for mark, message in self.refuse_marks.items():
            if mark in text:
                return _error_body("C:valid-calendar-data", message=message)
        if self.strict_home is None:
            return None
        unfolded = re.sub(r"\r?\n[ \t]", "", text)
        if re.search(r"^X-[A-Za-z0-9-]+(;[^:\r\n]*)?:\r?$", unfolded, re.MULTILINE):
            return _error_body("C:valid-calendar-data", message="No value for X property")
        uid = re.search(r"^UID:(.*?)\r?$", unfolded, re.MULTILINE)
        if uid:
            auth = {k: v for k, v in handler.headers.items() if k.lower() == "authorization"}
            target = unquote(urlsplit(handler.path).path)
            others = [h for h in self._holders(uid.group(1).strip(), auth) if h != target]
            if others:
                return _error_body("C:unique-scheduling-object-resource", href=quote(others[0]))
        return None

    def requests(self, method: str | None = None) -> int:
        """How many requests reached the proxy (of ``method`` when given)."""
        return sum(1 for m, _, _ in self.seen if method is None or m == method)

    def _take_fault(self, method: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.applies(method):
                    fault.count -= 1
                    return fault
        return None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        method = handler.command
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        fault = self._take_fault(method)
        kind = fault.kind if fault else None
        if kind == "drop":
            self.seen.append((method, handler.path, 0))
            handler.close_connection = True
            with contextlib.suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RDWR)
            return
        if kind in ("503", "412"):
            self.seen.append((method, handler.path, int(kind)))
            payload = b"injected fault"
            handler.send_response(int(kind))
            handler.send_header("Content-Type", "text/plain")
            handler.send_header("Content-Length", str(len(payload)))
            if kind == "503":
                handler.send_header("Retry-After", "0")
            handler.end_headers()
            handler.wfile.write(payload)
            return
        if kind == "delay":
            time.sleep(fault.seconds)
        refusal = self._strict_refusal(handler, body) if method == "PUT" else None
        if refusal is not None:
            self.seen.append((method, handler.path, 403))
            handler.send_response(403)
            handler.send_header("Content-Type", "application/xml; charset=utf-8")
            handler.send_header("Content-Length", str(len(refusal)))
            handler.end_headers()
            handler.wfile.write(refusal)
            return
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["Host"] = f"127.0.0.1:{self.upstream_port}"
        try:
            upstream = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=30)
            upstream.request(method, handler.path, body=body, headers=headers)
            response = upstream.getresponse()
            data = response.read()
            upstream.close()
        except OSError:
            self.seen.append((method, handler.path, 502))
            handler.close_connection = True
            with contextlib.suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RDWR)
            return
        self.seen.append((method, handler.path, response.status))
        if kind == "drop_after":
            handler.close_connection = True
            with contextlib.suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RDWR)
            return
        handler.send_response(response.status, response.reason)
        # A strict server rewrites an event with an ORGANIZER as it stores it: no ETag after the PUT, nor
        # with the event when it is read back.
        no_etag = self.strict_home is not None and (
            (method == "PUT" and b"\nORGANIZER" in body) or (method == "GET" and b"\nORGANIZER" in data)
        )
        for key, value in response.getheaders():
            if key.lower() in HOP_BY_HOP or key.lower() == "content-length":
                continue
            if no_etag and key.lower() == "etag":
                continue
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        if method != "HEAD":
            handler.wfile.write(data)


def _error_body(precondition: str, *, href: str | None = None, message: str | None = None) -> bytes:
    """A WebDAV error body as SabreDAV-based servers send it (RFC 4918 section 16)."""
    inner = f"<D:href>{escape(href)}</D:href>" if href else ""
    words = f"<s:message>{escape(message)}</s:message>" if message else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<D:error xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:s="http://sabredav.org/ns">'
        f"<{precondition}>{inner}</{precondition}>{words}</D:error>"
    ).encode()


@pytest.fixture(name="fault_proxy")
def fault_proxy_fixture(caldav_server: CalDAVServer) -> Iterator[FaultProxy]:
    """A fault-injecting proxy in front of the module's server."""
    proxy = FaultProxy(caldav_server.port).start()
    try:
        yield proxy
    finally:
        proxy.stop()
