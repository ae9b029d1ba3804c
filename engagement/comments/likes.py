"""Likes: once per visitor, counted on the comment itself."""

from __future__ import annotations

from sqlalchemy import delete as delete_rows
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engagement import db as database
from engagement.articles import service as articles
from engagement.models import Comment, CommentLike, utcnow


def like(db: Session, *, comment: Comment, visitor: str) -> bool:
    """Like a comment once per visitor; returns whether this like was new."""
    insert = database.insert(db)
    result = db.execute(
        insert(CommentLike)
        .values(comment_id=comment.id, visitor=visitor, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["comment_id", "visitor"])
        .returning(CommentLike.comment_id)
    )
    if result.first() is None:  # this visitor had liked it already
        return False
    db.execute(
        update(Comment)
        .where(Comment.id == comment.id)
        .values(likes=Comment.likes + 1)
        .execution_options(synchronize_session=False)
    )
    articles.bump_thread(db, article_id=comment.article_id)
    return True


def unlike(db: Session, *, comment: Comment, visitor: str) -> bool:
    """Take back this visitor's like; returns whether there was one (a second call changes
    nothing)."""
    result = db.execute(
        delete_rows(CommentLike).where(
            CommentLike.comment_id == comment.id, CommentLike.visitor == visitor
        )
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    db.execute(
        update(Comment)
        .where(Comment.id == comment.id, Comment.likes > 0)
        .values(likes=Comment.likes - 1)
        .execution_options(synchronize_session=False)
    )
    articles.bump_thread(db, article_id=comment.article_id)
    return True


def likes_of(db: Session, *, comment_id: int) -> int:
    """The comment's like count as stored now."""
    return db.scalar(select(Comment.likes).where(Comment.id == comment_id)) or 0
