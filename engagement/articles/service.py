"""Articles: registering them, finding them, deciding whether their thread is open.

An article is registered by the CMS (``put``), or by its first use from a page of the magazine
(a view, a comment: ``for_first_use`` then ``register``). What the site's settings say about
every article (its defaults, what its answer tells the widget) comes in as ``Settings``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from engagement import db as database
from engagement.db import RawConnection
from engagement.models import Article, Commenting, ModerationMode, utcnow
from engagement.notifications import events
from engagement.refusals import NotFound

_UNSET: Any = object()


@dataclass(frozen=True, slots=True)
class ArticleRow:
    """An article's columns, read-only, without an ORM object: a thread read builds one per
    request, at a tenth of an ``Article``'s cost."""

    id: int
    key: str
    title: str
    url: str | None
    published_at: datetime | None
    comments_open: bool
    moderation: ModerationMode | None
    commenting: Commenting | None
    language: str | None
    view_count: int
    comment_count: int
    thread_version: int


@dataclass(frozen=True, slots=True)
class Settings:
    """The site's settings for every article: the defaults an article may override, and what
    an article's answer tells the widget about commenting."""

    moderation: ModerationMode  # ENGAGEMENT_MODERATION
    commenting: Commenting  # ENGAGEMENT_COMMENTING
    close_after_days: int  # ENGAGEMENT_CLOSE_AFTER_DAYS; 0: threads never close by age
    login_url: str | None  # ENGAGEMENT_SSO_LOGIN_URL
    edit_window_minutes: int  # ENGAGEMENT_COMMENT_EDIT_WINDOW_MINUTES
    reply_notifications: bool  # a mail server is configured (ENGAGEMENT_SMTP_HOST)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """The settings as the application's configuration gives them."""
        return cls(
            moderation=ModerationMode(config["MODERATION"]),
            commenting=Commenting(config["COMMENTING"]),
            close_after_days=config["CLOSE_AFTER_DAYS"],
            login_url=config["SSO_LOGIN_URL"] or None,
            edit_window_minutes=config["COMMENT_EDIT_WINDOW_MINUTES"],
            reply_notifications=bool(config["SMTP_HOST"]),
        )


@dataclass(frozen=True, slots=True)
class Hints:
    """What a magazine page says about its article, used only when its first use (a view, a
    comment) registers it."""

    title: str = ""
    url: str | None = None
    language: str | None = None


def language_of(tag: object) -> str | None:
    """The search language of a page's language tag: "es", "en", or None for any other."""
    if not isinstance(tag, str):
        return None
    primary = tag.split("-")[0].lower()
    return primary if primary in ("es", "en") else None


_ZERO = (0, 0)


# Built once: statements every post or moderation request runs.
_BY_KEY = select(Article).where(Article.key == bindparam("key"))
_BUMP_THREAD = (
    update(Article)
    .where(Article.id == bindparam("article_id"))
    .values(
        comment_count=Article.comment_count + bindparam("count_delta"),
        thread_version=Article.thread_version + 1,
    )
    .execution_options(synchronize_session=False)
)


def get(db: Session, *, key: str) -> Article | None:
    """The article with this key, or None."""
    return db.scalar(_BY_KEY, {"key": key})


def not_found(key: str) -> NotFound:
    """The refusal for an article key nobody registered."""
    return NotFound("article_not_found", f"No article with key {key!r}.", "key")


def _unregistered(key: str) -> Article:
    return Article(
        key=key,
        title="",
        url=None,
        published_at=None,
        comments_open=True,
        moderation=None,
        view_count=0,
        comment_count=0,
        thread_version=0,
    )


def require(db: Session, *, key: str) -> Article:
    """The article with this key; ``article_not_found`` for an unknown key."""
    article = get(db, key=key)
    if article is None:
        raise not_found(key)
    return article


def get_or_create(
    db: Session,
    *,
    key: str,
    title: str = "",
    url: str | None = None,
    language: str | None = None,
) -> Article:
    """The article with this key, created (race-free) if it does not exist yet."""
    insert = database.insert(db)
    db.execute(
        insert(Article)
        .values(
            key=key,
            title=title,
            url=url,
            language=language,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["key"])
    )
    article = get(db, key=key)
    assert article is not None
    return article


def for_first_use(db: Session, *, key: str, allowed_origin: bool) -> Article:
    """The article with this key for a view or a comment; one nobody registered yet is given
    as that first use will register it (open, the site's defaults) but not stored, so what
    uses it is checked before anything is written (``register`` stores it).

    Only a page of the magazine registers an article: an unknown key is ``article_not_found``
    unless the request comes from an allowed origin.
    """
    article = get(db, key=key)
    if article is not None:
        return article
    if not allowed_origin:
        raise not_found(key)
    return _unregistered(key)


