"""Comments: posting, the author's edit and delete, likes and reports (reading: ``threads``).

Every change to what a thread shows goes through a verb of this module (``save``,
``set_status``, ``delete``, ``restore``, ``edit``, ``set_pinned``, ``like``), and each keeps two
things exact: ``Article.comment_count`` (visible comments: approved and not deleted), moved by
atomic SQL increments at each visibility transition, and ``Article.thread_version``, bumped so
no cached answer of the old thread is served again. Moderation calls these verbs too.

Each verb re-reads the comment under a row lock before changing it, so make changes to a
comment through these verbs: unflushed changes made to the object beforehand are discarded.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, bindparam, func, select, update
from sqlalchemy import delete as delete_rows
from sqlalchemy.orm import Session

from engagement import db as database
from engagement import sanitize
from engagement.abuse import spam
from engagement.articles import service as articles
from engagement.comments.inputs import MAX_ID, NewComment
from engagement.errors import ApiError
from engagement.keyed import site_hash
from engagement.models import (
    Article,
    Comment,
    CommentLike,
    CommentStatus,
    ModerationMode,
    Report,
    ReportReason,
    utcnow,
)

EDIT_TOKEN_BYTES = 32  # 256 random bits


@dataclass(frozen=True)
class Draft:
    """A comment built by ``prepare``, and stored once ``save`` has run."""

    comment: Comment
    # Shown to the author once; only its SHA-256 is stored.
    edit_token: str


# --- reading one comment ---------------------------------------------------------------------


def get(db: Session, *, comment_id: int) -> Comment | None:
    """The comment with this id, or None (also for numbers no row id can have)."""
    if not 1 <= comment_id <= MAX_ID:
        return None
    return db.get(Comment, comment_id)


def get_visible(db: Session, *, comment_id: int) -> Comment:
    """The comment readers can see with this id, or a 404."""
    comment = get(db, comment_id=comment_id)
    if comment is None or not comment.visible:
        raise ApiError(404, "comment_not_found", f"No comment with id {comment_id}.", "id")
    return comment


def avatar_for(*, email: str | None, visitor: str) -> str:
    """The avatar hash: keyed, so it cannot be matched against public avatar services."""
    source = f"email:{email}" if email else f"visitor:{visitor}"
    return site_hash(source, person=b"avatar")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def as_json(comment: Comment) -> dict[str, Any]:
    """The public representation of one comment (no email, visitor hash or secret)."""
    return {
        "id": comment.id,
        "parent_id": comment.parent_id,
        "html": comment.html,
        "author_name": comment.author_name,
        "author_website": comment.author_website,
        "avatar": comment.avatar,
        "likes": comment.likes,
        "status": comment.status.value,
        "pinned": comment.pinned,
        "deleted": comment.deleted_at is not None,
        "created_at": _iso(comment.created_at),
        "edited_at": _iso(comment.edited_at),
    }


def author_json(comment: Comment) -> dict[str, Any]:
    """What the comment's author gets back: the public fields plus the Markdown source.

    A comment the spam screening filed away reads as waiting for moderation, like any other:
    the answer must not teach a spammer which of their posts were caught.
    """
    shown = {**as_json(comment), "text": comment.text}
    if filed_by_screening(comment):
        shown["status"] = CommentStatus.PENDING.value
    return shown


def filed_by_screening(comment: Comment) -> bool:
    """Whether the spam screening, not a moderator, put this comment in the spam queue."""
    return comment.status is CommentStatus.SPAM and comment.moderated_at is None


# --- posting ---------------------------------------------------------------------------------


_APPROVED_BY_EMAIL = (
    select(Comment.id)
    .where(Comment.author_email == bindparam("who"), Comment.status == CommentStatus.APPROVED)
    .limit(1)
)
_APPROVED_BY_VISITOR = (
    select(Comment.id)
    .where(Comment.visitor == bindparam("who"), Comment.status == CommentStatus.APPROVED)
    .limit(1)
)


def has_approved_comment(db: Session, *, email: str | None, visitor: str) -> bool:
    """Whether this commenter (by email if given, else by visitor hash) was approved before."""
    query = _APPROVED_BY_EMAIL if email else _APPROVED_BY_VISITOR
    return db.scalar(query, {"who": email or visitor}) is not None


def initial_status(
    db: Session, *, article: Article, new: NewComment, visitor: str, screening: spam.Screening
) -> CommentStatus:
    """The status a new comment starts with: the one place that decides who is seen at once."""
    if screening.verdict is spam.Verdict.SPAM:
        return CommentStatus.SPAM
    if screening.verdict is spam.Verdict.PENDING:
        return CommentStatus.PENDING
    mode = articles.moderation_mode(article)
    if mode is ModerationMode.POST:
        return CommentStatus.APPROVED
    if mode is ModerationMode.PRE:
        return CommentStatus.PENDING
    if has_approved_comment(db, email=new.author_email, visitor=visitor):
        return CommentStatus.APPROVED
    return CommentStatus.PENDING


def _parent(db: Session, *, article: Article, parent_id: int) -> Comment:
    parent = get(db, comment_id=parent_id)
    if parent is None or parent.article_id != article.id:
        raise ApiError(
            400, "invalid_parent", "The comment replied to is not in this thread.", "parent_id"
        )
    if not parent.visible:
        raise ApiError(
            400, "invalid_parent", "The comment replied to can no longer be answered.", "parent_id"
        )
    return parent


def prepare(
    db: Session,
    *,
    article: Article,
    new: NewComment,
    visitor: str,
    address: str | None = None,
    honeypot: str | None = None,
    now: datetime | None = None,
) -> Draft:
    """Check and screen a comment or reply, reading only; ``save`` stores it.

    ``address`` (the client's IP, for network bans) and ``honeypot`` (the hidden form field's
    value) feed the spam screening; a banned poster is refused with 403 ``banned``.
    """
    if not articles.is_open(article, now=now):
        raise ApiError(403, "thread_closed", "This thread is closed to new comments.", None)
    if new.parent_id is not None:
        _parent(db, article=article, parent_id=new.parent_id)
    post = spam.Post(
        text=new.text,
        visitor=visitor,
        author_name=new.author_name,
        author_email=new.author_email,
        author_website=new.author_website,
        address=address,
        honeypot=honeypot,
    )
    screening = spam.screen(db, post=post, now=now)
    token = secrets.token_urlsafe(EDIT_TOKEN_BYTES)
    comment = Comment(
        article_id=article.id,
        parent_id=new.parent_id,
        status=initial_status(db, article=article, new=new, visitor=visitor, screening=screening),
        spam_reasons=screening.reasons,
        text=new.text,
        html=new.html,
        author_name=new.author_name,
        author_email=new.author_email,
        author_website=new.author_website,
        avatar=avatar_for(email=new.author_email, visitor=visitor),
        visitor=visitor,
        edit_token_hash=_token_hash(token),
        likes=0,
        pinned=False,
        created_at=now or utcnow(),
    )
    return Draft(comment=comment, edit_token=token)


def save(db: Session, draft: Draft) -> Draft:
    """Store a prepared comment: one insert, and the thread's counter and version if it shows."""
    comment = draft.comment
    db.add(comment)
    db.flush()
    if comment.visible:
        articles.bump_thread(db, article_id=comment.article_id, count_delta=1)
    return draft


