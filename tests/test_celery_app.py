"""Celery tasks run inside the Flask app built last, and its task class keeps no older app alive."""

from __future__ import annotations

import uuid

from flask import current_app

from planner.extensions import celery_app


def test_tasks_run_in_the_latest_app_and_older_apps_are_not_chained(make_app):
    make_app()
    latest = make_app()

    @celery_app.task(name=f"tests.which_app.{uuid.uuid4().hex}")
    def which_app() -> int:
        return id(current_app._get_current_object())

    assert which_app.apply().get() == id(latest)
    chain = [cls for cls in celery_app.Task.__mro__ if cls.__name__ == "AppContextTask"]
    assert len(chain) == 1
