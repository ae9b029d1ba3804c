"""``create-token``, ``list-tokens``, ``revoke-token``: the API tokens the CMS and the
monitoring use. The token verbs record their own audit rows, with the command line as actor."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from engagement import db as database
from engagement import tokens
from engagement.commands.params import RowId
from engagement.models import ApiToken, TokenScope
from engagement.moderation.audit import Actor


@click.command("create-token")
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


@click.command("list-tokens")
@with_appcontext
def list_tokens() -> None:
    """List the API tokens (their secrets are not stored and cannot be shown)."""
    for token in tokens.all_tokens(database.session()):
        state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "live"
        click.echo(
            f"{token.id}\t{token.name}\t{token.scopes}\t{token.created_at:%Y-%m-%d}\t{state}"
        )


@click.command("revoke-token")
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