# --- changes to what a thread shows (also the moderation verbs) ------------------------------


def _change(db: Session, comment: Comment, mutate: Callable[[Comment], None]) -> None:
    """Apply ``mutate`` to the freshly locked row; keep the counter and thread version right."""
    # Re-read under a row lock (PostgreSQL; SQLite serializes writers), so two concurrent
    # transitions of one comment cannot both count the same change.
    db.refresh(comment, with_for_update=True)
    was_visible = comment.visible
    mutate(comment)
    db.flush()
    delta = int(comment.visible) - int(was_visible)
    articles.bump_thread(db, article_id=comment.article_id, count_delta=delta)


def set_status(
    db: Session, *, comment: Comment, status: CommentStatus, now: datetime | None = None
) -> None:
    """Move a comment to ``status`` (approve, reject, mark as spam, back to pending)."""

    def mutate(row: Comment) -> None:
        row.status = status
        row.moderated_at = now or utcnow()

    _change(db, comment, mutate)


def delete(db: Session, *, comment: Comment, now: datetime | None = None) -> None:
    """Delete a comment. Its row stays so it can be restored; readers see it as a placeholder
    while it has visible replies, and not at all otherwise."""

    def mutate(row: Comment) -> None:
        if row.deleted_at is None:
            row.deleted_at = now or utcnow()

    _change(db, comment, mutate)


def restore(db: Session, *, comment: Comment) -> None:
    """Undo a deletion."""

    def mutate(row: Comment) -> None:
        row.deleted_at = None

    _change(db, comment, mutate)


def edit(db: Session, *, comment: Comment, text: str, now: datetime | None = None) -> None:
    """Replace a comment's text (already normalized) and re-render it; marks it edited."""

    def mutate(row: Comment) -> None:
        row.text = text
        row.html = sanitize.render(text)
        row.edited_at = now or utcnow()

    _change(db, comment, mutate)


