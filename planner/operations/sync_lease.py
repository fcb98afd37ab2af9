"""The lease that keeps two syncs of one calendar link from running at once, and its heartbeat.

The lease is short (``LEASE``) and renewed every ``HEARTBEAT`` seconds by a thread of the process
running the sync, on a connection of its own. A process that dies (killed, out of memory, its machine
gone) stops renewing, so its lease runs out within ``LEASE`` and another worker may take the link over;
a run whose lease was taken over while it stalled stops at its next item instead of racing the new one.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, update

from planner.extensions import db
from planner.models import CalendarLink, utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)
HEARTBEAT = 5.0
# A lease not renewed for this long belongs to a run that died: it is no longer reported as running.
STALE_AFTER = timedelta(seconds=3 * HEARTBEAT)


class LeaseLost(Exception):
    """Another process took over this link's lease while this run was stalled."""


def acquire_lease(link_id: int, owner: str, now: datetime, ttl: timedelta = LEASE) -> bool:
    """Take the link's lease with one conditional UPDATE (atomic on SQLite and PostgreSQL)."""
    result = db.session.execute(
        update(CalendarLink)
        .where(
            CalendarLink.id == link_id,
            or_(
                CalendarLink.lease_until.is_(None),
                CalendarLink.lease_until < now,
                CalendarLink.lease_owner == owner,
            ),
        )
        .values(lease_owner=owner, lease_until=now + ttl)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def release_lease(link_id: int, owner: str) -> None:
    """Give the lease back, only if we still hold it."""
    db.session.execute(
        update(CalendarLink)
        .where(CalendarLink.id == link_id, CalendarLink.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def lease_owner_id() -> str:
    """An id for this run, unique across machines; host and PID say who holds a lease."""
    return f"{socket.gethostname()[:30]}-{os.getpid()}-{uuid.uuid4().hex[:12]}"


def lease_held(link: CalendarLink, now: datetime) -> bool:
    """Whether a live run holds the link's lease: one renewed within ``STALE_AFTER``.

    A run that died stops renewing: it is no longer reported after ``STALE_AFTER``, and its lease can be
    taken over once ``LEASE`` has passed.
    """
    return bool(link.lease_until and link.lease_until > now + LEASE - STALE_AFTER)


class Heartbeat:
    """Renews one lease in the background until stopped; notices when it was taken over."""

    def __init__(self, link_id: int, owner: str, ttl: timedelta = LEASE, every: float = HEARTBEAT):
        self.link_id, self.owner, self.ttl, self.every = link_id, owner, ttl, every
        self.engine = db.engine
        self.stopped = threading.Event()
        self.lost = False
        self.thread = threading.Thread(target=self._beat, name=f"lease-{link_id}", daemon=True)

    @classmethod
    def start(cls, link_id: int, owner: str) -> Heartbeat:
        beat = cls(link_id, owner)
        beat.thread.start()
        return beat

    def _beat(self) -> None:
        while not self.stopped.wait(self.every):
            try:
                with self.engine.begin() as conn:
                    renewed = conn.execute(
                        update(CalendarLink.__table__)
                        .where(
                            CalendarLink.__table__.c.id == self.link_id,
                            CalendarLink.__table__.c.lease_owner == self.owner,
                        )
                        .values(lease_until=utcnow() + self.ttl)
                    ).rowcount
            except Exception as error:  # noqa: BLE001 - a missed beat is retried; the lease outlives a few
                log.warning("could not renew the sync lease of link %s: %s", self.link_id, error)
                continue
            if renewed == 0 and not self.stopped.is_set():
                self.lost = True
                log.warning("the sync lease of link %s was taken over; this run stops", self.link_id)
                return

    def watching(self, progress: Callable[[int, int], None] | None) -> Callable[[int, int], None]:
        """``progress``, preceded by a check that this run still holds its lease."""

        def step(done: int, total: int) -> None:
            if self.lost:
                raise LeaseLost(f"the lease of calendar link {self.link_id} was taken over")
            if progress is not None:
                progress(done, total)

        return step

    def stop(self) -> None:
        self.stopped.set()
        if self.thread.is_alive() and self.thread is not threading.current_thread():
            self.thread.join(timeout=5)
