"""A commenter's own data, found by their email address: exported on request, erased on
request.

Addresses are matched as the comment form stores them: trimmed and lower-cased, so
``Ada@Example.org`` finds what ``ada@example.org`` wrote.

Erasing deletes every comment of that address and wipes what it held about its author: text,
rendered HTML, name, email, website, visitor hash, avatar and edit secret. Each comment is
deleted through the comments service, so ``comment_count`` drops by the visible ones, and a
comment that other readers answered stays in the thread as the placeholder any deleted comment
leaves, their replies in place. Texts quoted in the audit log's entries about those comments
(moderators' edits) are wiped too. Bans of the address are kept: they exist to keep an
abuser out, and are listed in the export so the person can see them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engagement.abuse import bans
from engagement.comments import inputs
from engagement.comments import service as comments
from engagement.errors import ApiError
from engagement.models import (
    ERASED,
    Article,
    Ban,
    BanKind,
    Comment,
    ModerationAction,
    Report,
    utcnow,
)
from engagement.moderation import audit
from engagement.moderation.audit import Actor
from engagement.portability import erasures
from engagement.portability.export import iso

FORMAT = "engagement-commenter"
VERSION = 1


class NotAnEmail(ValueError):
    """What was given is not an email address."""


def normalized(email: str) -> str:
    """The address as comments store it, or NotAnEmail."""
    try:
        found = inputs.email(email)
    except ApiError:
        found = None
    if found is None:
        raise NotAnEmail(f"{email!r} is not an email address")
    return found


def comments_of(db: Session, *, email: str) -> list[tuple[Comment, Article]]:
    """Every comment written with this address (normalized), oldest first, with its article."""
    rows = db.execute(
        select(Comment, Article)
        .join(Article, Article.id == Comment.article_id)
        .where(Comment.author_email == normalized(email))
        .order_by(Comment.created_at, Comment.id)
    )
    return [(comment, article) for comment, article in rows]


def _bans_of(db: Session, email: str) -> list[Ban]:
    query = select(Ban).where(Ban.kind == BanKind.EMAIL, Ban.value == normalized(email))
    return list(db.scalars(query.order_by(Ban.id)))


def export(db: Session, *, email: str, now: datetime | None = None) -> dict[str, Any]:
    """Everything held about the person with this address, as a JSON document."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": iso(now or utcnow()),
        "email": normalized(email),
        "comments": [
            {
                "id": comment.id,
                "article": article.key,
                "article_title": article.title,
                "article_url": article.url,
                "parent_id": comment.parent_id,
                "status": comment.status.value,
                "deleted": comment.deleted_at is not None,
                "text": comment.text,
                "html": comment.html,
                "author_name": comment.author_name,
                "author_email": comment.author_email,
                "author_website": comment.author_website,
                "likes": comment.likes,
                "pinned": comment.pinned,
                "created_at": iso(comment.created_at),
                "edited_at": iso(comment.edited_at),
                "deleted_at": iso(comment.deleted_at),
            }
            for comment, article in comments_of(db, email=email)
        ],
        "bans": [bans.as_json(ban, now=now) for ban in _bans_of(db, email)],
    }


@dataclass(frozen=True)
class Erasure:
    comments: int
    bans_kept: int


def _wipe(comment: Comment) -> None:
    comment.text = ""
    comment.html = ""
    comment.author_name = None
    comment.author_email = None
    comment.author_website = None
    comment.visitor = ERASED
    comment.avatar = ERASED
    comment.edit_token_hash = None
    comment.spam_reasons = None


def _wipe_quoted_texts(db: Session, comment_ids: list[int]) -> None:
    """Wipe what others wrote that may quote the erased comments: readers' report notes and
    the texts the audit log kept of moderators' edits (their reasons stay: they are the
    moderators' own account)."""
    for report in db.scalars(select(Report).where(Report.comment_id.in_(comment_ids))):
        report.note = None
    entries = db.scalars(
        select(ModerationAction).where(ModerationAction.comment_id.in_(comment_ids))
    )
    for entry in entries:
        for side in ("before", "after"):
            state = getattr(entry, side)
            if state and "text" in state:
                # A new dict: the JSON column only notices assignment, not mutation.
                setattr(entry, side, {**state, "text": ERASED})


def erase(db: Session, *, email: str, actor: Actor, now: datetime | None = None) -> Erasure:
    """Delete the comments of this address and wipe its personal data; writes one audit entry
    naming the person only by ``erasures.email_digest``. The caller commits."""
    address = normalized(email)
    found = [comment for comment, _ in comments_of(db, email=address)]
    for comment in found:
        comments.delete(db, comment=comment, now=now)
        _wipe(comment)
    db.flush()
    ids = [comment.id for comment in found]
    if ids:
        _wipe_quoted_texts(db, ids)
    kept = [ban for ban in _bans_of(db, address) if bans.is_active(ban, now=now)]
    audit.record(
        db,
        actor=actor,
        action=erasures.ACTION,
        after={
            "commenter": erasures.email_digest(address),
            "comments": ids,
            "bans_kept": len(kept),
        },
    )
    return Erasure(comments=len(ids), bans_kept=len(kept))
