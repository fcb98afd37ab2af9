"""Sending work to the broker without ever failing or stalling the request that asked for it.

Every publish is bounded by short timeouts (set on the Celery app in ``extensions.py``). When the broker
cannot be reached, the caller is told so (``None``) and this process stops trying for ``PAUSE`` seconds,
so an outage costs one bounded wait per process, not one per request. What was not sent is not lost: a
meeting's change stays pending in its sync state until the periodic pull (or the next change) sends it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

log = logging.getLogger(__name__)

# Seconds a process waits, after a failed publish, before it tries the broker again.
PAUSE = 15.0
# The longest a sync task may run; the broker gives an unacknowledged task back only after this.
SYNC_TIME_LIMIT = 600
VISIBILITY_TIMEOUT = SYNC_TIME_LIMIT + 60
# Every call to Redis is bounded: a broker that accepts connections and never answers costs seconds, not 30.
TRANSPORT_OPTIONS = {
    "visibility_timeout": VISIBILITY_TIMEOUT,
    "socket_timeout": 3,
    "socket_connect_timeout": 2,
    # Look for tasks of workers that died every 10 s, not every 100 s.
    "unacked_restore_interval": 10,
    "unacked_restore_throttle": 1,
}
T = TypeVar("T")


class _Breaker:
    """When the broker last failed in this process, shared by its threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.failed_at: float | None = None

    def open(self, clock: float) -> bool:
        with self.lock:
            return self.failed_at is not None and clock - self.failed_at < PAUSE

    def fail(self, clock: float) -> None:
        with self.lock:
            first = self.failed_at is None
            self.failed_at = clock
        if first:
            log.warning("the job queue cannot be reached; background work waits until it is back")

    def succeed(self) -> None:
        with self.lock:
            recovered = self.failed_at is not None
            self.failed_at = None
        if recovered:
            log.warning("the job queue is reachable again")


_breaker = _Breaker()


def broker_down() -> bool:
    """True while this process has recently failed to reach the broker."""
    return _breaker.open(time.monotonic())


def publish(send: Callable[[], T], what: str) -> T | None:
    """Run ``send`` (one publish); None, logged as a warning, when the broker is unreachable."""
    if _breaker.open(time.monotonic()):
        return None
    try:
        result = send()
    except Exception as error:  # noqa: BLE001 - kombu, redis and socket errors all mean "not sent"
        _breaker.fail(time.monotonic())
        log.warning("could not queue %s: %s: %s", what, type(error).__name__, error)
        return None
    _breaker.succeed()
    return result


def reset() -> None:
    """Forget a past failure (tests, and a process that knows the broker is back)."""
    _breaker.succeed()
