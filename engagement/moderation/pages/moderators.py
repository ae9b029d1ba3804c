"""The admins' pages of moderator accounts: create one, change its role, disable, enable or
unlock it, and require a second factor of everyone."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from engagement import db as database
from engagement.models import Moderator, Role
from engagement.moderation import accounts, second_factor
from engagement.moderation.access import admin_required, current_moderator
from engagement.moderation.pages.blueprint import bp
from engagement.moderation.pages.forms import choice, go, or_404, path_id, refused
from engagement.moderation.requests import actor
from engagement.refusals import Refusal

UNKNOWN_ROLE = "Unknown role."


def _to_list(*, ok: str | None = None, error: str | None = None) -> Response:
    return go(url_for("moderation_pages.moderator_list"), ok=ok, error=error)


@bp.get("/moderators")
@admin_required
def moderator_list() -> ResponseReturnValue:
    """Every moderator account with its role and state."""
    db = database.session()
    return render_template(
        "moderation/moderators.html",
        second_factor_required=second_factor.is_required(db),
        moderators=accounts.all_moderators(db),
        roles=list(Role),
        now=datetime.now(UTC),
    )


@bp.post("/moderators")
@admin_required
def moderator_create() -> ResponseReturnValue:
    """Create an account."""
    form = request.form
    role = choice(form.get("role", Role.MODERATOR.value), Role, UNKNOWN_ROLE)
    db = database.session()
    try:
        created = accounts.create(
            db,
            actor=actor(),
            username=form.get("username", "").strip(),
            password=form.get("password", ""),
            role=role,
        )
    except Refusal as refusal:
        return refused(refusal, url_for("moderation_pages.moderator_list"))
    db.commit()
    return _to_list(ok=f"Account {created.username} created.")


@bp.post("/moderators/<moderator_id>")
@admin_required
def moderator_update(moderator_id: str) -> ResponseReturnValue:
    """Change an account's role, disable or enable it, or lift its lockout."""
    db = database.session()
    target = or_404(accounts.get(db, moderator_id=path_id(moderator_id, Moderator.id)))
    change = request.form.get("change", "")
    if target.id == current_moderator().id and change in {"role", "disable"}:
        return _to_list(error="Ask another admin to change your own role or disable you.")
    try:
        changed = _change_account(db, target, change, request.form)
    except Refusal as refusal:
        return refused(refusal, url_for("moderation_pages.moderator_list"))
    db.commit()
    return _to_list(ok=f"Account {target.username} {'updated' if changed else 'unchanged'}.")


def _change_account(db: Session, target: Moderator, change: str, form: MultiDict[str, str]) -> bool:
    """The account change a form asks for (a role, disable, enable, unlock); whether it
    changed anything. 400 for a change or role this service does not know."""
    if change == "role":
        role = choice(form.get("role", ""), Role, UNKNOWN_ROLE)
        return accounts.set_role(db, actor=actor(), moderator=target, role=role)
    if change in {"disable", "enable"}:
        return accounts.set_active(db, actor=actor(), moderator=target, active=change == "enable")
    if change == "unlock":
        return accounts.unlock(db, actor=actor(), moderator=target)
    abort(400, "Unknown change.")


@bp.post("/settings/second-factor")
@admin_required
def second_factor_setting() -> ResponseReturnValue:
    """Require, or stop requiring, a second factor of every moderator."""
    required = request.form.get("required") == "on"
    db = database.session()
    second_factor.set_required(db, actor=actor(), required=required)
    db.commit()
    if required:
        return _to_list(ok="A second factor is now required of every moderator.")
    return _to_list(ok="A second factor is optional.")
