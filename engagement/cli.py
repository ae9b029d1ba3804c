"""The ``engagement`` command: Flask's commands plus the operators' own."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.orm import Session
from werkzeug.serving import run_simple

from engagement import config, parsing, startup, tokens
from engagement import db as database
from engagement.models import ApiToken, Moderator, Role, TokenScope, utcnow
from engagement.moderation import accounts, audit, second_factor
from engagement.moderation.audit import Actor
from engagement.pageviews import service as pageviews
from engagement.portability import commands as portability
from engagement.refusals import Refusal

F = TypeVar("F", bound=Callable[..., Any])


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


class RowId(click.ParamType):
    """An id argument read as the API reads ids (``parsing.row_id``): ASCII digits, within the
    column's range."""

    name = "id"

    def __init__(self, column: Any) -> None:
        self.column = column

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        try:
            return parsing.row_id(
                str(value), field=param.name if param else "id", column=self.column
            )
        except Refusal as exc:
            self.fail(exc.message, param, ctx)


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


@main.command("create-token")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    type=click.Choice([scope.value for scope in TokenScope]),
    multiple=True,
    default=[TokenScope.ARTICLES.value],
    show_default=True,
    help="What the token may do (repeat for several): 'articles' registers and updates "
    "articles, 'moderation' uses the moderation API, 'metrics' reads /metrics.",
)
@with_appcontext
def create_token(name: str, scopes: tuple[str, ...]) -> None:
    """Create an API token for the CMS; the token is printed once and never stored."""
    db = database.session()
    token, secret = tokens.create(
        db, actor=Actor.command_line(), name=name, scopes=[TokenScope(s) for s in scopes]
    )
    db.commit()
    # The secret alone on stdout, so that TOKEN="$(engagement create-token cms)" works.
    click.echo(
        f"token {token.id} ({name}, {token.scopes}); keep it now: only its hash is stored.",
        err=True,
    )
    click.echo(secret)


@main.command("list-tokens")
@with_appcontext
def list_tokens() -> None:
    """List the API tokens (their secrets are not stored and cannot be shown)."""
    for token in tokens.all_tokens(database.session()):
        state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "live"
        click.echo(
            f"{token.id}\t{token.name}\t{token.scopes}\t{token.created_at:%Y-%m-%d}\t{state}"
        )


@main.command("revoke-token")
@click.argument("token_id", type=RowId(ApiToken.id))
@with_appcontext
def revoke_token(token_id: int) -> None:
    """Revoke an API token by its id."""
    db = database.session()
    token = tokens.get(db, token_id=token_id)
    if token is None:
        raise click.ClickException(f"no token with id {token_id}")
    changed = tokens.revoke(db, actor=Actor.command_line(), token=token)
    db.commit()
    click.echo(f"token {token.id} ({token.name}) {'revoked' if changed else 'was revoked already'}")


def _moderator(db: Session, username: str) -> Moderator:
    found = accounts.by_username(db, username=username)
    if found is None:
        raise click.ClickException(f"no moderator named {username!r}")
    return found


def _account_change(username: str, change: Callable[[Session, Moderator], bool]) -> bool:
    """Apply ``change`` to the named account and commit; whether it changed anything.
    A refusal (a short password, the last admin) is the error message, exit status 1."""
    db = database.session()
    try:
        changed = change(db, _moderator(db, username))
    except Refusal as exc:
        raise click.ClickException(exc.message) from None
    db.commit()
    return changed


def _password_option(prompt: str) -> Callable[[F], F]:
    return click.option(
        "--password",
        prompt=prompt,
        hide_input=True,
        confirmation_prompt=True,
        help="Asked for (twice, hidden) when not given.",
    )


ROLE = click.Choice([role.value for role in Role])


@main.command("create-moderator")
@click.argument("username")
@click.option("--role", type=ROLE, default=Role.MODERATOR.value, show_default=True)
@_password_option("Password")
@with_appcontext
def create_moderator(username: str, role: str, password: str) -> None:
    """Create a moderator account (role moderator or admin)."""
    db = database.session()
    try:
        created = accounts.create(
            db, actor=Actor.command_line(), username=username, password=password, role=Role(role)
        )
    except Refusal as exc:
        raise click.ClickException(exc.message) from None
    db.commit()
    click.echo(f"{created.role.value} {created.username} created")


@main.command("set-password")
@click.argument("username")
@_password_option("New password")
@with_appcontext
def set_password(username: str, password: str) -> None:
    """Set a moderator's password; it also lifts a lockout and ends their sessions."""

    def change(db: Session, moderator: Moderator) -> bool:
        accounts.set_password(
            db, actor=Actor.command_line(), moderator=moderator, password=password
        )
        return True

    _account_change(username, change)
    click.echo(f"password of {username} changed")


@main.command("set-role")
@click.argument("username")
@click.argument("role", type=ROLE)
@with_appcontext
def set_role(username: str, role: str) -> None:
    """Make a moderator an admin, or an admin a moderator (never the last active admin)."""
    changed = _account_change(
        username,
        lambda db, moderator: accounts.set_role(
            db, actor=Actor.command_line(), moderator=moderator, role=Role(role)
        ),
    )
    click.echo(f"{username} is {'now' if changed else 'already'} {role}")


