"""The outbox: every change worth telling is recorded here, in the change's own transaction.

The comments and articles services call ``comment_event`` and ``article_event`` from the verbs
every door goes through (API, pages, CLI), so nothing can change a comment without its event.
A row of ``outbox_events`` commits or rolls back with the change itself: a crash between the
change and its notification cannot lose one, and posting never waits for a mail server or a
receiver. ``engagement worker`` fans each event out (``worker.py``) and deletes it.

Events are written only while something may consume them: a mail server is configured (reply
notifications, moderator alerts) or a webhook endpoint is enabled.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engagement.models import Article, Comment, OutboxEvent, WebhookEndpoint, utcnow

COMMENT_CREATED = "comment.created"
COMMENT_APPROVED = "comment.approved"
COMMENT_REJECTED = "comment.rejected"
COMMENT_DELETED = "comment.deleted"
COMMENT_EDITED = "comment.edited"
COMMENT_REPORTED = "comment.reported"
ARTICLE_CLOSED = "article.closed"
ARTICLE_OPENED = "article.opened"

EVENTS = (
    COMMENT_CREATED,
    COMMENT_APPROVED,
    COMMENT_REJECTED,
    COMMENT_DELETED,
    COMMENT_EDITED,
    COMMENT_REPORTED,
    ARTICLE_CLOSED,
    ARTICLE_OPENED,
)

_ANY_ENABLED_ENDPOINT = select(WebhookEndpoint.id).where(WebhookEndpoint.enabled).limit(1)
# One statement, built once: every post runs it while anything listens.
_INSERT_EVENT = insert(OutboxEvent)


def mail_configured() -> bool:
    """Whether a mail server is set: reply notifications and alerts exist only then."""
    return bool(current_app.config["SMTP_HOST"])


def listening(db: Session) -> bool:
    """Whether an event written now would reach anyone."""
    return mail_configured() or db.scalar(_ANY_ENABLED_ENDPOINT) is not None


def new_message_id() -> str:
    """A Standard Webhooks message id: unique, stable across retries of one event."""
    return f"msg_{uuid.uuid4().hex}"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def article_json(article: Article) -> dict[str, Any]:
    """An article as events carry it."""
    return {
        "key": article.key,
        "title": article.title,
        "url": article.url,
        "open": article.comments_open,
    }


def comment_json(comment: Comment) -> dict[str, Any]:
    """A comment as events carry it: what readers see, the Markdown source, never an email."""
    return {
        "id": comment.id,
        "parent_id": comment.parent_id,
        "status": comment.status.value,
        "deleted": comment.deleted_at is not None,
        "text": comment.text,
        "html": comment.html,
        "author_name": comment.author_name,
        "author_website": comment.author_website,
        "avatar": comment.avatar,
        "created_at": _iso(comment.created_at),
        "edited_at": _iso(comment.edited_at),
    }


def _record(
    db: Session,
    *,
    type: str,
    data: dict[str, Any],
    comment_id: int | None = None,
    article_id: int | None = None,
    watch_language: str | None = None,
) -> None:
    db.execute(
        _INSERT_EVENT,
        {
            "type": type,
            "message_id": new_message_id(),
            "comment_id": comment_id,
            "article_id": article_id,
            "data": data,
            "watch_language": watch_language,
            "created_at": utcnow(),
        },
    )


def comment_event(
    db: Session,
    *,
    type: str,
    comment: Comment,
    article: Article | None = None,
    heard: bool | None = None,
    watch_language: str | None = None,
) -> None:
    """Record that ``comment`` was created, approved, rejected, deleted, edited or reported.

    ``heard``: what ``listening`` answered moments ago, when the caller asked it before its
    write transaction (a post reads everything it can first; see ``comments.posting.post``).
    ``watch_language``: the new comment's author asked to hear of replies, in this language.
    """
    if not (listening(db) if heard is None else heard):
        return
    if article is None:
        article = db.get(Article, comment.article_id)
        assert article is not None
    _record(
        db,
        type=type,
        data={"comment": comment_json(comment), "article": article_json(article)},
        comment_id=comment.id,
        article_id=article.id,
        watch_language=watch_language,
    )


def forget(db: Session, *, comments: list[Comment]) -> None:
    """After an erasure: the events not yet sent of these comments carry them as they are now
    (wiped), not as they were when the events were written."""
    now_as = {comment.id: comment_json(comment) for comment in comments}
    if not now_as:
        return
    for event in db.scalars(select(OutboxEvent).where(OutboxEvent.comment_id.in_(now_as))):
        event.data = {**event.data, "comment": now_as[event.comment_id or 0]}
        event.watch_language = None


def article_event(db: Session, *, type: str, article: Article) -> None:
    """Record that an article's thread was opened or closed."""
    if not listening(db):
        return
    _record(db, type=type, data={"article": article_json(article)}, article_id=article.id)
