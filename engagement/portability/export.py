"""The export of everything, as one JSON document written piece by piece.

Shape (version 1; ``native.read`` imports it back)::

    {"format": "engagement-export", "version": 1, "exported_at": "<ISO 8601>",
     "articles": [{"key", "title", "url", "published_at", "comments_open", "moderation",
                   "views", "created_at", "daily_views": [{"day", "views"}],
                   "comments": [{"id", "parent_id", "status", "deleted_at", "text",
                                 "author_name", "author_email", "author_website", "visitor",
                                 "likes", "pinned", "spam_reasons", "created_at", "edited_at",
                                 "moderated_at", "reports": [{"reason", "note", "visitor",
                                 "network", "created_at", "resolved_at"}]}]}],
     "bans": [{"kind", "value", "reason", "created_at", "expires_at", "created_by",
               "revoked_at"}],
     "erasures_key": "<hex>", "erased_commenters": ["<hex>", ...],
     "audit_log": [{"id", "actor", "action", "comment_id", "article", "reason", "before",
                    "after", "created_at"}]}

Comments are flat, parents first, ``parent_id`` naming another comment's ``id`` in the file.
``erased_commenters`` are the keyed hashes (``erasures.email_digest``) of the commenters erased
at their request, and ``erasures_key`` names the key they were made with: an import under the
same key keeps those commenters out for good.
Never written: moderator accounts and their password hashes, API tokens and their hashes,
edit-secret hashes, likes by visitor (each comment keeps its count), view de-duplication
marks, and any setting (the secret key included).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engagement.models import Article, Ban, Comment, DailyViews, ModerationAction, Report, utcnow
from engagement.portability import erasures

FORMAT = "engagement-export"
VERSION = 1
_AUDIT_BATCH = 1000


def iso(moment: datetime | None) -> str | None:
    """A time as the export writes it (ISO 8601), or None."""
    return moment.isoformat() if moment is not None else None


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def comment_json(comment: Comment, reports: list[Report]) -> dict[str, Any]:
    """One comment as the export writes it."""
    return {
        "id": comment.id,
        "parent_id": comment.parent_id,
        "status": comment.status.value,
        "deleted_at": iso(comment.deleted_at),
        "text": comment.text,
        "author_name": comment.author_name,
        "author_email": comment.author_email,
        "author_website": comment.author_website,
        "visitor": comment.visitor,
        "likes": comment.likes,
        "pinned": comment.pinned,
        "spam_reasons": comment.spam_reasons,
        "created_at": iso(comment.created_at),
        "edited_at": iso(comment.edited_at),
        "moderated_at": iso(comment.moderated_at),
        "reports": [
            {
                "reason": report.reason.value,
                "note": report.note,
                "visitor": report.visitor,
                "network": report.network,
                "created_at": iso(report.created_at),
                "resolved_at": iso(report.resolved_at),
            }
            for report in reports
        ],
    }


def article_json(db: Session, article: Article) -> dict[str, Any]:
    """One article with its daily views and its comments, parents first."""
    rows = db.scalars(
        select(Comment).where(Comment.article_id == article.id).order_by(Comment.id)
    ).all()
    reports: dict[int, list[Report]] = {}
    for report in db.scalars(
        select(Report)
        .join(Comment, Comment.id == Report.comment_id)
        .where(Comment.article_id == article.id)
        .order_by(Report.id)
    ):
        reports.setdefault(report.comment_id, []).append(report)
    days = db.scalars(
        select(DailyViews).where(DailyViews.article_id == article.id).order_by(DailyViews.day)
    )
    return {
        "key": article.key,
        "title": article.title,
        "url": article.url,
        "published_at": iso(article.published_at),
        "comments_open": article.comments_open,
        "moderation": article.moderation.value if article.moderation else None,
        "views": article.view_count,
        "created_at": iso(article.created_at),
        "daily_views": [{"day": day.day.isoformat(), "views": day.views} for day in days],
        # Ids grow with time and a reply is always younger than its parent: parents first.
        "comments": [comment_json(row, reports.get(row.id, [])) for row in rows],
    }


def ban_json(ban: Ban) -> dict[str, Any]:
    return {
        "kind": ban.kind.value,
        "value": ban.value,
        "reason": ban.reason,
        "created_at": iso(ban.created_at),
        "expires_at": iso(ban.expires_at),
        "created_by": ban.created_by,
        "revoked_at": iso(ban.revoked_at),
    }


def _audit_entries(db: Session) -> Iterator[dict[str, Any]]:
    after = 0
    while True:
        batch = db.execute(
            select(ModerationAction, Article.key)
            .outerjoin(Article, Article.id == ModerationAction.article_id)
            .where(ModerationAction.id > after)
            .order_by(ModerationAction.id)
            .limit(_AUDIT_BATCH)
        ).all()
        for entry, key in batch:
            yield {
                "id": entry.id,
                "actor": entry.actor,
                "action": entry.action,
                "comment_id": entry.comment_id,
                "article": key,
                "reason": entry.reason,
                "before": entry.before,
                "after": entry.after,
                "created_at": iso(entry.created_at),
            }
        if len(batch) < _AUDIT_BATCH:
            return
        after = batch[-1][0].id
        db.expunge_all()


def article_count(db: Session) -> int:
    """How many articles an export will write (for a progress bar)."""
    return db.scalar(select(func.count()).select_from(Article)) or 0


def document(
    db: Session, *, now: datetime | None = None, on_article: Callable[[], None] | None = None
) -> Iterator[str]:
    """The export, in pieces to write one after the other; one article in memory at a time.
    ``on_article`` is called after each article."""
    header = {"format": FORMAT, "version": VERSION, "exported_at": iso(now or utcnow())}
    yield _dump(header)[:-1] + ',\n"articles":['
    ids = db.scalars(select(Article.id).order_by(Article.id)).all()
    for index, article_id in enumerate(ids):
        article = db.get(Article, article_id)
        assert article is not None
        yield ("\n" if index == 0 else ",\n") + _dump(article_json(db, article))
        db.expunge_all()  # the session would otherwise keep every row ever exported
        if on_article is not None:
            on_article()
    yield '\n],\n"bans":['
    bans = db.scalars(select(Ban).order_by(Ban.id)).all()
    yield ",".join("\n" + _dump(ban_json(ban)) for ban in bans)
    yield '\n],\n"erasures_key":' + _dump(erasures.erasures_key())
    yield ',\n"erased_commenters":' + _dump(erasures.erased_digests(db))
    yield ',\n"audit_log":['
    for index, entry in enumerate(_audit_entries(db)):
        yield ("\n" if index == 0 else ",\n") + _dump(entry)
    yield "\n]}\n"
