"""Whole pages kept per process, rendered again only when what they show has moved on.

A member's page of an engagement depends on the engagement's rows (whose committed changes all bump
`Engagement.activity`, planner/models/activity.py), on who looks and in which language, and on the clock
(relative dates, what is late): the minute is part of the version. The CSRF token is the one thing that
differs between two sessions seeing the same page, so a page is stored with a placeholder in its place.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Hashable

from flask import current_app, g, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from planner.fragment_cache import FragmentCache
from planner.models import Engagement
from planner.web import g_now
from planner.web.access import membership
from planner.web.formatting import current_language

# Random per process, so no text a user types can ever be taken for it.
PLACEHOLDER = f"csrf-{secrets.token_hex(16)}"
_PLACEHOLDER = PLACEHOLDER.encode()


def pages() -> FragmentCache | None:
    """This app's cache of whole pages, bounded in size (PAGE_CACHE_MB, default 32; 0 turns it off)."""
    if "page_cache" not in current_app.extensions:
        setting = current_app.config.get("PAGE_CACHE_MB")
        megabytes = 32.0 if setting in (None, "") else float(setting)
        current_app.extensions["page_cache"] = (
            FragmentCache(max_slots=4096, max_size=int(megabytes * 1024 * 1024)) if megabytes > 0 else None
        )
    return current_app.extensions["page_cache"]


def _with_placeholder(render: Callable[[], str]) -> str:
    name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    saved = g.pop(name, None)
    setattr(g, name, PLACEHOLDER)  # generate_csrf() returns what g holds
    try:
        return render()
    finally:
        g.pop(name, None)
        if saved is not None:
            setattr(g, name, saved)


def cached_page(slot: Hashable, version: Hashable, render: Callable[[], str]) -> bytes:
    """`render()`'s HTML, encoded, for this slot at this version, with this session's CSRF token in it."""
    cache = pages()
    if cache is None or session.get("_flashes"):
        return render().encode()  # a message shown once belongs to this response only
    html = cache.get_or_render(slot, version, lambda: _with_placeholder(render).encode())
    return html.replace(_PLACEHOLDER, generate_csrf().encode()) if _PLACEHOLDER in html else html


def member_page(engagement: Engagement, render: Callable[[], str]) -> bytes:
    """A member's page of `engagement`, the same HTML until the engagement, the viewer or the minute moves."""
    user = current_user
    found = membership(engagement)
    slot = (request.endpoint, request.full_path, engagement.id, user.id, current_language())
    version = (
        engagement.activity,
        engagement.revision,
        engagement.created_at,
        found.role if found else None,
        user.created_at,
        user.name,
        user.email,
        g_now().replace(second=0, microsecond=0),
    )
    return cached_page(slot, version, render)
