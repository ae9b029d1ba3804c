"""The ``engagement`` command: Flask's commands plus the operators' own."""

from __future__ import annotations

import os
import sys
from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from werkzeug.serving import run_simple

from engagement import create_app, tokens
from engagement import db as database
from engagement.config import ConfigError
from engagement.models import utcnow
from engagement.pageviews import service as pageviews


def app_or_exit() -> Flask:
    """The application, or a clear message and exit status 2 when configuration is bad."""
    try:
        return create_app()
    except ConfigError as exc:
        print(f"engagement: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


@click.group(cls=FlaskGroup, create_app=app_or_exit)
def main() -> None:
    """Operate the engagement service."""


@main.group("db")
def db_group() -> None:
    """Schema migrations (Alembic)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Upgrade the schema (default: to the newest revision)."""
    database.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"schema at {revision}")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Downgrade the schema to REVISION (``base`` removes every table)."""
    from alembic import command

    command.downgrade(database.alembic_config(current_app.config["DATABASE_URL"]), revision)
    click.echo(f"schema at {revision}")


@main.command("create-token")
@click.argument("name")
@with_appcontext
def create_token(name: str) -> None:
    """Create an API token for the CMS; the token is printed once and never stored."""
    db = database.session()
    token, secret = tokens.create(db, name=name)
    db.commit()
    click.echo(f"token {token.id} ({name}): {secret}")
    click.echo("Keep it now: only its hash is stored.", err=True)


@main.command("prune-views")
@with_appcontext
def prune_views() -> None:
    """Delete view de-duplication marks older than the view window."""
    db = database.session()
    window = timedelta(minutes=current_app.config["VIEW_WINDOW_MINUTES"])
    removed = pageviews.prune_marks(db, before=utcnow() - window)
    db.commit()
    click.echo(f"removed {removed} expired marks")


@click.command("demo")
@click.option("--port", default=5000, show_default=True)
def demo(port: int) -> None:
    """Run the service on 127.0.0.1 with its embedded SQLite and the demo article at /demo/."""
    os.environ.setdefault("ENGAGEMENT_DEBUG", "1")
    os.environ.setdefault("ENGAGEMENT_DEMO", "1")
    app = app_or_exit()
    click.echo(f"demo article: http://127.0.0.1:{port}/demo/")
    # Flask's CLI refuses app.run(); serve with Werkzeug directly, local-only.
    run_simple("127.0.0.1", port, app, threaded=True)


main.add_command(demo)
