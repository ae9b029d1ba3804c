"""The latest approved comments as an Atom document (feedgen builds and serialises it).

A feed carries only what readers already see in a thread: the author's name, the sanitized
HTML, the time, and the article. Never an email, a visitor hash, an avatar hash or a status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator  # type: ignore[import-untyped]
from sqlalchemy import select
from sqlalchemy.orm import Session

from engagement.models import ERASED, Article, Comment, CommentStatus

FEED_SIZE = 50


@dataclass(frozen=True)
class FeedComment:
    id: int
    author_name: str | None
    html: str
    created_at: datetime
    edited_at: datetime | None
    article_key: str
    article_title: str
    article_url: str | None


def latest(
    db: Session, *, article_id: int | None = None, limit: int = FEED_SIZE
) -> list[FeedComment]:
    """The newest comments readers can see (of one article, or of all), newest first."""
    query = (
        select(
            Comment.id,
            Comment.author_name,
            Comment.html,
            Comment.created_at,
            Comment.edited_at,
            Article.key,
            Article.title,
            Article.url,
        )
        .join(Article, Article.id == Comment.article_id)
        .where(
            Comment.status == CommentStatus.APPROVED,
            Comment.deleted_at.is_(None),
            Comment.visitor != ERASED,
        )
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(limit)
    )
    if article_id is not None:
        query = query.where(Comment.article_id == article_id)
    return [FeedComment(*row) for row in db.execute(query)]


def _tag(host: str, kind: str, ident: str) -> str:
    # RFC 4151 tag URIs: stable ids that do not depend on where the feed is fetched from.
    return f"tag:{host},2026:{kind}/{ident}"


def atom(
    comments: list[FeedComment],
    *,
    title: str,
    self_url: str,
    home_url: str,
    feed_key: str,
    updated: datetime,
) -> bytes:
    """An Atom 1.0 document of ``comments``; ``updated`` when there is no comment to date it."""
    host = urlsplit(self_url).hostname or "localhost"
    feed = FeedGenerator()
    feed.id(_tag(host, "feeds", feed_key))
    feed.title(title)
    feed.link(href=self_url, rel="self", type="application/atom+xml")
    feed.link(href=home_url, rel="alternate")
    feed.generator("engagement")
    feed.updated(max((c.edited_at or c.created_at for c in comments), default=updated))
    for comment in reversed(comments):  # feedgen prepends each entry: add oldest first
        entry = feed.add_entry()
        entry.id(_tag(host, "comments", str(comment.id)))
        author = comment.author_name or "Anonymous"
        entry.title(f"{author} on {comment.article_title or comment.article_key}")
        entry.author(name=author)
        entry.content(comment.html, type="html")
        entry.published(comment.created_at)
        entry.updated(comment.edited_at or comment.created_at)
        if comment.article_url:
            entry.link(href=f"{comment.article_url}#eg-comment-{comment.id}", rel="alternate")
    document: bytes = feed.atom_str(pretty=False)
    return document
