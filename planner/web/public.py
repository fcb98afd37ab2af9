"""Routes are private by default; the few public ones say so with @public."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)


def public(view: F) -> F:
    """Mark a view as reachable without logging in (login, health, feeds, the client page)."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


def is_public(view: Callable | None) -> bool:
    return bool(getattr(view, "is_public", False))
