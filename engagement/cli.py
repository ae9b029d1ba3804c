"""The ``engagement`` command: Flask's commands plus the operators' own.

Here: the command group itself (the application is built only for the commands that need it),
``check``, the schema migrations and ``prune-views``. The other commands live by what they act
on, in ``engagement/commands/`` (tokens, moderators, the worker and the demo) and
``engagement/portability/commands.py`` (export, import, commenters).
"""

from __future__ import annotations

import sys
from datetime import timedelta
from importlib.metadata import version
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from engagement import config, startup
from engagement import db as database
from engagement.commands import api_tokens, moderators, running
from engagement.models import utcnow
from engagement.pageviews import service as pageviews
from engagement.portability import commands as portability


def app_or_exit() -> Flask:
    """The application for a command, or one line and exit status 2 (see ``startup``).

    Commands are not bound by the statement timeout: an import, an export or a prune may
    rightly run long statements. Connecting is bounded as for the service. A schema behind the
    migrations is reported, except to the commands that migrate it.
    """
    migrating = click.get_current_context().command_path.split()[1:2] == ["db"]
    return startup.app_or_exit(
        status=startup.EXIT_CONFIG,
        schema="quiet" if migrating else "print",
        DATABASE_STATEMENT_TIMEOUT=None,
    )


class Commands(FlaskGroup):
    """Flask's command group, minus what would build the application before it is needed.

    ``--help``, ``--version`` and an unknown command need no settings and create no files;
    a database that fails during a command is one line and exit status 2, not a traceback.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return click.Group.list_commands(self, ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return click.Group.get_command(self, ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except startup.DATABASE_ERRORS as exc:  # the database failed during the command
            url = config.load().get("DATABASE_URL") or "(the default SQLite file)"
            click.echo(f"engagement: {startup.database_message(url, exc)}", err=True)
            sys.exit(startup.EXIT_CONFIG)


@click.group(cls=Commands, create_app=app_or_exit, add_version_option=False)
@click.version_option(version("engagement"), "--version", prog_name="engagement")
def main() -> None:
    """Operate the engagement service."""


# Flask's options to pick an application, an env file or debug mode mean nothing here: the
# application is this one, and its settings are ENGAGEMENT_* variables.
main.params = [param for param in main.params if param.name not in {"app", "env_file", "debug"}]


@main.command("check", with_appcontext=False)
def check() -> None:
    """Check the settings, the database, its schema and the rate-limit storage.

    Exit status 0 when everything is fine, 2 when something is wrong.
    """
    found = startup.findings()
    for finding in found:
        click.echo(f"{'ok' if finding.ok else 'PROBLEM':7} {finding.subject}: {finding.detail}")
    if not all(finding.ok for finding in found):
        sys.exit(startup.EXIT_CONFIG)


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


@main.command("prune-views")
@with_appcontext
def prune_views() -> None:
    """Delete view de-duplication marks older than the view window."""
    db = database.session()
    window = timedelta(minutes=current_app.config["VIEW_WINDOW_MINUTES"])
    removed = pageviews.prune_marks(db, before=utcnow() - window)
    db.commit()
    click.echo(f"removed {removed} expired marks")


for command in (
    api_tokens.create_token,
    api_tokens.list_tokens,
    api_tokens.revoke_token,
    moderators.create_moderator,
    moderators.set_password,
    moderators.set_role,
    moderators.disable_moderator,
    moderators.unlock_moderator,
    moderators.reset_second_factor,
    moderators.list_moderators,
    running.worker,
    running.demo,
    portability.export_command,
    portability.import_command,
    portability.commenter_group,
):
    main.add_command(command)
