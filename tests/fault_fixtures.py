"""What the fault suite breaks on purpose: a TCP proxy that can go silent or away, a silent listener.

Nothing here stops a shared server: a fault is made by cutting or muting our own proxy in front of it,
or by pointing the app at a port nobody (or only a silent listener of ours) listens on.
"""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager, suppress


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
        sock.bind(("127.0.0.1", self.port))
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
            for sock in (src, dst):
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
