"""A comment as a moderator decides on it: with its article, the comment it answers, its open
reports, its author's history and, for a signed-in author, their reader record."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from engagement.models import Article, Comment, CommentStatus, Reader, Report


@dataclass(frozen=True)
class AuthorHistory:
    """What became of the author's comments so far (see ``author_key``)."""

    approved: int = 0
    pending: int = 0
    rejected: int = 0
    spam: int = 0


@dataclass
class QueueItem:
    """A comment waiting for a decision, with what a moderator needs to decide."""

    comment: Comment
    article: Article
    parent: Comment | None = None
    reports: list[Report] = field(default_factory=list)
    history: AuthorHistory = field(default_factory=AuthorHistory)
    # The signed-in reader who wrote it (None for guests): trust marks and history by identity.
    reader: Reader | None = None


def comments_by_id(db: Session, *, comment_ids: Iterable[int]) -> dict[int, Comment]:
    """The comments with these ids (missing ones are absent)."""
    wanted = set(comment_ids)
    if not wanted:
        return {}
    return {c.id: c for c in db.scalars(select(Comment).where(Comment.id.in_(wanted)))}


def item_for(db: Session, *, comment: Comment) -> QueueItem:
    """A comment with its article, parent, open reports and author history."""
    return items_for(db, comments=[comment])[0]


def items_for(db: Session, *, comments: list[Comment]) -> list[QueueItem]:
    """Comments with their context, in a constant number of queries."""
    article_ids = {comment.article_id for comment in comments}
    found = {a.id: a for a in db.scalars(select(Article).where(Article.id.in_(article_ids)))}
    items = [QueueItem(comment=comment, article=found[comment.article_id]) for comment in comments]
    attach_context(db, items)
    return items


def attach_context(db: Session, items: list[QueueItem]) -> None:
    """Fill in each item's parent comment, open reports and author history (at most four
    queries)."""
    if not items:
        return
    parent_ids = {item.comment.parent_id for item in items if item.comment.parent_id}
    parents = (
        {
            parent.id: parent
            for parent in db.scalars(select(Comment).where(Comment.id.in_(parent_ids)))
        }
        if parent_ids
        else {}
    )
    comment_ids = [item.comment.id for item in items]
    reports: dict[int, list[Report]] = defaultdict(list)
    for report in db.scalars(
        select(Report)
        .where(Report.comment_id.in_(comment_ids), Report.resolved_at.is_(None))
        .order_by(Report.id)
    ):
        reports[report.comment_id].append(report)
    histories = author_histories(db, comments=[item.comment for item in items])
    subjects = {item.comment.author_subject for item in items if item.comment.author_subject}
    signed_in = (
        {r.subject: r for r in db.scalars(select(Reader).where(Reader.subject.in_(subjects)))}
        if subjects
        else {}
    )
    for item in items:
        if item.comment.author_subject:
            item.reader = signed_in.get(item.comment.author_subject)
        item.parent = parents.get(item.comment.parent_id) if item.comment.parent_id else None
        item.reports = reports[item.comment.id]
        item.history = histories.get(author_key(item.comment), AuthorHistory())


def author_key(comment: Comment) -> tuple[str, str]:
    """Who wrote a comment: the signed-in reader's subject, else the email a guest gave, else
    their visitor hash."""
    if comment.author_subject:
        return ("reader", comment.author_subject)
    if comment.author_email:
        return ("email", comment.author_email)
    return ("visitor", comment.visitor)


def author_histories(
    db: Session, *, comments: Iterable[Comment]
) -> dict[tuple[str, str], AuthorHistory]:
    """For each author (see ``author_key``), how many of their comments are in each status."""
    chosen = list(comments)
    subjects = {c.author_subject for c in chosen if c.author_subject is not None}
    emails = {c.author_email for c in chosen if c.author_email is not None and not c.author_subject}
    visitors = {c.visitor for c in chosen if not c.author_email and not c.author_subject}
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for kind, column, wanted in (
        ("reader", Comment.author_subject, subjects),
        ("email", Comment.author_email, emails),
        ("visitor", Comment.visitor, visitors),
    ):
        if not wanted:
            continue
        rows = db.execute(
            select(column, Comment.status, func.count())
            .where(column.in_(wanted))
            .group_by(column, Comment.status)
        )
        for who, status, count in rows:
            counts[(kind, str(who))][CommentStatus(status).value] = int(count)
    return {key: AuthorHistory(**found) for key, found in counts.items()}


@dataclass(frozen=True)
class ThreadContext:
    """Where a comment sits in its thread: the comment it answers and its nearest siblings
    (the other answers to the same parent, or the other top-level comments), oldest first."""

    parent: Comment | None
    siblings: list[Comment]


def thread_context(db: Session, *, comment: Comment, around: int = 3) -> ThreadContext:
    """The comment's parent and up to ``around`` siblings before it and after it (three
    queries whatever the thread's size)."""
    parent = db.get(Comment, comment.parent_id) if comment.parent_id else None
    same_place = select(Comment).where(
        Comment.article_id == comment.article_id,
        Comment.id != comment.id,
        Comment.deleted_at.is_(None),
        Comment.parent_id == comment.parent_id
        if comment.parent_id
        else Comment.parent_id.is_(None),
    )
    here = tuple_(Comment.created_at, Comment.id)
    position = tuple_(comment.created_at, comment.id)
    before = db.scalars(
        same_place.where(here < position)
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(around)
    )
    after = db.scalars(
        same_place.where(here > position).order_by(Comment.created_at, Comment.id).limit(around)
    )
    return ThreadContext(parent=parent, siblings=[*reversed(list(before)), *after])
