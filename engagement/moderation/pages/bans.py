"""The bans page: the active bans (or every ban), adding one, lifting one."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from engagement import db as database
from engagement.abuse import bans
from engagement.models import Ban, BanKind
from engagement.moderation import banning
from engagement.moderation.pages.blueprint import bp
from engagement.moderation.pages.forms import choice, go, path_id, reason, refused
from engagement.moderation.requests import actor
from engagement.refusals import Refusal


def _to_list(*, ok: str) -> Response:
    return go(url_for("moderation_pages.ban_list"), ok=ok)


@bp.get("/bans")
def ban_list() -> ResponseReturnValue:
    """The active bans (or every ban with ?all=1), and a form to add one."""
    show_all = request.args.get("all") == "1"
    return render_template(
        "moderation/bans.html",
        bans=bans.list(database.session(), active_only=not show_all),
        show_all=show_all,
        kinds=list(BanKind),
        now=datetime.now(UTC),
        is_active=bans.is_active,
    )


@bp.post("/bans")
def ban_create() -> ResponseReturnValue:
    """Ban an email, visitor, network or name."""
    form = request.form
    kind = choice(form.get("kind", ""), BanKind, "Unknown kind of ban.")
    db = database.session()
    try:
        days = bans.days_from_text(form.get("days", ""))
        value = form.get("value", "")
        banning.ban(db, actor=actor(), kind=kind, value=value, days=days, reason=reason())
    except Refusal as refusal:
        return refused(refusal, url_for("moderation_pages.ban_list"))
    db.commit()
    return _to_list(ok="Ban saved.")


@bp.post("/bans/<ban_id>/lift")
def ban_lift(ban_id: str) -> ResponseReturnValue:
    """End a ban now."""
    ident = path_id(ban_id, Ban.id)
    db = database.session()
    try:
        banning.lift_ban(db, actor=actor(), ban_id=ident, reason=reason())
    except Refusal:
        abort(404)
    db.commit()
    return _to_list(ok=f"Ban {ident} lifted.")
