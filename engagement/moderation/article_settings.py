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


# Each setting: the article's column that stores it.
_COLUMNS = {"moderation": "moderation", "commenting": "commenting", "open": "comments_open"}


def _action(name: str, value: object) -> str:
    """The audit log's name for setting ``name`` to ``value``."""
    if name == "open":
        return "article.open" if value else "article.close"
    return f"article.{name}"


def change_article(
    db: Session,
    *,
    actor: Actor,
    article: Article,
    changes: ArticleChanges,
    reason: str | None = None,
) -> Article:
    """Apply the given settings in the order given, each logged on its own; a setting that is
    already so is neither changed nor logged."""
    for name, value in changes.items():
        column = _COLUMNS[name]
        if getattr(article, column) == value:
            continue
        before = article_state(article)
        change: dict[str, Any] = {column: value}
        articles.put(db, key=article.key, **change)
        record(
            db,
            actor=actor,
            action=_action(name, value),
            article_id=article.id,
            reason=reason,
            before=before,
            after=article_state(article),
        )
    return article


def set_article_mode(
    db: Session,
    *,
    actor: Actor,
    article: Article,
    mode: ModerationMode | None,
    reason: str | None = None,
) -> Article:
    """Override the article's moderation mode (None: back to the site default)."""
    changes = ArticleChanges(moderation=mode)
    return change_article(db, actor=actor, article=article, changes=changes, reason=reason)


def set_article_commenting(
    db: Session,
    *,
    actor: Actor,
    article: Article,
    commenting: Commenting | None,
    reason: str | None = None,
) -> Article:
    """Say who may comment on the article (None: back to the site default)."""
    changes = ArticleChanges(commenting=commenting)
    return change_article(db, actor=actor, article=article, changes=changes, reason=reason)


def set_article_open(
    db: Session, *, actor: Actor, article: Article, open: bool, reason: str | None = None
) -> Article:
    """Open or close the article's thread to new comments."""
    changes = ArticleChanges(open=open)
    return change_article(db, actor=actor, article=article, changes=changes, reason=reason)


def find_articles(db: Session, *, search: str = "", limit: int = 50) -> list[Article]:
    """Articles whose key or title contains ``search``, newest first."""
    query = select(Article)
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            Article.key.ilike(pattern, escape="\\") | Article.title.ilike(pattern, escape="\\")
        )
    return list(db.scalars(query.order_by(Article.id.desc()).limit(limit)))