def register(db: Session, *, article: Article, hints: Hints) -> Article:
    """Store an article ``for_first_use`` gave unstored (race-free), described by its page's
    ``hints``; a stored article is returned as it is."""
    if article.id is not None:
        return article
    return get_or_create(
        db, key=article.key, title=hints.title, url=hints.url, language=hints.language
    )


def put(
    db: Session,
    *,
    key: str,
    title: str | None = None,
    url: str | None = _UNSET,
    published_at: datetime | None = _UNSET,
    comments_open: bool | None = None,
    moderation: ModerationMode | None = _UNSET,
    commenting: Commenting | None = _UNSET,
    language: str | None = _UNSET,
) -> tuple[Article, bool]:
    """Register or update an article; returns it and whether it was created."""
    existing = get(db, key=key)
    article = existing or get_or_create(db, key=key)
    was_open = article.comments_open
    if title is not None:
        article.title = title
    if url is not _UNSET:
        article.url = url
    if published_at is not _UNSET:
        article.published_at = published_at.astimezone(UTC) if published_at else None
    if comments_open is not None:
        article.comments_open = comments_open
    if moderation is not _UNSET:
        article.moderation = moderation
    if commenting is not _UNSET:
        article.commenting = commenting
    if language is not _UNSET:
        article.language = language
    bump_thread(db, article_id=article.id)
    db.flush()
    if article.comments_open != was_open:
        opened = events.ARTICLE_OPENED if article.comments_open else events.ARTICLE_CLOSED
        events.article_event(db, type=opened, article=article)
    return article, existing is None


def bump_thread(db: Session, *, article_id: int, count_delta: int = 0) -> None:
    """Mark the article's thread as changed, so cached answers for it are not served again,
    and move its comment counter by ``count_delta``: one statement, so both move together."""
    db.execute(_BUMP_THREAD, {"article_id": article_id, "count_delta": count_delta})


def is_open(
    article: Article | ArticleRow, *, close_after_days: int, now: datetime | None = None
) -> bool:
    """Whether the thread accepts new comments: not closed by an editor, nor by age
    (``close_after_days`` after publication; 0: never)."""
    if not article.comments_open:
        return False
    if close_after_days and article.published_at is not None:
        return (now or utcnow()) < article.published_at + timedelta(days=close_after_days)
    return True


def moderation_mode(article: Article | ArticleRow, *, default: ModerationMode) -> ModerationMode:
    """The mode that applies to the article: its own override, else the site's ``default``."""
    return article.moderation or default


def commenting(article: Article | ArticleRow, *, default: Commenting) -> Commenting:
    """Who may comment on the article: its own rule, else the site's ``default``."""
    return article.commenting or default


def counters_for(conn: RawConnection, *, keys: Iterable[str]) -> dict[str, tuple[int, int]]:
    """``(comments, views)`` for each key, in one query; unknown keys read as zero."""
    wanted = list(dict.fromkeys(keys))
    if conn.postgres:
        sql = "SELECT key, comment_count, view_count FROM articles WHERE key = ANY(%(keys)s)"
        rows = conn.execute(sql, {"keys": wanted}).fetchall()
    else:
        placeholders = ",".join("?" * len(wanted))
        sql = f"SELECT key, comment_count, view_count FROM articles WHERE key IN ({placeholders})"
        rows = conn.execute(sql, wanted).fetchall()
    # Plain tuples: a page asks for dozens of articles on every load.
    found = {key: (comments, views) for key, comments, views in rows}
    return {key: found.get(key, _ZERO) for key in wanted}


def as_json(article: Article | ArticleRow, *, settings: Settings) -> dict[str, Any]:
    """The public representation of an article (``schemas.Article``)."""
    return {
        "key": article.key,
        "title": article.title,
        "url": article.url,
        "published_at": article.published_at.isoformat() if article.published_at else None,
        "comments": article.comment_count,
        "views": article.view_count,
        "open": is_open(article, close_after_days=settings.close_after_days),
        "moderation": moderation_mode(article, default=settings.moderation).value,
        "commenting": commenting(article, default=settings.commenting).value,
        "login_url": settings.login_url,
        "edit_window_minutes": settings.edit_window_minutes,
        "reply_notifications": settings.reply_notifications,
        "language": article.language,
    }
