"""The actions a moderator takes on comments, one at a time or on a selection at once.

Every action goes through the comments service (which keeps ``comment_count`` and the thread
exact), deals with the comment's open reports when it decides on it, and writes one audit
entry with the state before and after.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engagement.abuse import bans
from engagement.comments import inputs
from engagement.comments import service as comments
from engagement.models import Ban, BanKind, Comment, CommentStatus, Report, utcnow
from engagement.moderation.audit import Actor, record
from engagement.moderation.items import comments_by_id
from engagement.refusals import Conflict, NotFound, Refusal, invalid


class Action(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    SPAM = "spam"
    NOT_SPAM = "not-spam"
    DELETE = "delete"
    RESTORE = "restore"
    EDIT = "edit"
    PIN = "pin"
    UNPIN = "unpin"
    BAN_AUTHOR = "ban-author"


STATUS_OF = {
    Action.APPROVE: CommentStatus.APPROVED,
    Action.REJECT: CommentStatus.REJECTED,
    Action.SPAM: CommentStatus.SPAM,
    Action.NOT_SPAM: CommentStatus.APPROVED,
}
# Deciding on a comment deals with its reports; pinning or restoring it does not.
RESOLVING = frozenset(
    {
        Action.APPROVE,
        Action.REJECT,
        Action.SPAM,
        Action.NOT_SPAM,
        Action.DELETE,
        Action.EDIT,
        Action.BAN_AUTHOR,
    }
)
# What can be done to a deleted comment; anything else needs it restored first.
ON_DELETED = frozenset({Action.RESTORE, Action.DELETE, Action.BAN_AUTHOR})
# The actions a selection of comments can take at once.
BULK_ACTIONS = frozenset(
    {Action.APPROVE, Action.REJECT, Action.SPAM, Action.NOT_SPAM, Action.DELETE, Action.RESTORE}
)
MAX_BULK = 200


def action_named(name: str) -> Action:
    """The action called ``name``; ``unknown_action`` when there is none."""
    if name not in set(Action):
        raise NotFound("unknown_action", f"No moderation action {name!r}.", "action")
    return Action(name)


def comment_state(comment: Comment) -> dict[str, Any]:
    """The moderation-relevant state of a comment, for the audit log."""
    return {
        "status": comment.status.value,
        "deleted": comment.deleted_at is not None,
        "pinned": comment.pinned,
    }


def resolve_reports(db: Session, *, comment: Comment) -> int:
    """Mark the comment's open reports as dealt with; returns how many there were."""
    result = db.execute(
        update(Report)
        .where(Report.comment_id == comment.id, Report.resolved_at.is_(None))
        .values(resolved_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _ban_author(
    db: Session, *, actor: Actor, comment: Comment, reason: str | None, days: int | None
) -> list[Ban]:
    """Ban the comment's author by visitor hash and, when given, by email."""
    expires_at = bans.expiry(days)
    traits = [(BanKind.VISITOR, comment.visitor), (BanKind.EMAIL, comment.author_email)]
    made = []
    for kind, value in traits:
        if not value:
            continue
        try:
            bans.normalize(kind, value)
        except Refusal:
            continue  # e.g. an imported comment whose visitor is not one of our hashes
        made.append(
            bans.ban(
                db,
                kind=kind,
                value=value,
                reason=reason,
                expires_at=expires_at,
                created_by=actor.name,
            )
        )
    if not made:
        raise Conflict("nothing_to_ban", "This comment carries nothing to ban its author by.")
    return made


def _apply(
    db: Session,
    *,
    actor: Actor,
    comment: Comment,
    action: Action,
    reason: str | None,
    text: str | None,
    ban_days: int | None,
    max_length: int | None,
) -> dict[str, Any]:
    """Carry out ``action``; returns extra facts for the audit entry."""
    extra: dict[str, Any] = {}
    if action in STATUS_OF:
        comments.set_status(db, comment=comment, status=STATUS_OF[action])
    elif action is Action.DELETE:
        comments.delete(db, comment=comment)
    elif action is Action.RESTORE:
        comments.restore(db, comment=comment)
    elif action in (Action.PIN, Action.UNPIN):
        comments.set_pinned(db, comment=comment, pinned=action is Action.PIN)
    elif action is Action.EDIT:
        if not reason:
            raise invalid("reason", "An edit needs a note saying why.")
        if max_length is None:
            raise TypeError("an edit needs the longest text allowed (max_length)")
        new_text = inputs.comment_text(text or "", max_length=max_length)
        extra["text_before"] = comment.text
        comments.edit(db, comment=comment, text=new_text)
        extra["text_after"] = new_text
    elif action is Action.BAN_AUTHOR:
        made = _ban_author(db, actor=actor, comment=comment, reason=reason, days=ban_days)
        extra["bans"] = [ban.id for ban in made]
        if comment.status not in (CommentStatus.REJECTED, CommentStatus.SPAM):
            comments.set_status(db, comment=comment, status=CommentStatus.REJECTED)
    return extra


def _changes_nothing(
    db: Session, *, comment: Comment, action: Action, text: str | None, reason: str | None
) -> bool:
    """Whether ``action`` would leave the comment, and its reports, as they are."""
    if action in STATUS_OF:
        same = comment.status is STATUS_OF[action]
    elif action is Action.DELETE:
        same = comment.deleted_at is not None
    elif action is Action.RESTORE:
        same = comment.deleted_at is None
    elif action in (Action.PIN, Action.UNPIN):
        same = comment.pinned is (action is Action.PIN)
    elif action is Action.EDIT:
        same = bool(reason) and text == comment.text  # without a note, refused below
    else:
        same = False  # a ban is always new
    return same and not (action in RESOLVING and _has_open_reports(db, comment=comment))


def _has_open_reports(db: Session, *, comment: Comment) -> bool:
    found = db.scalar(
        select(Report.id)
        .where(Report.comment_id == comment.id, Report.resolved_at.is_(None))
        .limit(1)
    )
    return found is not None


def _refuse_on_state(comment: Comment, action: Action) -> None:
    """Refuse an action the comment's state forbids (409)."""
    if action is Action.NOT_SPAM and comment.status is not CommentStatus.SPAM:
        raise Conflict("not_spam", "Only a comment held as spam can be marked not spam.")
    if comment.erased:
        raise Conflict(
            "comment_erased",
            "This comment was erased at its author's request: it cannot be restored or changed.",
        )
    if comment.deleted_at is not None and action not in ON_DELETED:
        raise Conflict("comment_deleted", "Restore the comment first.")


def act(
    db: Session,
    *,
    actor: Actor,
    comment: Comment,
    action: Action,
    reason: str | None = None,
    text: str | None = None,
    ban_days: int | None = None,
    max_length: int | None = None,
) -> Comment:
    """Take one action on one comment, resolve its open reports, and log it. An action that
    would change nothing (approving an approved comment without open reports) is not taken
    and not logged. An edit needs ``max_length``, the longest text allowed
    (ENGAGEMENT_COMMENT_MAX_LENGTH)."""
    _refuse_on_state(comment, action)
    if _changes_nothing(db, comment=comment, action=action, text=text, reason=reason):
        return comment
    before = comment_state(comment)
    extra = _apply(
        db,
        actor=actor,
        comment=comment,
        action=action,
        reason=reason,
        text=text,
        ban_days=ban_days,
        max_length=max_length,
    )
    resolved = resolve_reports(db, comment=comment) if action in RESOLVING else 0
    after = comment_state(comment)
    if "text_before" in extra:
        before["text"], after["text"] = extra.pop("text_before"), extra.pop("text_after")
    if resolved:
        after["reports_resolved"] = resolved
    after.update(extra)
    record(
        db,
        actor=actor,
        action=f"comment.{action.value}",
        comment_id=comment.id,
        article_id=comment.article_id,
        reason=reason,
        before=before,
        after=after,
    )
    return comment


def act_on_many(
    db: Session,
    *,
    actor: Actor,
    comment_ids: Iterable[int],
    action: Action,
    reason: str | None = None,
) -> list[Comment]:
    """Take one action on each of the comments, all or nothing; ``comment_not_found`` if one
    does not exist."""
    if action not in BULK_ACTIONS:
        raise invalid("action", f"{action.value} cannot be applied in bulk.")
    wanted = list(dict.fromkeys(comment_ids))
    if len(wanted) > MAX_BULK:
        raise invalid("ids", f"At most {MAX_BULK} comments at once.")
    found = comments_by_id(db, comment_ids=wanted)
    missing = [ident for ident in wanted if ident not in found]
    if missing:
        raise NotFound("comment_not_found", f"No comment with id {missing[0]}.", "ids")
    return [
        act(db, actor=actor, comment=found[ident], action=action, reason=reason) for ident in wanted
    ]
