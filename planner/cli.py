"""`flask --app wsgi planner ...`: set-up and administration commands."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from planner.extensions import db
from planner.models import utcnow


@click.group("planner")
def planner_cli() -> None:
    """Planner administration."""


def upgrade_database() -> None:
    """Apply every migration; running it again changes nothing."""
    from flask_migrate import upgrade

    upgrade(revision="heads")


@planner_cli.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the database schema."""
    upgrade_database()
    click.echo("Database is up to date.")


@planner_cli.command("create-user")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", default="")
@click.option("--locale", type=click.Choice(["en", "ja"]), default=None)
@with_appcontext
def create_user_command(email: str, password: str, name: str, locale: str | None) -> None:
    """Create a user who can log in."""
    from planner.operations.people import create_user, find_user

    if find_user(email):
        raise click.ClickException(f"A user with the email {email} exists already.")
    if len(password) < 8:
        raise click.ClickException("The password needs at least 8 characters.")
    user = create_user(email, password, name=name, locale=locale)
    db.session.commit()
    click.echo(f"Created user {user.email}.")


@planner_cli.command("create-token")
@click.argument("email")
@click.option("--label", default="command line")
@with_appcontext
def create_token_command(email: str, label: str) -> None:
    """Print a new API token for the user (shown once; only its hash is stored)."""
    from planner.operations.people import create_api_token, find_user

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"No user with the email {email}.")
    token = create_api_token(user, label=label, now=utcnow())
    db.session.commit()
    click.echo(token)
