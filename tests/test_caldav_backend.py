"""The CalDAV backend on its own: truncated sync replies, odd servers, and errors a person can read."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from planner.caldav_backend import (
    AuthFailed,
    CalDAVBackend,
    CalDAVError,
    Unreachable,
    href_path,
    resource_name,
)

TRUNCATED = """<?xml version="1.0" encoding="utf-8"?>
<D:multistatus xmlns:D="DAV:">
  <D:response><D:href>/cal/a.ics</D:href>
    <D:propstat><D:prop><D:getetag>"a1"</D:getetag></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>
  </D:response>
  <D:response><D:href>/cal/</D:href><D:status>HTTP/1.1 507 Insufficient Storage</D:status></D:response>
  <D:sync-token>page-2</D:sync-token>
</D:multistatus>"""
REST = """<?xml version="1.0" encoding="utf-8"?>
<D:multistatus xmlns:D="DAV:">
  <D:response><D:href>/cal/b%40x.ics</D:href>
    <D:propstat><D:prop><D:getetag>"b1"</D:getetag></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>
  </D:response>
  <D:response><D:href>/cal/gone.ics</D:href><D:status>HTTP/1.1 404 Not Found</D:status></D:response>
  <D:sync-token>final</D:sync-token>
</D:multistatus>"""


class PagingServer(BaseHTTPRequestHandler):
    """Answers sync-collection in two pages, the first one truncated (RFC 6578 section 3.6)."""

    bodies: list[bytes] = []

    def log_message(self, format, *args):  # noqa: A002
        pass

    def do_REPORT(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        PagingServer.bodies.append(body)
        reply = (REST if b"page-2" in body else TRUNCATED).encode()
        self.send_response(207)
        self.send_header("Content-Type", "application/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002
        pass


def serve(handler) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    # A short poll interval: shutdown() waits up to one interval for the loop to notice.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def paging_url():
    PagingServer.bodies = []
    yield from serve(PagingServer)


@pytest.fixture
def plain_web_url():
    yield from serve(Quiet)


def test_truncated_sync_replies_are_followed(paging_url):
    with CalDAVBackend(paging_url, None, None, calendar_url=paging_url + "cal/") as backend:
        changes = backend.changes_since("page-1")
        assert changes.changed == {"/cal/a.ics": '"a1"', "/cal/b@x.ics": '"b1"'}
        assert changes.deleted == {"/cal/gone.ics"}
        assert changes.token == "final" and not changes.full
        assert backend.counter.by_method == {"REPORT": 2}


def test_a_web_site_that_is_not_caldav_gets_a_sentence(plain_web_url):
    with CalDAVBackend(plain_web_url, "someone", "hunter2-secret", calendar_url=plain_web_url) as backend:
        for call in (backend.calendars, backend.ctag, lambda: backend.changes_since(None)):
            with pytest.raises(CalDAVError) as caught:
                call()
            assert "hunter2-secret" not in str(caught.value)
            assert "CalDAV" in str(caught.value)


def test_refused_connection_is_unreachable_in_words():
    closed = "http://127.0.0.1:9/"
    backend = CalDAVBackend(closed, "u", "secret-pw", calendar_url=closed + "cal/")
    with backend, pytest.raises(Unreachable) as caught:
        backend.changes_since(None)
    assert "Could not connect" in str(caught.value) and "secret-pw" not in str(caught.value)
    assert Unreachable.retry and not AuthFailed.retry


@pytest.mark.parametrize("password", ["", None])
def test_a_missing_password_is_a_calendar_error_not_a_crash(password):
    # A password that no longer decrypts (another instance's key) arrives here as "".
    closed = "http://127.0.0.1:9/"
    backend = CalDAVBackend(closed, "u", password, calendar_url=closed + "cal/")
    with backend, pytest.raises(Unreachable):
        backend.changes_since(None)


@pytest.mark.parametrize(
    ("href", "path"),
    [
        ("http://host/cal/a%40b.ics", "/cal/a@b.ics"),
        ("/cal/x%20y.ics", "/cal/x y.ics"),
        ("/cal/plain.ics", "/cal/plain.ics"),
    ],
)
def test_hrefs_compare_decoded(href, path):
    assert href_path(href) == path


def test_resource_name_is_the_uid():
    assert resource_name("123@planner") == "123@planner.ics"
