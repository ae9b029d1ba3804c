"""One comment: its page (in full, with what happened to it so far), its place in the thread,
the newsroom's reply, and the actions on it, one at a time or in bulk.

An action answers JSON instead of a redirect when the page's script asks for it (the queue's
keyboard shortcuts): no page load, no flash.
"""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from engagement import db as database
from engagement import parsing
from engagement.abuse import bans
from engagement.comments import inputs as comment_inputs
from engagement.comments import service as comments
from engagement.errors import error_response, status_of
from engagement.models import Comment
from engagement.moderation import actions, audit, items, replies, requests
from engagement.moderation.access import HOME, current_moderator
from engagement.moderation.pages.blueprint import bp
from engagement.moderation.pages.forms import (
    back_to,
    go,
    or_404,
    path_id,
    reason,
    refused,
    wants_json,
)
from engagement.moderation.requests import actor, comment_max_length
from engagement.refusals import Refusal


def _comment_or_404(db: Session, comment_id: str) -> Comment:
    return or_404(comments.get(db, comment_id=path_id(comment_id, Comment.id)))


def _comment_url(comment_id: int) -> str:
    return url_for("moderation_pages.comment_page", comment_id=comment_id)


def _context_json(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.id,
        "author_name": comment.author_name,
        "text": comment.text,
        "status": comment.status.value,
        "created_at": comment.created_at.isoformat(),
    }


@bp.get("/comments/<comment_id>")
def comment_page(comment_id: str) -> ResponseReturnValue:
    """One comment in full, with edit and ban forms and what happened to it so far."""
    db = database.session()
    comment = _comment_or_404(db, comment_id)
    return render_template(
        "moderation/comment.html",
        item=items.item_for(db, comment=comment),
        log=audit.entries(db, wanted=audit.AuditFilter(comment_id=comment.id)),
        ban=bans.active_ban_for(db, email=comment.author_email, visitor=comment.visitor),
        staff_name=replies.staff_name(current_moderator()),
    )


@bp.get("/comments/<comment_id>/context")
def comment_context(comment_id: str) -> ResponseReturnValue:
    """The comment's place in its thread as JSON: its parent and its nearest siblings."""
    db = database.session()
    comment = _comment_or_404(db, comment_id)
    found = items.thread_context(db, comment=comment)
    return jsonify(
        comment=_context_json(comment),
        parent=_context_json(found.parent) if found.parent else None,
        siblings=[_context_json(sibling) for sibling in found.siblings],
    )


@bp.post("/comments/<comment_id>/reply")
def staff_reply(comment_id: str) -> ResponseReturnValue:
    """Answer a comment as the newsroom, under the moderator's display name."""
    db = database.session()
    parent = _comment_or_404(db, comment_id)
    back = _comment_url(parent.id)
    name = replies.staff_name(current_moderator())
    max_length = comment_max_length()
    try:
        text = comment_inputs.comment_text(request.form.get("text", ""), max_length=max_length)
        reply = requests.staff_reply(db, parent=parent, text=text, name=name)
    except Refusal as refusal:
        return refused(refusal, back)
    db.commit()
    return go(back, ok=f"Reply posted as comment {reply.id}.")


@bp.post("/comments/<comment_id>/<action>")
def comment_action(comment_id: str, action: str) -> ResponseReturnValue:
    """One action on one comment."""
    if action not in set(actions.Action):
        abort(404)
    chosen = actions.Action(action)
    db = database.session()
    comment = _comment_or_404(db, comment_id)
    try:
        actions.act(db, actor=actor(), comment=comment, action=chosen, **_action_inputs(chosen))
    except Refusal as refusal:
        return _action_refused(refusal, comment.id)
    db.commit()
    return _action_done(comment, chosen)


def _action_inputs(action: actions.Action) -> dict[str, Any]:
    """What the form adds to an action: a reason, the new text (edit), a ban's length."""
    days = request.form.get("days", "")
    return {
        "reason": reason(),
        "text": request.form.get("text"),
        "ban_days": bans.days_from_text(days) if action is actions.Action.BAN_AUTHOR else None,
        "max_length": comment_max_length(),
    }


def _action_refused(refusal: Refusal, comment_id: int) -> Response:
    if not wants_json():
        return refused(refusal, back_to(_comment_url(comment_id)))
    database.session().rollback()
    return error_response(status_of(refusal), refusal.code, refusal.message, refusal.field)


def _action_done(comment: Comment, action: actions.Action) -> Response:
    message = f"Comment {comment.id}: {action.value} done."
    if not wants_json():
        return go(back_to(_comment_url(comment.id)), ok=message)
    return jsonify(id=comment.id, action=action.value, status=comment.status.value, message=message)


def _bulk_form(form: MultiDict[str, str]) -> tuple[actions.Action, list[int]]:
    """The bulk action and the selected comments' ids; 400 for an action or id none can be."""
    if form.get("action", "") not in actions.BULK_ACTIONS:
        abort(400, "Choose one of the bulk actions.")
    ids = [parsing.row_id(raw, field="ids", column=Comment.id) for raw in form.getlist("ids")]
    return actions.Action(form["action"]), ids


@bp.post("/comments/bulk")
def bulk_action() -> ResponseReturnValue:
    """One action on every selected comment."""
    action, ids = _bulk_form(request.form)
    if not ids:
        return go(back_to(HOME), error="Select at least one comment.")
    db = database.session()
    try:
        done = actions.act_on_many(
            db, actor=actor(), comment_ids=ids, action=action, reason=reason()
        )
    except Refusal as refusal:
        return refused(refusal, back_to(HOME))
    db.commit()
    return go(back_to(HOME), ok=f"{action.value}: {len(done)} comments.")
