"""An article's moderation settings: its moderation mode, who may comment, whether its thread is
open. Each change is logged; one that changes nothing is neither made nor logged."""

from __future__ import annotations

from typing import Any, TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from engagement.articles import service as articles
from engagement.models import Article, Commenting, ModerationMode
from engagement.moderation.audit import Actor, record


class ArticleChanges(TypedDict, total=False):
    """The settings to change; an absent key keeps its value, None returns to the site's."""

    moderation: ModerationMode | None
    commenting: Commenting | None
    open: bool


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


def change_article(
    db: Session,
    *,
    actor: Actor,
    article: Article,
    changes: ArticleChanges,
    reason: str | None = None,
) -> Article:
    """Apply the given settings in turn (mode, who may comment, open), each logged on its own."""
    if "moderation" in changes:
        set_article_mode(
            db, actor=actor, article=article, mode=changes["moderation"], reason=reason
        )
    if "commenting" in changes:
        set_article_commenting(
            db, actor=actor, article=article, commenting=changes["commenting"], reason=reason
        )
    if "open" in changes:
        set_article_open(db, actor=actor, article=article, open=changes["open"], reason=reason)
    return article


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


def find_articles(db: Session, *, search: str = "", limit: int = 50) -> list[Article]:
    """Articles whose key or title contains ``search``, newest first."""
    query = select(Article)
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            Article.key.ilike(pattern, escape="\\") | Article.title.ilike(pattern, escape="\\")
        )
    return list(db.scalars(query.order_by(Article.id.desc()).limit(limit)))
