"""The moderator accounts: ``create-moderator``, ``set-password``, ``set-role``,
``disable-moderator``, ``unlock-moderator``, ``reset-second-factor``, ``list-moderators``.

A refusal of the accounts service (a short password, the last admin) is the error message and
exit status 1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from engagement import db as database
from engagement.models import Moderator, Role, utcnow
from engagement.moderation import accounts, audit, second_factor
from engagement.moderation.audit import Actor
from engagement.refusals import Refusal

F = TypeVar("F", bound=Callable[..., Any])


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


@click.command("create-moderator")
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


@click.command("set-password")
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


@click.command("set-role")
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


@click.command("disable-moderator")
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


@click.command("unlock-moderator")
@click.argument("username")
@with_appcontext
def unlock_moderator(username: str) -> None:
    """Lift the lockout of an account after failed logins."""
    changed = _account_change(
        username,
        lambda db, moderator: accounts.unlock(db, actor=Actor.command_line(), moderator=moderator),
    )
    click.echo(f"{username} unlocked" if changed else f"{username} was not locked")


@click.command("reset-second-factor")
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


@click.command("list-moderators")
@with_appcontext
def list_moderators() -> None:
    """List the moderator accounts."""
    now = utcnow()
    for moderator in accounts.all_moderators(database.session()):
        state = "active" if moderator.active else "disabled"
        if accounts.is_locked(moderator, now=now):
            state = "locked"
        click.echo(f"{moderator.username}\t{moderator.role.value}\t{state}")