def set_pinned(db: Session, *, comment: Comment, pinned: bool) -> None:
    """Pin a comment to the top of its thread, or unpin it."""

    def mutate(row: Comment) -> None:
        row.pinned = pinned

    _change(db, comment, mutate)


# --- the author's edit secret ----------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def check_author(comment: Comment, *, token: str | None, now: datetime | None = None) -> None:
    """Refuse unless ``token`` is this comment's edit secret and its window is still open."""
    if comment.deleted_at is not None:
        raise ApiError(404, "comment_not_found", f"No comment with id {comment.id}.", "id")
    stored = comment.edit_token_hash
    if not token or stored is None or not hmac.compare_digest(_token_hash(token), stored):
        raise ApiError(
            403, "invalid_edit_token", "Only the comment's author can change it.", "X-Edit-Token"
        )
    removed = comment.status is CommentStatus.REJECTED or (
        comment.status is CommentStatus.SPAM and not filed_by_screening(comment)
    )
    if removed:
        raise ApiError(403, "not_editable", "This comment was removed by a moderator.", None)
    window = timedelta(minutes=current_app.config["COMMENT_EDIT_WINDOW_MINUTES"])
    if (now or utcnow()) >= comment.created_at + window:
        raise ApiError(
            403, "edit_window_closed", "The time to edit or delete this comment is over.", None
        )


def edit_by_author(
    db: Session,
    *,
    comment: Comment,
    token: str | None,
    text: str,
    address: str | None = None,
    now: datetime | None = None,
) -> None:
    """The author's edit, screened like a new comment; under pre-moderation it goes back to
    the queue. An edit can hold or file away a visible comment, never release a held one."""
    check_author(comment, token=token, now=now)
    article = db.get(Article, comment.article_id)
    assert article is not None
    post = spam.Post(
        text=text,
        visitor=comment.visitor,
        author_name=comment.author_name,
        author_email=comment.author_email,
        author_website=comment.author_website,
        address=address,
    )
    screening = spam.screen(db, post=post, now=now, exclude_comment_id=comment.id)
    back_to_queue = articles.moderation_mode(article) is ModerationMode.PRE
    held = back_to_queue or screening.verdict is spam.Verdict.PENDING

    def mutate(row: Comment) -> None:
        row.text = text
        row.html = sanitize.render(text)
        row.edited_at = now or utcnow()
        if screening.verdict is spam.Verdict.SPAM:
            row.status = CommentStatus.SPAM
        elif held and row.status is not CommentStatus.SPAM:
            row.status = CommentStatus.PENDING
        if screening.reasons:
            row.spam_reasons = list(dict.fromkeys([*(row.spam_reasons or []), *screening.reasons]))

    _change(db, comment, mutate)


def delete_by_author(
    db: Session, *, comment: Comment, token: str | None, now: datetime | None = None
) -> None:
    """The author's delete."""
    check_author(comment, token=token, now=now)
    delete(db, comment=comment, now=now)


# --- likes and reports -----------------------------------------------------------------------


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


def report(
    db: Session,
    *,
    comment: Comment,
    visitor: str,
    reason: ReportReason,
    note: str | None = None,
    network: str | None = None,
) -> bool:
    """Flag a comment for moderators once per visitor; returns whether this report was new.

    ``network`` (``visitors.network()``) makes one network's reports count once toward the
    report threshold.
    """
    insert = database.insert(db)
    result = db.execute(
        insert(Report)
        .values(
            comment_id=comment.id,
            visitor=visitor,
            network=network,
            reason=reason,
            note=note,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["comment_id", "visitor"])
        .returning(Report.id)
    )
    added = result.first() is not None
    if added and not current_app.config["REPORTED_VISIBLE"]:
        _hide_when_reported(db, comment=comment)
    return added


def reporters() -> ColumnElement[int]:
    """How many reporters a group of reports comes from: each network once (a report stored
    without one counts by its visitor). What the report threshold is compared with."""
    return func.count(func.distinct(func.coalesce(Report.network, Report.visitor)))


def open_reports(db: Session, *, comment_id: int) -> int:
    """How many reporters have reports on the comment that no moderator has dealt with yet."""
    return (
        db.scalar(
            select(reporters()).where(Report.comment_id == comment_id, Report.resolved_at.is_(None))
        )
        or 0
    )


def _hide_when_reported(db: Session, *, comment: Comment) -> None:
    """Hold a visible comment for moderation once its open reports reach the threshold."""
    threshold = current_app.config["REPORT_THRESHOLD"]
    if comment.visible and open_reports(db, comment_id=comment.id) >= threshold:
        set_status(db, comment=comment, status=CommentStatus.PENDING)