@main.command("disable-moderator")
@click.argument("username")
@click.option("--enable", is_flag=True, help="Enable the account again instead.")
@with_appcontext
def disable_moderator(username: str, enable: bool) -> None:
    """Disable a moderator account (ending its sessions), or enable it with --enable.

    The last active admin cannot be disabled."""
    changed = _account_change(
        username,
        lambda db, moderator: accounts.set_active(
            db, actor=Actor.command_line(), moderator=moderator, active=enable
        ),
    )
    state = "enabled" if enable else "disabled"
    click.echo(f"{username} {state}" if changed else f"{username} was {state} already")


@main.command("unlock-moderator")
@click.argument("username")
@with_appcontext
def unlock_moderator(username: str) -> None:
    """Lift the lockout of an account after failed logins."""
    changed = _account_change(
        username,
        lambda db, moderator: accounts.unlock(db, actor=Actor.command_line(), moderator=moderator),
    )
    click.echo(f"{username} unlocked" if changed else f"{username} was not locked")


@main.command("reset-second-factor")
@click.argument("username")
@with_appcontext
def reset_second_factor(username: str) -> None:
    """Turn off an account's second factor (a lost phone and lost recovery codes); the
    account's sessions end, and it sets the factor up again at its next login."""
    db = database.session()
    moderator = _moderator(db, username)
    second_factor.turn_off(db, moderator=moderator)
    accounts.end_sessions(db, moderator=moderator)
    audit.record(
        db,
        actor=Actor.command_line(),
        action="moderator.second_factor",
        after={"username": username, "on": False},
    )
    db.commit()
    click.echo(f"{username}: second factor off")


@main.command("list-moderators")
@with_appcontext
def list_moderators() -> None:
    """List the moderator accounts."""
    now = utcnow()
    for moderator in accounts.all_moderators(database.session()):
        state = "active" if moderator.active else "disabled"
        if accounts.is_locked(moderator, now=now):
            state = "locked"
        click.echo(f"{moderator.username}\t{moderator.role.value}\t{state}")


@main.command("prune-views")
@with_appcontext
def prune_views() -> None:
    """Delete view de-duplication marks older than the view window."""
    db = database.session()
    window = timedelta(minutes=current_app.config["VIEW_WINDOW_MINUTES"])
    removed = pageviews.prune_marks(db, before=utcnow() - window)
    db.commit()
    click.echo(f"removed {removed} expired marks")


@main.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@click.option("--batch", default=50, show_default=True, help="Rows taken per step of a pass.")
@click.option(
    "--lease-seconds",
    default=300,
    show_default=True,
    help="How long a taken delivery is this worker's; after a crash another takes it then.",
)
@with_appcontext
def worker(once: bool, batch: int, lease_seconds: int) -> None:
    """Deliver webhooks and mails from the outbox; run one or more beside the web processes."""
    from engagement.notifications.worker import Worker

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    runner = Worker(app, batch=batch, lease=timedelta(seconds=lease_seconds))
    if once:
        click.echo(f"handled {runner.drain()}")
        return
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    click.echo(f"worker {os.getpid()} delivering; stop with SIGTERM or Ctrl-C", err=True)
    runner.run(stop)


@click.command("demo")
@click.option("--port", default=5000, show_default=True)
def demo(port: int) -> None:
    """Run the service on 127.0.0.1 with its embedded SQLite, the demo article at /demo/, a
    local mail catcher (its mails at /demo/mail/) and a worker that delivers to it."""
    from engagement.notifications.catcher import MailCatcher
    from engagement.notifications.worker import Worker

    os.environ.setdefault("ENGAGEMENT_DEBUG", "1")
    os.environ.setdefault("ENGAGEMENT_DEMO", "1")
    os.environ.setdefault("ENGAGEMENT_PUBLIC_URL", f"http://127.0.0.1:{port}")
    catcher = None
    if not os.environ.get("ENGAGEMENT_SMTP_HOST"):
        instance = Path(startup.app_or_exit().instance_path)
        catcher = MailCatcher(instance / "demo-mail").start()
        os.environ.update(
            ENGAGEMENT_SMTP_HOST="127.0.0.1",
            ENGAGEMENT_SMTP_PORT=str(catcher.port),
            ENGAGEMENT_SMTP_TLS="none",
            ENGAGEMENT_MAIL_FROM="The Harbour Review <comments@harbour-review.invalid>",
        )
    app = startup.app_or_exit()
    stop = threading.Event()
    threading.Thread(target=Worker(app).run, args=(stop,), daemon=True, name="worker").start()
    click.echo(f"demo article: http://127.0.0.1:{port}/demo/")
    if catcher is not None:
        click.echo(
            f"caught mail:  http://127.0.0.1:{port}/demo/mail/ (SMTP on port {catcher.port})"
        )
    click.echo(
        f"moderation:   http://127.0.0.1:{port}/moderation/ (an account: "
        "ENGAGEMENT_DEBUG=1 engagement create-moderator NAME --role admin)"
    )
    try:
        # Flask's CLI refuses app.run(); serve with Werkzeug directly, local-only.
        run_simple("127.0.0.1", port, app, threaded=True)
    finally:
        stop.set()
        if catcher is not None:
            catcher.stop()


main.add_command(demo)
main.add_command(portability.export_command)
main.add_command(portability.import_command)
main.add_command(portability.commenter_group)
