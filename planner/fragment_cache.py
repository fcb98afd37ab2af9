"""Values kept per process until what they were made from moves on: rendered pages and fragments, and what
triage reads from an engagement."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sized
from typing import Any, TypeVar

# Anything with a length: the bound on the cache's size counts it.
T = TypeVar("T", bound=Sized)


class FragmentCache:
    """One entry per slot (what a fragment shows) holding the version it was rendered at; bounded, LRU.

    A schedule fragment only changes when the engagement's revision does, and every write to what a
    calendar sees bumps that revision in the database, so each process re-renders exactly once per change.
    """

    def __init__(self, max_slots: int = 512, max_size: int | None = None) -> None:
        self.max_slots = max_slots
        self.max_size = max_size
        self.renders = 0
        self._size = 0
        self._entries: OrderedDict[Hashable, tuple[Hashable, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_render(self, slot: Hashable, version: Hashable, render: Callable[[], T]) -> T:
        with self._lock:
            found = self._entries.get(slot)
            if found is not None and found[0] == version:
                self._entries.move_to_end(slot)
                return found[1]
        html = render()
        with self._lock:
            self.renders += 1
            previous = self._entries.pop(slot, None)
            self._size += len(html) - (len(previous[1]) if previous else 0)
            self._entries[slot] = (version, html)
            while len(self._entries) > self.max_slots or (
                self.max_size is not None and self._size > self.max_size and len(self._entries) > 1
            ):
                self._size -= len(self._entries.popitem(last=False)[1][1])
        return html

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0
