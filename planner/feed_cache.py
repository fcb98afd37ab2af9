"""A small per-process cache of built feeds, so each feed is built at most once per revision."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class BuiltFeed:
    """A serialised feed with its validators; `valid_until` is when a cancelled meeting leaves it."""

    body: bytes
    etag: str
    last_modified: datetime
    valid_until: datetime | None


class FeedCache:
    """Least-recently-used store of built feeds; thread-safe, bounded."""

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self.builds = 0
        self._entries: OrderedDict[Hashable, BuiltFeed] = OrderedDict()
        # slot -> the key last stored for it, and back: a feed's newer revision replaces the older one.
        self._slots: dict[Hashable, Hashable] = {}
        self._slot_of: dict[Hashable, Hashable] = {}
        self._lock = threading.Lock()

    def get_or_build(
        self, key: Hashable, now: datetime, build: Callable[[], BuiltFeed], slot: Hashable | None = None
    ) -> BuiltFeed:
        """The cached feed for `key` while still valid at `now`, else a fresh build (stored).

        With a `slot` (the key without the revision), storing drops the slot's previous entry: once a
        schedule changes nobody asks for its old revision again, and keeping every revision until the LRU
        bound let each worker's memory grow by a feed per edit.
        """
        with self._lock:
            found = self._entries.get(key)
            if found is not None and (found.valid_until is None or now < found.valid_until):
                self._entries.move_to_end(key)
                return found
        built = build()
        with self._lock:
            self.builds += 1
            if slot is not None:
                previous = self._slots.get(slot)
                if previous is not None and previous != key:
                    self._forget(previous)
                self._slots[slot] = key
                self._slot_of[key] = slot
            self._entries[key] = built
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._forget(next(iter(self._entries)))
        return built

    def _forget(self, key: Hashable) -> None:
        self._entries.pop(key, None)
        slot = self._slot_of.pop(key, None)
        if slot is not None and self._slots.get(slot) == key:
            del self._slots[slot]

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        """Forget every built feed."""
        with self._lock:
            self._entries.clear()
            self._slots.clear()
            self._slot_of.clear()


@dataclass
class FeedStateEntry:
    """A feed link's state as last read from the database; `last_used_at` follows local writes."""

    state: Any
    fetched_at: float
    last_used_at: datetime | None


class FeedStateCache:
    """Token hash to link state for a short while, so that polls in quick succession skip the database.

    The link's state (revoked, engagement revision) is re-read once the entry is `ttl` seconds old; the
    process that revokes a link or changes a token clears the cache at once.
    """

    def __init__(self, max_entries: int = 1024) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, FeedStateEntry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, clock: float, ttl: float) -> FeedStateEntry | None:
        """The entry when it is younger than `ttl` seconds at `clock` (a monotonic time)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or clock - entry.fetched_at >= ttl:
                return None
            return entry

    def put(self, key: str, state: Any, clock: float) -> FeedStateEntry:
        """Remember a freshly read state."""
        entry = FeedStateEntry(state, clock, state.last_used_at)
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return entry

    def revise(self, change: Callable[[Any], Any]) -> None:
        """Replace every state by `change(state)`, keeping when it was read."""
        with self._lock:
            for entry in self._entries.values():
                entry.state = change(entry.state)

    def clear(self) -> None:
        """Forget every state (after a revocation or rotation in this process)."""
        with self._lock:
            self._entries.clear()
