"""Which addresses the app may call on a user's behalf, enforced where the connection is made.

A calendar server's address is typed by a user, so a careless check would let anyone make the app call into
its own network (a metadata service, a database, an admin page). The policy is applied to the address the
socket connects to, resolved once per connection (no second lookup a rebinding name could answer
differently), on every request the CalDAV client sends; redirects are followed only to the same scheme, host
and port. The Host header and the TLS server name stay the name the user gave.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import niquests
from niquests.packages.urllib3.contrib.resolver.system import SystemResolver

Resolve = Callable[..., list]


@dataclass(frozen=True)
class Policy:
    """Private networks allowed or not, and the host names allowed (empty: any public host)."""

    allow_private: bool = False
    allowed_hosts: tuple[str, ...] = ()

    def host_allowed(self, host: str) -> bool:
        """True when the name is on the allowlist (or there is none); `*.example.com` covers subdomains."""
        if not self.allowed_hosts:
            return True
        name = host.lower().rstrip(".").strip("[]")
        for pattern in self.allowed_hosts:
            if pattern.startswith("*.") and name.endswith(pattern[1:]):
                return True
            if name == pattern:
                return True
        return False

    def address_allowed(self, address: str) -> bool:
        """Only globally routable unicast addresses, unless private networks are allowed."""
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        if self.allow_private:
            return True
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback, whatever its notation
        # is_global leaves out 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.168/16, fc00::/7, ...
        return ip.is_global and not ip.is_multicast


# The policy of a backend made without one: public hosts only.
DEFAULT = Policy()


def policy_from(config: Mapping[str, Any]) -> Policy:
    """The policy an app's configuration asks for (CALDAV_ALLOW_PRIVATE_HOSTS, CALDAV_ALLOWED_HOSTS)."""
    hosts = config.get("CALDAV_ALLOWED_HOSTS") or ()
    if isinstance(hosts, str):
        hosts = hosts.replace(",", " ").split()
    allow = config.get("CALDAV_ALLOW_PRIVATE_HOSTS")
    if isinstance(allow, str):
        allow = allow.strip().lower() in ("1", "true", "yes", "on")
    return Policy(
        allow_private=bool(allow),
        allowed_hosts=tuple(h.strip().lower().rstrip(".") for h in hosts if h.strip()),
    )


REASONS = {
    "not_allowed": "The calendar server {host} is not on the list of calendar servers allowed here.",
    "private": "The calendar server {host} is in a private network, which this installation does not call. "
    "An administrator can allow private calendar servers with PLANNER_CALDAV_ALLOW_PRIVATE_HOSTS.",
    "not_found": "The server name {host} cannot be found. Check the address.",
    "redirect": "The server sent us on to another server ({host}); only its own address is followed.",
}


class Refused(Exception):
    """The address may not be called; `reason` is a key of REASONS, the message says it in words."""

    def __init__(self, reason: str, host: str):
        super().__init__(REASONS[reason].format(host=host))
        self.reason, self.host = reason, host


def _resolve(host: str, port: int | None, *args: Any, **kwargs: Any) -> list:
    return socket.getaddrinfo(host, port, *args, **kwargs)


def checked_addresses(
    policy: Policy, host: str, port: int | None, *args: Any, resolve: Resolve | None = None, **kwargs: Any
) -> list:
    """getaddrinfo's records for the host, all of them allowed, or Refused saying why."""
    if not policy.host_allowed(host):
        raise Refused("not_allowed", host)
    try:
        records = (resolve or _resolve)(host, port, *args, **kwargs)
    except (OSError, UnicodeError) as exc:
        raise Refused("not_found", host) from exc
    # One refused record refuses the name: a name that answers both ways is trying something.
    if not records or not all(policy.address_allowed(str(record[4][0])) for record in records):
        raise Refused("private", host)
    return records


def check_url(policy: Policy, url: str, *, resolve: Resolve | None = None) -> None:
    """Refused when the URL's host may not be called (for a form's early answer; connections check again)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    checked_addresses(policy, host, port, 0, socket.SOCK_STREAM, resolve=resolve)


class _GuardedResolver(SystemResolver):
    """The system resolver, refusing any name whose addresses the policy does not allow."""

    def __init__(self, *patterns: str, **kwargs: Any):
        # Kept in the kwargs too: a recycled resolver is rebuilt from them.
        self.policy: Policy = kwargs.get("policy") or Policy()
        self.refuse: type[Exception] = kwargs.get("refuse") or Refused
        self.lookup: Resolve | None = kwargs.get("lookup")
        super().__init__(*patterns, **kwargs)

    def getaddrinfo(self, host, port, family, type, proto=0, flags=0, *, quic_upgrade_via_dns_rr=False):  # noqa: A002
        name = host.decode("ascii") if isinstance(host, bytes) else str(host or "")
        try:
            return checked_addresses(
                self.policy, name, port, family, type, proto, flags, resolve=self.lookup or _resolve
            )
        except Refused as exc:
            raise self.refuse(str(exc)) from None


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


class _SameOriginSession(niquests.Session):
    """A session that follows a redirect only to the scheme, host and port the request went to."""

    refuse: type[Exception] = Refused

    def get_redirect_target(self, resp):
        target = super().get_redirect_target(resp)
        if target:
            where = urljoin(resp.url, target)
            if _origin(where) != _origin(resp.url):
                raise self.refuse(str(Refused("redirect", urlsplit(where).netloc.rsplit("@", 1)[-1])))
        return target


def guarded_session(
    policy: Policy | None, refuse: type[Exception] = Refused, *, lookup: Resolve | None = None
) -> niquests.Session:
    """An HTTP session whose every connection and redirect obeys `policy` (strict when None).

    `refuse` is the exception raised for a refused address or redirect; `lookup` replaces
    `socket.getaddrinfo` (tests give names their own answers with it).
    """
    resolver = _GuardedResolver(policy=policy or Policy(), refuse=refuse, lookup=lookup)
    session = _SameOriginSession(resolver=resolver, happy_eyeballs=False)
    session.refuse = refuse
    session.trust_env = False  # a proxy from the environment would connect on our behalf, unchecked
    return session
