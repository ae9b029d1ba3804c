"""Articles, their views, comments, likes and reports."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    column,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from engagement.db import Base
from engagement.models.columns import (
    KEY_MAX,
    Commenting,
    CommentStatus,
    ModerationMode,
    ReportReason,
    Timestamp,
    digest_of,
    stored_enum,
    utcnow,
)


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_MAX), unique=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    url: Mapped[str | None] = mapped_column(String(2000))
    published_at: Mapped[datetime | None] = mapped_column(Timestamp)
    comments_open: Mapped[bool] = mapped_column(Boolean, default=True)
    # None: the site default (ENGAGEMENT_MODERATION) applies.
    moderation: Mapped[ModerationMode | None] = mapped_column(stored_enum(ModerationMode))
    # None: the site default (ENGAGEMENT_COMMENTING) applies.
    commenting: Mapped[Commenting | None] = mapped_column(stored_enum(Commenting))
    # "es", "en" or None (unknown): the stemming its comments are searched with.
    language: Mapped[str | None] = mapped_column(String(8))
    view_count: Mapped[int] = mapped_column(BigInteger, default=0)
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    # Bumped by every change that alters what the thread shows; keys the thread answer cache.
    thread_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)


class DailyViews(Base):
    __tablename__ = "daily_views"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    views: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_daily_views_day", "day"),)


class ViewMark(Base):
    """The last counted view of one visitor on one article, for de-duplication."""

    __tablename__ = "view_marks"

    # No foreign key: the view finds the article by key in the same statement, and checking
    # it again for every new mark cost a lookup (on PostgreSQL a row lock) per counted view.
    article_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # HMAC of the request's client traits under a secret that rotates daily.
    visitor: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(Timestamp)

    # A counted view writes one b-tree page here: no rowid and no index beyond the key.
    # Pruning by seen_at scans the table, which holds about one window's visitors.
    __table_args__ = {"sqlite_with_rowid": False}


# What an erased comment's visitor and avatar become (``engagement commenter erase``). No hash
# is ever this word, so it also marks the comment as erased.
ERASED = "erased"


# What the migrations build for comment search beside the tables below (0010): PostgreSQL's
# ``comments.search_vector`` with its GIN index and the index of lower-cased author names,
# SQLite's FTS5 table and its shadow tables.
# Triggers keep them; no model reads or writes them directly.
SEARCH_SCHEMA = frozenset(
    {"search_vector", "ix_comments_search_vector", "ix_comments_author_name_lower"}
)
SEARCH_TABLES_PREFIX = "comments_search"

_IS_REPLY = column("parent_id").is_not(None)
_NOT_DELETED = column("deleted_at").is_(None)


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    status: Mapped[CommentStatus] = mapped_column(
        stored_enum(CommentStatus), default=CommentStatus.APPROVED
    )
    text: Mapped[str] = mapped_column(Text)
    # Digest of ``text``, kept by ``_digest``: finds identical texts through an index.
    text_digest: Mapped[str | None] = mapped_column(String(32))
    html: Mapped[str] = mapped_column(Text)
    author_name: Mapped[str | None] = mapped_column(String(100))
    author_email: Mapped[str | None] = mapped_column(String(254))
    author_website: Mapped[str | None] = mapped_column(String(500))
    # The magazine's reader id of a signed-in (SSO) author; None for guests and staff replies.
    author_subject: Mapped[str | None] = mapped_column(String(200))
    # Written by the newsroom: a signed-in reader with the `staff` role, or a moderator's reply.
    author_staff: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Hash of the normalized email (or of the visitor) for a locally generated avatar.
    avatar: Mapped[str] = mapped_column(String(64))
    # The https picture the magazine gave a signed-in author, shown instead of ``avatar``.
    author_avatar_url: Mapped[str | None] = mapped_column(String(500))
    # Stable per-poster hash (not rotated): likes, duplicate detection, bans, author history.
    visitor: Mapped[str] = mapped_column(String(64))
    edit_token_hash: Mapped[str | None] = mapped_column(String(64))
    likes: Mapped[int] = mapped_column(Integer, default=0)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    spam_reasons: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(Timestamp)
    deleted_at: Mapped[datetime | None] = mapped_column(Timestamp)
    moderated_at: Mapped[datetime | None] = mapped_column(Timestamp)

    article: Mapped[Article] = relationship(lazy="raise")

    __table_args__ = (
        Index("ix_comments_article_id_created_at", "article_id", "created_at"),
        # Replies only: SQLite's statistics count each NULL as a value of its own, so with
        # top-level comments in it, its planner took ``parent_id IS NULL`` for a rare value and
        # read a thread page through this index instead of the sort's.
        Index(
            "ix_comments_parent_id", "parent_id", sqlite_where=_IS_REPLY, postgresql_where=_IS_REPLY
        ),
        # The moderation queues, oldest first, and their sizes: a queue's count reads this
        # index alone, never the rows (the spam queue holds every spam comment ever caught).
        Index(
            "ix_comments_queues",
            "status",
            "created_at",
            "id",
            sqlite_where=_NOT_DELETED,
            postgresql_where=_NOT_DELETED,
        ),
        Index("ix_comments_visitor", "visitor"),
        Index("ix_comments_author_email", "author_email"),
        Index("ix_comments_author_subject", "author_subject"),
        Index("ix_comments_text_digest_created_at", "text_digest", "created_at"),
        # Search pages newest first: a frequent word is found by walking this index.
        Index("ix_comments_created_at_id", "created_at", "id"),
    )

    @validates("text")
    def _digest(self, _key: str, text: str) -> str:
        self.text_digest = digest_of(text)
        return text

    @property
    def erased(self) -> bool:
        """Whether the comment was erased at its author's request: it can never come back."""
        return self.visitor == ERASED

    @property
    def visible(self) -> bool:
        """Whether readers see this comment (and it counts in ``comment_count``)."""
        return self.status is CommentStatus.APPROVED and self.deleted_at is None


