"""A feed's newer revision replaces the older one in the per-process cache: memory stays flat."""

from __future__ import annotations

from datetime import UTC, datetime

from planner.feed_cache import BuiltFeed, FeedCache

NOW = datetime(2026, 5, 11, 9, 0, tzinfo=UTC)


def _feed(tag: str) -> BuiltFeed:
    return BuiltFeed(body=tag.encode(), etag=tag, last_modified=NOW, valid_until=None)


def test_a_new_revision_replaces_the_old_one_of_the_same_feed():
    cache = FeedCache(max_entries=256)
    for revision in range(1, 101):
        cache.get_or_build(
            (7, revision, "client"), NOW, lambda r=revision: _feed(f"r{r}"), slot=(7, "client")
        )
    assert len(cache) == 1
    assert (
        cache.get_or_build((7, 100, "client"), NOW, lambda: _feed("again"), slot=(7, "client")).etag == "r100"
    )
    # Another feed of the same engagement keeps its own entry.
    cache.get_or_build((7, 100, "team"), NOW, lambda: _feed("team"), slot=(7, "team"))
    assert len(cache) == 2 and cache.builds == 101


def test_without_a_slot_the_bound_still_applies_and_eviction_forgets_slots():
    cache = FeedCache(max_entries=3)
    for n in range(5):
        cache.get_or_build(("k", n), NOW, lambda n=n: _feed(str(n)), slot=("s", n))
    assert len(cache) == 3
    assert cache._slots == {("s", 2): ("k", 2), ("s", 3): ("k", 3), ("s", 4): ("k", 4)}
    cache.get_or_build("plain", NOW, lambda: _feed("plain"))
    assert len(cache) == 3 and ("s", 2) not in cache._slots
