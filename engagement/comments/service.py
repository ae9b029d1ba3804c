"""Comments: reading one, and every change to what a thread shows.

Every change to what a thread shows goes through ``change`` (here: ``set_status``, ``delete``,
``restore``, ``edit``, ``set_pinned``; the author's edit and a report's hold build on it) or
``posting.save``, and each keeps two things exact: ``Article.comment_count``
(visible comments: approved and not deleted), moved by atomic SQL increments at each visibility
transition, and ``Article.thread_version``, bumped so no cached answer of the old thread is
served again. Moderation calls these verbs too.

Each verb re-reads the comment under a row lock before changing it, so make changes to a
comment through these verbs: unflushed changes made to the object beforehand are discarded.
Posting is ``posting``; the author's edit and delete, ``authors``; likes and reports, ``likes``
and ``reports``; a comment's public JSON, ``public``; reading a thread, ``threads``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from engagement import sanitize
from engagement.articles import service as articles
from engagement.models import Comment, CommentStatus, utcnow
from engagement.notifications import events
from engagement.parsing import column_max
from engagement.refusals import NotFound

MAX_ID = column_max(Comment.id)

# --- reading one comment ---------------------------------------------------------------------


def get(db: Session, *, comment_id: int) -> Comment | None:
    """The comment with this id, or None (also for numbers no row id can have)."""
    if not 1 <= comment_id <= MAX_ID:
        return None
    return db.get(Comment, comment_id)


def get_visible(db: Session, *, comment_id: int) -> Comment:
    """The comment readers can see with this id; ``comment_not_found`` otherwise."""
    comment = get(db, comment_id=comment_id)
    if comment is None or not comment.visible:
        raise not_found(comment_id)
    return comment


def require(db: Session, *, comment_id: int) -> Comment:
    """The comment with this id, whatever its status; ``comment_not_found`` otherwise."""
    comment = get(db, comment_id=comment_id)
    if comment is None:
        raise not_found(comment_id)
    return comment


def not_found(comment_id: int) -> NotFound:
    """The refusal for a comment id no comment (that the caller may see) has."""
    return NotFound("comment_not_found", f"No comment with id {comment_id}.", "id")


def filed_by_screening(comment: Comment) -> bool:
    """Whether the spam screening, not a moderator, put this comment in the spam queue."""
    return comment.status is CommentStatus.SPAM and comment.moderated_at is None


# --- changes to what a thread shows (also the moderation verbs) ------------------------------


def change(db: Session, comment: Comment, mutate: Callable[[Comment], None]) -> None:
    """Apply ``mutate`` to the freshly locked row; keep the counter and thread version right."""
    # Re-read under a row lock (PostgreSQL; SQLite serializes writers), so two concurrent
    # transitions of one comment cannot both count the same change.
    db.refresh(comment, with_for_update=True)
    was_visible = comment.visible
    before = (comment.status, comment.deleted_at, comment.text)
    mutate(comment)
    db.flush()
    delta = int(comment.visible) - int(was_visible)
    articles.bump_thread(db, article_id=comment.article_id, count_delta=delta)
    for type in _events_of(before, comment):
        events.comment_event(db, type=type, comment=comment)


def _events_of(before: tuple[CommentStatus, datetime | None, str], comment: Comment) -> list[str]:
    """The events a change made: approved, rejected, deleted, edited."""
    status, deleted_at, text = before
    happened = []
    if comment.status is not status and comment.status is CommentStatus.APPROVED:
        happened.append(events.COMMENT_APPROVED)
    if comment.status is not status and comment.status is CommentStatus.REJECTED:
        happened.append(events.COMMENT_REJECTED)
    if deleted_at is None and comment.deleted_at is not None:
        happened.append(events.COMMENT_DELETED)
    if comment.text != text:
        happened.append(events.COMMENT_EDITED)
    return happened


def set_status(
    db: Session, *, comment: Comment, status: CommentStatus, now: datetime | None = None
) -> None:
    """Move a comment to ``status`` (approve, reject, mark as spam, back to pending)."""

    def mutate(row: Comment) -> None:
        row.status = status
        row.moderated_at = now or utcnow()

    change(db, comment, mutate)


def delete(db: Session, *, comment: Comment, now: datetime | None = None) -> None:
    """Delete a comment. Its row stays so it can be restored; readers see it as a placeholder
    while it has visible replies, and not at all otherwise."""

    def mutate(row: Comment) -> None:
        if row.deleted_at is None:
            row.deleted_at = now or utcnow()

    change(db, comment, mutate)


def restore(db: Session, *, comment: Comment) -> None:
    """Undo a deletion."""

    def mutate(row: Comment) -> None:
        row.deleted_at = None

    change(db, comment, mutate)


def edit(db: Session, *, comment: Comment, text: str, now: datetime | None = None) -> None:
    """Replace a comment's text (already normalized) and re-render it; marks it edited."""

    def mutate(row: Comment) -> None:
        row.text = text
        row.html = sanitize.render(text)
        row.edited_at = now or utcnow()

    change(db, comment, mutate)


def set_pinned(db: Session, *, comment: Comment, pinned: bool) -> None:
    """Pin a comment to the top of its thread, or unpin it."""

    def mutate(row: Comment) -> None:
        row.pinned = pinned

    change(db, comment, mutate)
