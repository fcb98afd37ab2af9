"""Celery entry point for workers: ``celery -A planner.worker worker --beat``."""

from __future__ import annotations

from planner import create_app, tasks

flask_app = create_app()
celery = flask_app.extensions["celery"]
# Tasks run inside this app's context; no second app is built per process.
tasks._worker_app = flask_app
