"""Who a request comes from, for rate limits: the client behind the trusted proxies, not the balancer."""

from __future__ import annotations

import hashlib
import ipaddress

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix


def trust_proxies(app: Flask) -> None:
    """Read the client address and scheme from X-Forwarded-For/-Proto as set by TRUSTED_PROXIES proxies.

    Each trusted proxy appends the address it saw, so the client is the entry that many places from the
    end; whatever the client wrote in front of it is ignored. With no trusted proxy the headers are ignored.
    """
    value = app.config.get("TRUSTED_PROXIES") or 0
    try:
        count = int(value)
    except (TypeError, ValueError):
        count = -1
    if count < 0 or count > 10:
        raise ValueError(f"PLANNER_TRUSTED_PROXIES must be a number of proxies from 0 to 10, not {value!r}")
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


def client_key() -> str:
    """The rate-limit bucket of this request's client: its address, an IPv6 client's /64 network.

    An IPv6 home or cloud machine usually holds a whole /64, so one client cannot get fresh buckets by
    changing the last bits of its address.
    """
    address = request.remote_addr or "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip.ipv4_mapped or ip) if isinstance(ip, ipaddress.IPv6Address) else str(ip)


def account_key() -> str:
    """The bucket of the account a login attempt names (hashed: the key may be kept in Redis)."""
    email = (request.form.get("email") or "").strip().lower()[:254]
    return "account:" + hashlib.sha256(email.encode("utf-8", "replace")).hexdigest()


def memory_limits_warning(config, workers: int) -> str | None:
    """A warning when several workers would each keep their own rate limits in memory, else None."""
    storage = str(config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if workers > 1 and storage.startswith("memory://") and config.get("RATELIMIT_ENABLED", True):
        return (
            f"rate limits are kept in each worker's memory and {workers} workers run: every limit is "
            f"{workers} times looser than configured. Set PLANNER_BROKER_URL or "
            "PLANNER_RATELIMIT_STORAGE_URI "
            "to a Redis URL so that every worker and instance shares them."
        )
    return None
