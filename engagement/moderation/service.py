"""Moderation: the queues, the author's history, and the actions moderators take.

Every action goes through the comments and articles services (which keep ``comment_count``
and the thread exact) and writes one audit entry with the state before and after.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVarTuple

from flask import current_app
from sqlalchemy import Select, func, select, tuple_, update
from sqlalchemy.orm import Session

from engagement.abuse import bans
from engagement.articles import service as articles
from engagement.comments import inputs, posting
from engagement.comments import reports as comment_reports
from engagement.comments import service as comments
from engagement.errors import ApiError, invalid
from engagement.identity import readers
from engagement.models import (
    Article,
    Ban,
    BanKind,
    Comment,
    Commenting,
    CommentStatus,
    ModerationMode,
    Moderator,
    Reader,
    Report,
    Trust,
    utcnow,
)
from engagement.moderation.audit import Actor, record
from engagement.refusals import Refusal

PAGE_SIZE = 50
# Why a moderator acted: stored as text of any length, bounded here for the audit log's sake.
MAX_REASON = 1000
Row = TypeVarTuple("Row")


class Queue(enum.StrEnum):
    PENDING = "pending"
    REPORTED = "reported"
    SPAM = "spam"


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


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    next_after: int | None


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
    """How many comments wait in each queue."""
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


def article_state(article: Article) -> dict[str, Any]:
    """The moderation-relevant state of an article, for the audit log."""
    return {
        "open": article.comments_open,
        "moderation": article.moderation.value if article.moderation else None,
        "commenting": article.commenting.value if article.commenting else None,
    }


def set_article_mode(
    db: Session,
    *,
    actor: Actor,
    article: Article,
    mode: ModerationMode | None,
    reason: str | None = None,
) -> Article:
    """Override the article's moderation mode (None: back to the site default)."""
    return _change_article(
        db,
        actor=actor,
        article=article,
        action="article.moderation",
        reason=reason,
        moderation=mode,
    )


def set_article_commenting(
    db: Session,
    *,
    actor: Actor,
    article: Article,
    commenting: Commenting | None,
    reason: str | None = None,
) -> Article:
    """Say who may comment on the article (None: back to the site default)."""
    return _change_article(
        db,
        actor=actor,
        article=article,
        action="article.commenting",
        reason=reason,
        commenting=commenting,
    )


def set_article_open(
    db: Session, *, actor: Actor, article: Article, open: bool, reason: str | None = None
) -> Article:
    """Open or close the article's thread to new comments."""
    action = "article.open" if open else "article.close"
    return _change_article(
        db, actor=actor, article=article, action=action, reason=reason, comments_open=open
    )


def _change_article(
    db: Session, *, actor: Actor, article: Article, action: str, reason: str | None, **changes: Any
) -> Article:
    """Apply ``changes`` to the article and log them; what it already is changes nothing and
    writes no log entry."""
    if all(getattr(article, name) == value for name, value in changes.items()):
        return article
    before = article_state(article)
    articles.put(db, key=article.key, **changes)
    record(
        db,
        actor=actor,
        action=action,
        article_id=article.id,
        reason=reason,
        before=before,
        after=article_state(article),
    )
    return article


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


def find_articles(db: Session, *, search: str = "", limit: int = 50) -> list[Article]:
    """Articles whose key or title contains ``search``, newest first."""
    query = select(Article)
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            Article.key.ilike(pattern, escape="\\") | Article.title.ilike(pattern, escape="\\")
        )
    return list(db.scalars(query.order_by(Article.id.desc()).limit(limit)))


# --- actions on comments ----------------------------------------------------------------------


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


def comment_state(comment: Comment) -> dict[str, Any]:
    """The moderation-relevant state of a comment, for the audit log."""
    return {
        "status": comment.status.value,
        "deleted": comment.deleted_at is not None,
        "pinned": comment.pinned,
    }


def get_comment(db: Session, *, comment_id: int) -> Comment | None:
    """The comment with this id, or None."""
    return db.get(Comment, comment_id)


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
    expires_at = utcnow() + timedelta(days=days) if days else None
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
        raise ApiError(409, "nothing_to_ban", "This comment carries nothing to ban its author by.")
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
    max_length: int,
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


