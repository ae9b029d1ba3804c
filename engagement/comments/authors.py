"""The author's own edit and delete: by the edit secret given once at posting, or as the
signed-in reader who wrote the comment, while the edit window is open."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from engagement import sanitize
from engagement.abuse import spam
from engagement.articles import service as articles
from engagement.comments import service
from engagement.comments.settings import Settings
from engagement.identity.sessions import ReaderSession
from engagement.models import Article, Comment, CommentStatus, ModerationMode, utcnow
from engagement.refusals import NotAllowed

EDIT_TOKEN_BYTES = 32  # 256 random bits


@dataclass(frozen=True)
class Claim:
    """What a request offers as proof that it comes from a comment's author."""

    token: str | None = None  # the edit secret the post answered (``X-Edit-Token``)
    reader: ReaderSession | None = None  # the signed-in reader's session, on any device


def new_edit_token() -> tuple[str, str]:
    """A fresh edit secret, shown to the author once, and the hash stored in its place."""
    token = secrets.token_urlsafe(EDIT_TOKEN_BYTES)
    return token, _token_hash(token)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def is_own(comment: Comment, reader: ReaderSession | None) -> bool:
    """Whether the signed-in reader wrote this comment."""
    return (
        reader is not None
        and comment.author_subject is not None
        and hmac.compare_digest(comment.author_subject.encode(), reader.subject.encode())
    )


def check_author(
    comment: Comment, *, claim: Claim, edit_window: timedelta, now: datetime | None = None
) -> None:
    """Refuse unless the ``claim`` proves the comment's author (its edit secret, or the
    signed-in reader who wrote it) and the ``edit_window`` is still open."""
    if comment.deleted_at is not None:
        raise service.not_found(comment.id)
    stored, token = comment.edit_token_hash, claim.token
    if is_own(comment, claim.reader):
        pass
    elif not token or stored is None or not hmac.compare_digest(_token_hash(token), stored):
        raise NotAllowed(
            "invalid_edit_token", "Only the comment's author can change it.", "X-Edit-Token"
        )
    removed = comment.status is CommentStatus.REJECTED or (
        comment.status is CommentStatus.SPAM and not service.filed_by_screening(comment)
    )
    if removed:
        raise NotAllowed("not_editable", "This comment was removed by a moderator.")
    if (now or utcnow()) >= comment.created_at + edit_window:
        raise NotAllowed("edit_window_closed", "The time to edit or delete this comment is over.")


def edit_by_author(
    db: Session,
    *,
    comment: Comment,
    claim: Claim,
    text: str,
    settings: Settings,
    address: str | None = None,
    now: datetime | None = None,
) -> None:
    """The author's edit, screened like a new comment; under pre-moderation it goes back to
    the queue. An edit can hold or file away a visible comment, never release a held one.
    ``address`` (the client's IP) is screened against network bans."""
    check_author(comment, claim=claim, edit_window=settings.edit_window, now=now)
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
    screening = spam.screen(
        db, post=post, settings=settings.spam, now=now, exclude_comment_id=comment.id
    )
    mode = articles.moderation_mode(article, default=settings.articles.moderation)
    held = mode is ModerationMode.PRE or screening.verdict is spam.Verdict.PENDING

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

    service.change(db, comment, mutate)


def delete_by_author(
    db: Session,
    *,
    comment: Comment,
    claim: Claim,
    edit_window: timedelta,
    now: datetime | None = None,
) -> None:
    """The author's delete."""
    check_author(comment, claim=claim, edit_window=edit_window, now=now)
    service.delete(db, comment=comment, now=now)
