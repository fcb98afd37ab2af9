"""The calendar address policy: checked on the address connected to, at every request, redirects kept home."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from caldav_servers import running_server
from sqlalchemy import func, select

from planner import netguard
from planner.caldav_backend import CalDAVBackend, Refused, Unreachable
from planner.extensions import db
from planner.models import CalendarLink, utcnow
from planner.operations import calendars as ops

pytestmark = pytest.mark.caldav

STRICT = netguard.Policy()
PUBLIC_ADDRESS = "93.184.216.34"


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "100.64.0.1",
        "100.100.100.200",  # a cloud metadata service, in the shared address space 100.64.0.0/10
        "169.254.169.254",
        "0.0.0.0",
        "224.0.0.251",
        "239.255.255.250",
        "192.0.2.10",
        "::1",
        "::ffff:127.0.0.1",
        "fd00::1",
        "fe80::1",
        "ff02::1",
        "not an address",
    ],
)
def test_only_globally_routable_unicast_addresses_are_allowed(address):
    assert not STRICT.address_allowed(address)
    if address != "not an address":
        assert netguard.Policy(allow_private=True).address_allowed(address)


@pytest.mark.parametrize("address", [PUBLIC_ADDRESS, "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8"])
def test_public_addresses_pass(address):
    assert STRICT.address_allowed(address)


def test_the_allowlist_names_hosts_and_subdomains():
    policy = netguard.policy_from({"CALDAV_ALLOWED_HOSTS": "caldav.fastmail.com, *.icloud.com"})
    assert policy.host_allowed("caldav.fastmail.com") and policy.host_allowed("CalDAV.Fastmail.com.")
    assert policy.host_allowed("p01-caldav.icloud.com")
    assert not policy.host_allowed("icloud.com.evil.example") and not policy.host_allowed("fastmail.com")
    assert netguard.policy_from({}).host_allowed("anything.example")
    assert netguard.policy_from({"CALDAV_ALLOW_PRIVATE_HOSTS": "true"}).allow_private
    assert not netguard.policy_from({"CALDAV_ALLOW_PRIVATE_HOSTS": "false"}).allow_private


class Names:
    """A DNS of our own: each name answers the addresses listed for it, one list per lookup in turn."""

    def __init__(self, answers: dict[str, list[list[str]]], port: int):
        self.answers, self.port, self.asked = answers, port, []

    def __call__(self, host, port, *args, **kwargs):
        self.asked.append(host)
        if host in ("127.0.0.1", "localhost"):
            addresses = ["127.0.0.1"]
        elif host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        else:
            turns = self.answers[host]
            addresses = turns.pop(0) if len(turns) > 1 else turns[0]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, self.port)) for a in addresses]


@pytest.fixture(scope="module")
def radicale(tmp_path_factory):
    with running_server("radicale", tmp_path_factory.mktemp("radicale-guard")) as server:
        yield server


def _port(url: str) -> int:
    from urllib.parse import urlsplit

    return urlsplit(url).port


def _named(server, name: str) -> str:
    return server.url.replace("127.0.0.1", name)


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "10.0.0.7", "100.100.100.200", "169.254.169.254", "224.0.0.251"]
)
def test_a_name_that_resolves_inside_is_refused_before_any_request(monkeypatch, radicale, address):
    names = Names({"calendar.example.com": [[address]]}, _port(radicale.url))
    monkeypatch.setattr(netguard, "_resolve", names)
    url = _named(radicale, "calendar.example.com")
    with (
        CalDAVBackend(url, radicale.username, radicale.password, calendar_url=url, guard=STRICT) as backend,
        pytest.raises(Refused, match="private network"),
    ):
        backend.calendars()
        with pytest.raises(Refused, match="private network"):
            backend.ctag()
        assert backend.counter.total >= 1  # counted as sent, refused before any byte left


def test_a_name_that_answers_public_and_private_is_refused(monkeypatch, radicale):
    names = Names({"mixed.example.com": [[PUBLIC_ADDRESS, "127.0.0.1"]]}, _port(radicale.url))
    monkeypatch.setattr(netguard, "_resolve", names)
    url = _named(radicale, "mixed.example.com")
    with (
        CalDAVBackend(url, radicale.username, radicale.password, guard=STRICT) as backend,
        pytest.raises(Refused, match="private network"),
    ):
        backend.calendars()


def test_the_address_checked_is_the_address_connected_to(monkeypatch, radicale):
    # Rebinding: public when the form checks the name, loopback when the connection looks it up again.
    names = Names({"rebind.example.com": [[PUBLIC_ADDRESS], ["127.0.0.1"]]}, _port(radicale.url))
    monkeypatch.setattr(netguard, "_resolve", names)
    url = _named(radicale, "rebind.example.com")
    netguard.check_url(STRICT, url)  # the first answer passes
    with (
        CalDAVBackend(url, radicale.username, radicale.password, guard=STRICT) as backend,
        pytest.raises(Refused, match="private network"),
    ):
        backend.calendars()


def test_a_public_answer_is_connected_to_as_checked(monkeypatch, radicale):
    names = Names({"calendar.example.com": [[PUBLIC_ADDRESS]]}, _port(radicale.url))
    monkeypatch.setattr(netguard, "_resolve", names)
    url = _named(radicale, "calendar.example.com")
    # The test guard lets sockets reach loopback only: connecting to the checked address fails there,
    # which shows the connection went to the address the policy saw, looked up once.
    with (
        CalDAVBackend(url, radicale.username, radicale.password, guard=STRICT) as backend,
        pytest.raises(Unreachable),
    ):
        backend.calendars()
    assert names.asked == ["calendar.example.com"]


def test_allowed_private_names_keep_their_host_header(monkeypatch, radicale):
    names = Names({"calendar.example.com": [["127.0.0.1"]]}, _port(radicale.url))
    monkeypatch.setattr(netguard, "_resolve", names)
    policy = netguard.Policy(allow_private=True, allowed_hosts=("calendar.example.com",))
    url = _named(radicale, "calendar.example.com")
    with CalDAVBackend(url, radicale.username, radicale.password, guard=policy) as backend:
        found = backend.calendars()
        assert all(info.url.startswith("http://calendar.example.com:") for info in found)
    other = _named(radicale, "other.example.com")
    with (
        CalDAVBackend(other, radicale.username, radicale.password, guard=policy) as backend,
        pytest.raises(Refused, match="not on the list of calendar servers allowed"),
    ):
        backend.calendars()
    assert "other.example.com" not in names.asked  # refused by name, not even looked up


class _Redirecting(BaseHTTPRequestHandler):
    """Answers every request with a redirect to `target` (relative or absolute)."""

    target = "/"
    hosts: list[str] = []

    def _redirect(self):
        self.hosts.append(self.headers.get("Host", ""))
        self.send_response(301)
        self.send_header("Location", self.target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_PROPFIND = do_REPORT = do_PUT = _redirect

    def log_message(self, *args):
        pass


@pytest.fixture
def redirector():
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Redirecting,), {"hosts": []}))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_redirects_to_another_port_or_host_are_refused(redirector, radicale):
    allow = netguard.Policy(allow_private=True)
    base = f"http://127.0.0.1:{redirector.server_port}/"
    for target in (radicale.url, radicale.url.replace("127.0.0.1", "localhost"), "https://127.0.0.1/"):
        redirector.RequestHandlerClass.target = target
        with (
            CalDAVBackend(base, radicale.username, radicale.password, calendar_url=base, guard=allow) as b,
            pytest.raises(Refused, match="only its own address is followed"),
        ):
            b.calendars()
            with pytest.raises(Refused, match="only its own address is followed"):
                b.ctag()


def test_redirects_on_the_same_server_are_followed(redirector):
    allow = netguard.Policy(allow_private=True)
    base = f"http://127.0.0.1:{redirector.server_port}/"
    redirector.RequestHandlerClass.target = "/elsewhere/"
    backend = CalDAVBackend(base, None, None, calendar_url=base, guard=allow)
    with backend, pytest.raises(Exception) as raised:  # noqa: PT011 - any error but the guard's
        backend.ctag()
    # Followed (to the same place again and again) until the library gives up: not refused by the guard.
    assert not isinstance(raised.value, Refused)
    assert len(redirector.RequestHandlerClass.hosts) > 2


@pytest.fixture
def strict_app(app):
    app.config["CALDAV_ALLOW_PRIVATE_HOSTS"] = False
    return app


def test_linking_refuses_a_name_inside_the_network(
    strict_app, client, login, make_user, make_engagement, monkeypatch, radicale
):
    names = Names({"calendar.example.com": [["100.64.0.1"]]}, _port(radicale.url))
    monkeypatch.setattr(netguard, "_resolve", names)
    owner = make_user(email="owner@example.com")
    engagement = make_engagement(owner=owner)
    login(client, owner)
    answer = client.post(
        f"/engagements/{engagement.id}/calendars/connect",
        data={"url": _named(radicale, "calendar.example.com"), "username": "u", "password": "p"},
    )
    assert answer.status_code == 400 and b"private network" in answer.data
    assert db.session.scalar(select(func.count(CalendarLink.id))) == 0


def test_a_stored_link_is_checked_again_at_sync_time(
    strict_app, make_user, make_engagement, monkeypatch, radicale
):
    owner = make_user(email="owner@example.com")
    engagement = make_engagement(owner=owner)
    names = Names({"calendar.example.com": [["127.0.0.1"]]}, _port(radicale.url))
    monkeypatch.setattr(netguard, "_resolve", names)
    url = _named(radicale, "calendar.example.com")
    strict_app.config["CALDAV_ALLOW_PRIVATE_HOSTS"] = True
    link = ops.link_calendar(
        engagement,
        url=url,
        username=radicale.username,
        password=radicale.password,
        calendar_name="Guarded",
        now=utcnow(),
    )
    db.session.commit()
    assert link.calendar_url.startswith("http://calendar.example.com:")
    strict_app.config["CALDAV_ALLOW_PRIVATE_HOSTS"] = False
    result = ops.run_sync(link, now=utcnow())
    assert result.error and "private network" in result.error
    db.session.refresh(link)
    assert "private network" in (link.last_error or "")


def test_a_calendar_offered_on_another_host_is_checked_too(
    strict_app, make_user, make_engagement, monkeypatch, radicale
):
    # The choose step: the server is allowed, the calendar address handed back points somewhere else.
    owner = make_user(email="owner@example.com")
    engagement = make_engagement(owner=owner)
    names = Names(
        {"calendar.example.com": [["127.0.0.1"]], "intranet.example.com": [["127.0.0.1"]]},
        _port(radicale.url),
    )
    monkeypatch.setattr(netguard, "_resolve", names)
    strict_app.config["CALDAV_ALLOW_PRIVATE_HOSTS"] = True
    strict_app.config["CALDAV_ALLOWED_HOSTS"] = "calendar.example.com"
    with pytest.raises(Refused, match="not on the list"):
        ops.link_calendar(
            engagement,
            url=_named(radicale, "calendar.example.com"),
            username=radicale.username,
            password=radicale.password,
            calendar_url=_named(radicale, "intranet.example.com") + "planner/cal/",
            now=utcnow(),
        )
    db.session.rollback()
    assert db.session.scalar(select(func.count(CalendarLink.id))) == 0
    assert "intranet.example.com" not in names.asked