def act(
    db: Session,
    *,
    actor: Actor,
    comment: Comment,
    action: Action,
    reason: str | None = None,
    text: str | None = None,
    ban_days: int | None = None,
) -> Comment:
    """Take one action on one comment, resolve its open reports, and log it. An action that
    would change nothing (approving an approved comment without open reports) is not taken
    and not logged."""
    if action is Action.NOT_SPAM and comment.status is not CommentStatus.SPAM:
        raise ApiError(409, "not_spam", "Only a comment held as spam can be marked not spam.")
    if comment.erased:
        raise ApiError(
            409,
            "comment_erased",
            "This comment was erased at its author's request: it cannot be restored or changed.",
        )
    if comment.deleted_at is not None and action not in ON_DELETED:
        raise ApiError(409, "comment_deleted", "Restore the comment first.")
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
        max_length=current_app.config["COMMENT_MAX_LENGTH"],
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
    """Take one action on each of the comments, all or nothing; 404 if one does not exist."""
    if action not in BULK_ACTIONS:
        raise invalid("action", f"{action.value} cannot be applied in bulk.")
    wanted = list(dict.fromkeys(comment_ids))
    if len(wanted) > MAX_BULK:
        raise invalid("ids", f"At most {MAX_BULK} comments at once.")
    found = comments_by_id(db, comment_ids=wanted)
    missing = [ident for ident in wanted if ident not in found]
    if missing:
        raise ApiError(404, "comment_not_found", f"No comment with id {missing[0]}.", "ids")
    return [
        act(db, actor=actor, comment=found[ident], action=action, reason=reason) for ident in wanted
    ]


# --- bans -------------------------------------------------------------------------------------


def ban(
    db: Session,
    *,
    actor: Actor,
    kind: BanKind,
    value: str,
    days: int | None = None,
    reason: str | None = None,
) -> Ban:
    """Ban an email, visitor hash, network or name, for ``days`` or for good; logged."""
    made = bans.ban(
        db,
        kind=kind,
        value=value,
        reason=reason,
        expires_at=utcnow() + timedelta(days=days) if days else None,
        created_by=actor.name,
    )
    record(db, actor=actor, action="ban.create", reason=reason, after=bans.as_json(made))
    return made


def lift_ban(db: Session, *, actor: Actor, ban_id: int, reason: str | None = None) -> Ban:
    """End a ban now; logged. 404 ``ban_not_found`` if there is no such ban."""
    lifted = bans.lift(db, ban_id=ban_id)
    record(db, actor=actor, action="ban.lift", reason=reason, after=bans.as_json(lifted))
    return lifted


# --- signed-in readers: trust and history ------------------------------------------------------


def reader_state(reader: Reader) -> dict[str, Any]:
    """A reader's trust, for the audit log."""
    return {"subject": reader.subject, "trust": reader.trust.value if reader.trust else None}


def set_reader_trust(
    db: Session, *, actor: Actor, reader: Reader, trust: Trust | None, reason: str | None = None
) -> Reader:
    """Mark a signed-in reader trusted or untrusted (None: back to the rules), logged."""
    before = reader_state(reader)
    readers.set_trust(db, reader=reader, trust=trust, actor=actor.name)
    record(
        db,
        actor=actor,
        action="reader.trust",
        reason=reason,
        before=before,
        after=reader_state(reader),
    )
    return reader


@dataclass(frozen=True)
class ReaderHistory:
    reader: Reader
    standing: readers.Standing
    items: list[QueueItem]


def reader_history(db: Session, *, subject: str, limit: int = PAGE_SIZE) -> ReaderHistory:
    """A signed-in reader, their record and their latest comments (any status), newest first."""
    reader = readers.require(db, subject=subject)
    latest = list(
        db.scalars(
            select(Comment)
            .where(Comment.author_subject == subject)
            .order_by(Comment.created_at.desc(), Comment.id.desc())
            .limit(limit)
        )
    )
    return ReaderHistory(
        reader=reader,
        standing=readers.standing(
            db, subject=subject, clean_days=current_app.config["TRUST_CLEAN_DAYS"]
        ),
        items=items_for(db, comments=latest),
    )


# --- staff replies -----------------------------------------------------------------------------


def staff_name(moderator: Moderator) -> str:
    """The name a moderator's replies appear under."""
    return moderator.display_name or moderator.username


def staff_reply(db: Session, *, actor: Actor, parent: Comment, text: str, name: str) -> Comment:
    """Answer a comment as the newsroom: visible at once, with the staff badge, logged."""
    reply = posting.staff_reply(
        db,
        parent=parent,
        text=text,
        name=name,
        author=actor.name,
        close_after_days=current_app.config["CLOSE_AFTER_DAYS"],
    )
    record(
        db,
        actor=actor,
        action="comment.reply",
        comment_id=reply.id,
        article_id=reply.article_id,
        after={"parent_id": parent.id, "author_name": name},
    )
    return reply
