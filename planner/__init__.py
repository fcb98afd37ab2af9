"""Planner: a meeting triage and scheduling planner for client work."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, errors, CLI."""
    instance = (config or {}).get("INSTANCE_PATH") or os.environ.get("PLANNER_INSTANCE_PATH")
    app = Flask(
        __name__,
        instance_path=str(Path(instance).resolve()) if instance else None,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    from planner.web.converters import IdConverter

    app.url_map.converters["int"] = IdConverter
    from planner.config import load_config

    load_config(app, config)

    from planner.logging import init_logging

    init_logging(app)

    from planner.extensions import init_extensions

    init_extensions(app)

    from planner.web import register_web

    register_web(app)

    from planner.api import register_api

    register_api(app)

    from planner.cli import planner_cli

    app.cli.add_command(planner_cli)
    return app
