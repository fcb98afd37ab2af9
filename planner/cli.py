"""`flask --app wsgi planner ...`: set-up and administration commands."""

from __future__ import annotations

import click
from flask import current_app
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


@planner_cli.command("digest")
@click.option("--dry-run", is_flag=True, help="Print the mails instead of sending them.")
@with_appcontext
def digest_command(dry_run: bool) -> None:
    """Mail each member today's meeting briefs and what is late or at risk (run it from cron each morning)."""
    from flask import current_app

    from planner.operations.digest import build_digests, send_digests

    now = utcnow()
    if dry_run:
        for user, subject, body in build_digests(now=now, base_url=current_app.config.get("PUBLIC_URL")):
            click.echo(f"To: {user.email}\nSubject: {subject}\n\n{body}\n")
        return
    if not current_app.config.get("SMTP_URL"):
        raise click.ClickException("No mail server is configured: set PLANNER_SMTP_URL.")
    result = send_digests(current_app.config, now=now)
    click.echo(f"Digest sent to {len(result.sent)} member(s); {len(result.failed)} failed.")
    if result.failed:
        raise click.ClickException("Some digests were not sent: " + ", ".join(result.failed))


@planner_cli.command("sync")
@click.option("--engagement", "engagement_id", type=int, default=None, help="Only this engagement.")
@with_appcontext
def sync_command(engagement_id: int | None) -> None:
    """Sync linked CalDAV calendars both ways now, with a progress bar (for cron and for people)."""
    from sqlalchemy import select

    from planner.calendar_texts import sync_error_text, sync_note_text
    from planner.models import CalendarLink
    from planner.operations.calendars import run_sync

    query = select(CalendarLink).order_by(CalendarLink.id)
    if engagement_id is not None:
        query = query.where(CalendarLink.engagement_id == engagement_id)
    links = list(db.session.scalars(query))
    if not links:
        where = " to that engagement." if engagement_id else "."
        raise click.ClickException("No calendar is linked" + where)
    failed = 0
    for link in links:
        label = f"{link.display_name or link.calendar_url}"
        with click.progressbar(length=1, label=label, show_pos=True) as bar:

            def progress(done: int, total: int, bar=bar) -> None:
                bar.length = max(total, 1)
                bar.update(done - bar.pos)

            result = run_sync(link, now=utcnow(), progress=progress)
        counts = (
            f"pushed {result.pushed}, pulled {result.pulled}, imported {result.imported}, "
            f"conflicts {result.conflicts}, removed on server {result.removed}, {result.requests} requests"
        )
        click.echo(f"  {counts}")
        if result.error:
            failed += 1
            words = sync_error_text(result.error_code, result.error_params, result.error)
            click.echo(f"  Error: {words}", err=True)
        for note in result.notes:
            click.echo(f"  {sync_note_text(note)}")
    if failed:
        raise click.ClickException(f"{failed} of {len(links)} calendar(s) could not be synced.")


@planner_cli.command("demo")
@click.option(
    "--if-empty", is_flag=True, help="Do nothing (but print the login hint) when any engagement exists."
)
@click.option("--url", default="http://127.0.0.1:5000", show_default=True, help="Where the app is served.")
@with_appcontext
def demo_command(if_empty: bool, url: str) -> None:
    """Load a demo engagement for a Japanese client, planned from the SI playbook."""
    from planner.demo import DEMO_EMAIL, engagement_count, load_demo

    login = f"{url.rstrip('/')}/login"
    if if_empty and engagement_count():
        click.echo(f"Demo data is not loaded: engagements exist already. Log in at {login}.")
        click.echo(f"Forgot the demo password? flask --app wsgi planner reset-password {DEMO_EMAIL}")
        return
    # Links in the replies the demo drafts (where the client picks a time) point where it is served.
    if not current_app.config.get("PUBLIC_URL"):
        current_app.config["PUBLIC_URL"] = url.rstrip("/")
    result = load_demo(now=utcnow())
    db.session.commit()
    click.echo(
        f"Loaded the demo engagement “{result.engagement.name}” ({len(result.engagement.meetings)} meetings)."
    )
    # Printed this once, as the password below: only hashes are stored.
    click.echo(f"The client's schedule page (no login): {url.rstrip('/')}/s/{result.client_token}")
    if result.password:
        click.echo(f"Log in at {login} as {DEMO_EMAIL} / {result.password}")
    else:
        click.echo(f"Log in at {login} as {DEMO_EMAIL} (password unchanged).")
        click.echo(f"Forgot it? flask --app wsgi planner reset-password {DEMO_EMAIL}")


@planner_cli.command("reset-password")
@click.argument("email")
@click.option("--password", default=None, help="The new password; without it a random one is printed.")
@with_appcontext
def reset_password_command(email: str, password: str | None) -> None:
    """Set a new password for a user and print it once."""
    from planner.demo import new_password
    from planner.operations.people import change_password, find_user

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"No user with the email {email}.")
    if password is not None and len(password) < 8:
        raise click.ClickException("The password needs at least 8 characters.")
    chosen = password or new_password()
    change_password(user, chosen)  # every session of the user ends
    db.session.commit()
    if password is None:
        click.echo(f"New password for {user.email}: {chosen}")
    else:
        click.echo(f"Password changed for {user.email}.")


@planner_cli.command("set-password")
@click.argument("email")
@click.option("--password", prompt="New password", hide_input=True, confirmation_prompt=True)
@with_appcontext
def set_password_command(email: str, password: str) -> None:
    """Set a user's password (asked for, not echoed); every session and remember cookie they have ends."""
    from planner.operations.people import change_password, find_user

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"No user with the email {email}.")
    if len(password) < 10:
        raise click.ClickException("The password needs at least 10 characters.")
    change_password(user, password)
    db.session.commit()
    click.echo(f"Password changed for {user.email}; every session they had has ended.")
