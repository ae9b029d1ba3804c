"""The admins' page of API tokens: create one (its secret shown this once), revoke one."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from engagement import db as database
from engagement import parsing, tokens
from engagement.models import ApiToken, TokenScope
from engagement.moderation.access import admin_required
from engagement.moderation.pages.blueprint import bp
from engagement.moderation.pages.forms import go, or_404, path_id, reason, refused
from engagement.moderation.requests import actor
from engagement.refusals import Refusal, invalid

NAME_MAX = parsing.column_length(ApiToken.name)


def _new_token(form: MultiDict[str, str]) -> tuple[str, list[TokenScope]]:
    """The name and scopes the form asks for; a refusal saying what is missing."""
    name = form.get("name", "").strip()
    if not 1 <= len(name) <= NAME_MAX:
        raise invalid("name", f"A token needs a name of 1 to {NAME_MAX} characters.")
    asked = set(form.getlist("scope"))
    scopes = [scope for scope in TokenScope if scope.value in asked]
    if not scopes or len(scopes) != len(asked):
        raise invalid("scope", "Choose what the token may do: articles, moderation or both.")
    return name, scopes


@bp.get("/tokens")
@admin_required
def token_list() -> ResponseReturnValue:
    """The API tokens: name, creation, revocation. Secrets are never shown again."""
    return render_template("moderation/tokens.html", tokens=tokens.all_tokens(database.session()))


@bp.post("/tokens")
@admin_required
def token_create() -> ResponseReturnValue:
    """Create a token and show its secret, this once."""
    try:
        name, scopes = _new_token(request.form)
    except Refusal as refusal:
        return refused(refusal, url_for("moderation_pages.token_list"))
    db = database.session()
    token, secret = tokens.create(db, actor=actor(), name=name, scopes=scopes)
    db.commit()
    return render_template(
        "moderation/tokens.html", tokens=tokens.all_tokens(db), created=token, secret=secret
    )


@bp.post("/tokens/<token_id>/revoke")
@admin_required
def token_revoke(token_id: str) -> ResponseReturnValue:
    """Revoke a token: the CMS requests carrying it are refused from now on."""
    db = database.session()
    token = or_404(tokens.get(db, token_id=path_id(token_id, ApiToken.id)))
    changed = tokens.revoke(db, actor=actor(), token=token, reason=reason())
    db.commit()
    return go(
        url_for("moderation_pages.token_list"),
        ok=f"Token {token.name} {'revoked' if changed else 'was revoked already'}.",
    )
