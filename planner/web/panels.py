"""Features add sections to the engagement and meeting pages, and tabs, without editing those pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    context: Callable[[Any, datetime], dict] | None
    order: int


@dataclass(frozen=True)
class Tab:
    endpoint: str
    label: Any
    order: int


PANELS: dict[str, dict[str, Panel]] = {"engagement": {}, "meeting": {}}
TABS: dict[str, Tab] = {}


def register_panel(where: str, name: str, template: str, context=None, order: int = 50) -> None:
    """Show `template` on the engagement or meeting page, with `context(obj, now)` merged in."""
    PANELS[where][name] = Panel(name, template, context, order)


def register_tab(endpoint: str, label, order: int = 50) -> None:
    """Add a tab to the engagement's navigation; the endpoint takes `engagement_id`."""
    TABS[endpoint] = Tab(endpoint, label, order)


def panels_for(where: str, obj, now: datetime) -> list[tuple[str, dict]]:
    """The templates to include on a page, in order, each with its context."""
    out = []
    for panel in sorted(PANELS[where].values(), key=lambda p: (p.order, p.name)):
        ctx = panel.context(obj, now) if panel.context else {}
        if ctx is not None:
            out.append((panel.template, ctx))
    return out


def tabs() -> list[Tab]:
    return sorted(TABS.values(), key=lambda t: (t.order, t.endpoint))


def render_panels(where: str, obj, now: datetime) -> dict[str, str]:
    """Render every panel once; returns HTML by position (`top`, `side`, `bottom`; a context may set it)."""
    from flask import render_template
    from markupsafe import Markup

    base = {"now": now, where: obj, "engagement": obj if where == "engagement" else obj.engagement}
    out: dict[str, list[str]] = {"top": [], "side": [], "bottom": []}
    for template, ctx in panels_for(where, obj, now):
        out.setdefault(ctx.get("position", "top"), []).append(render_template(template, **(base | ctx)))
    # Each part is a rendered, autoescaped template.
    return {position: Markup("".join(parts)) for position, parts in out.items()}  # noqa: S704
