"""The moderation queues: comments waiting for approval, reported by readers, or held as spam."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, TypeVarTuple

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import Session

from engagement.comments import reports as comment_reports
from engagement.models import Article, Comment, CommentStatus, Report
from engagement.moderation.items import QueueItem, attach_context
from engagement.refusals import NotFound

PAGE_SIZE = 50
Row = TypeVarTuple("Row")


class Queue(enum.StrEnum):
    PENDING = "pending"
    REPORTED = "reported"
    SPAM = "spam"


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    next_after: int | None


def queue_named(name: str) -> Queue:
    """The queue called ``name``; ``unknown_queue`` when there is none."""
    if name not in set(Queue):
        raise NotFound("unknown_queue", "Queues are pending, reported and spam.", "queue")
    return Queue(name)


def _open_reports() -> Any:
    return (
        select(Report.comment_id, comment_reports.reporters().label("reports"))
        .where(Report.resolved_at.is_(None))
        .group_by(Report.comment_id)
        .subquery()
    )


def _in_queue(query: Select[*Row], queue: Queue, *, threshold: int) -> Select[*Row]:
    query = query.where(Comment.deleted_at.is_(None))
    if queue is Queue.PENDING:
        return query.where(Comment.status == CommentStatus.PENDING)
    if queue is Queue.SPAM:
        return query.where(Comment.status == CommentStatus.SPAM)
    reports = _open_reports()
    return query.join(reports, reports.c.comment_id == Comment.id).where(
        reports.c.reports >= threshold,
        Comment.status.in_([CommentStatus.APPROVED, CommentStatus.PENDING]),
    )


def queue_sizes(db: Session, *, threshold: int) -> dict[Queue, int]:
    """How many comments wait in each queue (``threshold``: the reports that make one
    reported)."""
    return {
        queue: db.scalar(_in_queue(select(func.count(Comment.id)), queue, threshold=threshold)) or 0
        for queue in Queue
    }


def queue(
    db: Session,
    *,
    queue: Queue,
    threshold: int,
    after_id: int | None = None,
    limit: int = PAGE_SIZE,
) -> QueuePage:
    """One page of a queue, oldest first, each item with its context; a constant number of
    queries whatever the page size."""
    query = _in_queue(select(Comment, Article), queue, threshold=threshold).join(
        Article, Article.id == Comment.article_id
    )
    after = db.get(Comment, after_id) if after_id is not None else None
    if after is not None:
        query = query.where(
            tuple_(Comment.created_at, Comment.id) > tuple_(after.created_at, after.id)
        )
    # (created_at, id) follows the index on (status, created_at): no sort of the whole queue.
    query = query.order_by(Comment.created_at, Comment.id).limit(limit + 1)
    rows = list(db.execute(query))
    next_after = rows[limit - 1][0].id if len(rows) > limit else None
    items = [QueueItem(comment=comment, article=article) for comment, article in rows[:limit]]
    attach_context(db, items)
    return QueuePage(items=items, next_after=next_after)
