"""A small per-process cache of built feeds, so each feed is built at most once per revision."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime


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
        self._lock = threading.Lock()

    def get_or_build(self, key: Hashable, now: datetime, build: Callable[[], BuiltFeed]) -> BuiltFeed:
        """The cached feed for `key` while still valid at `now`, else a fresh build (stored)."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None and (found.valid_until is None or now < found.valid_until):
                self._entries.move_to_end(key)
                return found
        built = build()
        with self._lock:
            self.builds += 1
            self._entries[key] = built
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return built

    def clear(self) -> None:
        """Forget every built feed."""
        with self._lock:
            self._entries.clear()
