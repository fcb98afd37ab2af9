"""Rendered page fragments kept per process until the engagement's revision moves on."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable


class FragmentCache:
    """One entry per slot (what a fragment shows) holding the version it was rendered at; bounded, LRU.

    A schedule fragment only changes when the engagement's revision does, and every write to what a
    calendar sees bumps that revision in the database, so each process re-renders exactly once per change.
    """

    def __init__(self, max_slots: int = 512, max_chars: int | None = None) -> None:
        self.max_slots = max_slots
        self.max_chars = max_chars
        self.renders = 0
        self._chars = 0
        self._entries: OrderedDict[Hashable, tuple[Hashable, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_render(self, slot: Hashable, version: Hashable, render: Callable[[], str]) -> str:
        with self._lock:
            found = self._entries.get(slot)
            if found is not None and found[0] == version:
                self._entries.move_to_end(slot)
                return found[1]
        html = render()
        with self._lock:
            self.renders += 1
            previous = self._entries.pop(slot, None)
            self._chars += len(html) - (len(previous[1]) if previous else 0)
            self._entries[slot] = (version, html)
            while len(self._entries) > self.max_slots or (
                self.max_chars is not None and self._chars > self.max_chars and len(self._entries) > 1
            ):
                self._chars -= len(self._entries.popitem(last=False)[1][1])
        return html

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._chars = 0
