"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from planner.extensions import db


def test_models_and_migrations_agree(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_init_db_runs_twice(app):
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["planner", "init-db"])
        assert result.exit_code == 0, result.output
