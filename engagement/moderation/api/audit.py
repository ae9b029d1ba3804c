"""The audit log through the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, Field

from engagement import db as database
from engagement import openapi, parsing
from engagement.http import KEY_PATTERN, article_key
from engagement.models import Comment, ModerationAction
from engagement.moderation import audit
from engagement.moderation.api.blueprint import MAX_LIMIT, SCOPE, bp, optional, page_limit


class AuditQuery(BaseModel):
    action: str = optional(
        "Only this action (comment.approve, ban.create...).",
        max_length=parsing.column_length(ModerationAction.action),
    )
    actor: str = optional(
        "Only this actor (a moderator's username, token:<name>, cli:<user>).",
        max_length=parsing.column_length(ModerationAction.actor),
    )
    article: str = optional("An article key.", pattern=f"^{KEY_PATTERN.pattern}$", max_length=200)
    comment: int = optional(
        "Only entries about this comment.", ge=1, le=parsing.column_max(Comment.id)
    )
    before: int = optional(
        "The next_before of the previous page.", ge=1, le=parsing.column_max(ModerationAction.id)
    )
    limit: int = Field(default=audit.PAGE_SIZE, ge=1, le=MAX_LIMIT, description="Page size.")


class AuditEntryOut(BaseModel):
    id: int
    actor: str
    action: str
    comment_id: int | None
    article: str | None
    reason: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    created_at: datetime


class AuditOut(BaseModel):
    """One page of the log."""

    entries: list[AuditEntryOut]
    next_before: int | None = Field(description="Pass as ?before= for older entries.")


def _wanted() -> audit.AuditFilter:
    """The log's filters from the query string."""
    args = request.args
    return audit.AuditFilter(
        action=parsing.text_filter(
            args.get("action"), field="action", column=ModerationAction.action
        ),
        actor=parsing.text_filter(args.get("actor"), field="actor", column=ModerationAction.actor),
        article_key=article_key(args["article"]) if args.get("article") else None,
        comment_id=parsing.optional_id(args, "comment", column=Comment.id),
    )


@bp.get("/audit")
@openapi.operation({200: AuditOut}, query=AuditQuery, scope=SCOPE)
def audit_log() -> ResponseReturnValue:
    """The audit log of moderation actions, newest first, filterable."""
    page = audit.entries(
        database.session(),
        wanted=_wanted(),
        before_id=parsing.optional_id(request.args, "before", column=ModerationAction.id),
        limit=page_limit(audit.PAGE_SIZE),
    )
    return jsonify(
        entries=[audit.as_json(entry, key) for entry, key in page.entries],
        next_before=page.next_before,
    )
