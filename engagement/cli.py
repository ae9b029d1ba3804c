"""The ``engagement`` command: Flask's commands plus the operators' own."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.orm import Session
from werkzeug.serving import run_simple

from engagement import create_app, parsing, tokens
from engagement import db as database
from engagement.config import ConfigError
from engagement.errors import ApiError
from engagement.models import ApiToken, Moderator, Role, TokenScope, utcnow
from engagement.moderation import accounts, audit
from engagement.moderation.audit import Actor
from engagement.pageviews import service as pageviews
from engagement.portability import commands as portability

F = TypeVar("F", bound=Callable[..., Any])


def app_or_exit() -> Flask:
    """The application, or a clear message and exit status 2 when configuration is bad."""
    try:
        return create_app()
    except ConfigError as exc:
        print(f"engagement: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


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
        except ApiError as exc:
            self.fail(exc.message, param, ctx)


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
@click.option(
    "--scope",
    "scopes",
    type=click.Choice([scope.value for scope in TokenScope]),
    multiple=True,
    default=[TokenScope.ARTICLES.value],
    show_default=True,
    help="What the token may do (repeat for several): 'articles' registers and updates "
    "articles, 'moderation' uses the moderation API.",
)
@with_appcontext
def create_token(name: str, scopes: tuple[str, ...]) -> None:
    """Create an API token for the CMS; the token is printed once and never stored."""
    db = database.session()
    token, secret = tokens.create(db, name=name, scopes=[TokenScope(scope) for scope in scopes])
    db.commit()
    click.echo(f"token {token.id} ({name}, {token.scopes}): {secret}")
    click.echo("Keep it now: only its hash is stored.", err=True)


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
    tokens.revoke(db, token=token)
    audit.record(
        db,
        actor=Actor.command_line(),
        action="token.revoke",
        after={"id": token.id, "name": token.name},
    )
    db.commit()
    click.echo(f"token {token.id} ({token.name}) revoked")


def _moderator(db: Session, username: str) -> Moderator:
    found = accounts.by_username(db, username=username)
    if found is None:
        raise click.ClickException(f"no moderator named {username!r}")
    return found


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
        created = accounts.create(db, username=username, password=password, role=Role(role))
    except ApiError as exc:
        raise click.ClickException(exc.message) from None
    audit.record(
        db,
        actor=Actor.command_line(),
        action="moderator.create",
        after={"username": created.username, "role": created.role.value},
    )
    db.commit()
    click.echo(f"{created.role.value} {created.username} created")


@main.command("set-password")
@click.argument("username")
@_password_option("New password")
@with_appcontext
def set_password(username: str, password: str) -> None:
    """Set a moderator's password; it also lifts a lockout and ends their sessions."""
    db = database.session()
    try:
        accounts.set_password(db, moderator=_moderator(db, username), password=password)
    except ApiError as exc:
        raise click.ClickException(exc.message) from None
    db.commit()
    click.echo(f"password of {username} changed")


@main.command("set-role")
@click.argument("username")
@click.argument("role", type=ROLE)
@with_appcontext
def set_role(username: str, role: str) -> None:
    """Make a moderator an admin, or an admin a moderator."""
    db = database.session()
    moderator = _moderator(db, username)
    before = {"role": moderator.role.value}
    accounts.set_role(db, moderator=moderator, role=Role(role))
    audit.record(
        db,
        actor=Actor.command_line(),
        action="moderator.role",
        reason=username,
        before=before,
        after={"role": role},
    )
    db.commit()
    click.echo(f"{username} is now {role}")


@main.command("disable-moderator")
@click.argument("username")
@click.option("--enable", is_flag=True, help="Enable the account again instead.")
@with_appcontext
def disable_moderator(username: str, enable: bool) -> None:
    """Disable a moderator account (ending its sessions), or enable it with --enable."""
    db = database.session()
    accounts.set_active(db, moderator=_moderator(db, username), active=enable)
    db.commit()
    click.echo(f"{username} {'enabled' if enable else 'disabled'}")


@main.command("unlock-moderator")
@click.argument("username")
@with_appcontext
def unlock_moderator(username: str) -> None:
    """Lift the lockout of an account after failed logins."""
    db = database.session()
    accounts.unlock(db, moderator=_moderator(db, username))
    db.commit()
    click.echo(f"{username} unlocked")


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


@click.command("demo")
@click.option("--port", default=5000, show_default=True)
def demo(port: int) -> None:
    """Run the service on 127.0.0.1 with its embedded SQLite and the demo article at /demo/."""
    os.environ.setdefault("ENGAGEMENT_DEBUG", "1")
    os.environ.setdefault("ENGAGEMENT_DEMO", "1")
    app = app_or_exit()
    click.echo(f"demo article: http://127.0.0.1:{port}/demo/")
    click.echo(
        f"moderation:   http://127.0.0.1:{port}/moderation/ (an account: "
        "ENGAGEMENT_DEBUG=1 engagement create-moderator NAME --role admin)"
    )
    # Flask's CLI refuses app.run(); serve with Werkzeug directly, local-only.
    run_simple("127.0.0.1", port, app, threaded=True)


main.add_command(demo)
main.add_command(portability.export_command)
main.add_command(portability.import_command)
main.add_command(portability.commenter_group)