# A thread page walks one of these in its sort's order, from where the previous page ended: top-
# level comments only (replies are found through ``parent_id``), pinned ones first. ``top``
# orders by ``-likes`` so that its keys after ``pinned`` all ascend: one row comparison
# (``(-likes, created_at, id) > (...)``) then bounds the scan, as it does for the other sorts.
_TOP_LEVEL = Comment.parent_id.is_(None)
Index(
    "ix_comments_thread_oldest",
    Comment.article_id,
    Comment.pinned.desc(),
    Comment.created_at,
    Comment.id,
    postgresql_where=_TOP_LEVEL,
    sqlite_where=_TOP_LEVEL,
)
Index(
    "ix_comments_thread_newest",
    Comment.article_id,
    Comment.pinned.desc(),
    Comment.created_at.desc(),
    Comment.id.desc(),
    postgresql_where=_TOP_LEVEL,
    sqlite_where=_TOP_LEVEL,
)
Index(
    "ix_comments_thread_top",
    Comment.article_id,
    Comment.pinned.desc(),
    -Comment.likes,
    Comment.created_at,
    Comment.id,
    postgresql_where=_TOP_LEVEL,
    sqlite_where=_TOP_LEVEL,
)


class CommentLike(Base):
    __tablename__ = "comment_likes"

    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True
    )
    visitor: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class Report(Base):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    visitor: Mapped[str] = mapped_column(String(64))
    # Keyed hash of the reporter's network (IPv4 address, IPv6 /64): one network's reports count
    # once toward the threshold, whatever user agents it reports under.
    network: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[ReportReason] = mapped_column(stored_enum(ReportReason))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    # Set when a moderator acts on the comment; resolved reports leave the reported queue.
    resolved_at: Mapped[datetime | None] = mapped_column(Timestamp)

    __table_args__ = (UniqueConstraint("comment_id", "visitor"),)
