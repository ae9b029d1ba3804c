"""The audit log page: every moderation action, newest first, filtered by action, actor,
article and comment."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from engagement import db as database
from engagement import parsing
from engagement.models import Article, Comment, ModerationAction
from engagement.moderation import audit
from engagement.moderation.pages.blueprint import bp


def _filter(args: MultiDict[str, str]) -> audit.AuditFilter:
    """The entries the query string asks for."""
    return audit.AuditFilter(
        action=parsing.text_filter(
            args.get("action"), field="action", column=ModerationAction.action
        ),
        actor=parsing.text_filter(args.get("actor"), field="actor", column=ModerationAction.actor),
        article_key=parsing.text_filter(args.get("article"), field="article", column=Article.key),
        comment_id=parsing.optional_id(args, "comment", column=Comment.id),
    )


@bp.get("/audit")
def audit_log() -> ResponseReturnValue:
    """The audit log, newest first, filterable by action, actor, article and comment."""
    db = database.session()
    wanted = _filter(request.args)
    before = parsing.optional_id(request.args, "before", column=ModerationAction.id)
    return render_template(
        "moderation/audit.html",
        page=audit.entries(db, wanted=wanted, before_id=before),
        wanted=wanted,
        actions=audit.actions_seen(db),
    )
