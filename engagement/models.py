"""Every table of the service, typed. The schema itself lives in ``migrations/``."""

from __future__ import annotations

import enum
import hashlib
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    column,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from engagement.db import Base

KEY_MAX = 200


def utcnow() -> datetime:
    """Now, timezone-aware UTC."""
    return datetime.now(UTC)


def digest_of(text: str) -> str:
    """A comment text's digest (``Comment.text_digest``): equal texts, equal digests."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _enum(cls: type[enum.Enum], length: int = 20) -> Enum:
    # Stored by value as plain strings: readable in SQL, no native PostgreSQL ENUM to migrate.
    return Enum(
        cls,
        values_callable=lambda members: [member.value for member in members],
        native_enum=False,
        create_constraint=False,
        length=length,
        validate_strings=True,
    )


class ModerationMode(enum.StrEnum):
    POST = "post"
    PRE = "pre"
    FIRST_TIME = "first-time"


class CommentStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SPAM = "spam"


class ReportReason(enum.StrEnum):
    SPAM = "spam"
    ABUSE = "abuse"
    OFF_TOPIC = "off-topic"
    OTHER = "other"


class Role(enum.StrEnum):
    MODERATOR = "moderator"
    ADMIN = "admin"


class TokenScope(enum.StrEnum):
    """What an API token may do; a token holds one or more."""

    ARTICLES = "articles"  # register and update articles, open and close their threads
    MODERATION = "moderation"  # the moderation API under /api/v1/moderation
    METRICS = "metrics"  # read /metrics


class Commenting(enum.StrEnum):
    """Who may comment on an article."""

    ANYONE = "anyone"
    SIGNED_IN = "signed-in"  # readers signed in through the magazine (SSO)
    SUBSCRIBERS = "subscribers"  # signed-in readers with the `subscriber` (or `staff`) role


class Trust(enum.StrEnum):
    """A moderator's mark on a verified commenter."""

    TRUSTED = "trusted"  # approved at once, whatever the moderation mode
    UNTRUSTED = "untrusted"  # always held for a moderator


class BanKind(enum.StrEnum):
    EMAIL = "email"
    VISITOR = "visitor"
    NETWORK = "network"
    NAME = "name"


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one (UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


Timestamp = UTCDateTime()


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_MAX), unique=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    url: Mapped[str | None] = mapped_column(String(2000))
    published_at: Mapped[datetime | None] = mapped_column(Timestamp)
    comments_open: Mapped[bool] = mapped_column(Boolean, default=True)
    # None: the site default (ENGAGEMENT_MODERATION) applies.
    moderation: Mapped[ModerationMode | None] = mapped_column(_enum(ModerationMode))
    # None: the site default (ENGAGEMENT_COMMENTING) applies.
    commenting: Mapped[Commenting | None] = mapped_column(_enum(Commenting))
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
        _enum(CommentStatus), default=CommentStatus.APPROVED
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
    reason: Mapped[ReportReason] = mapped_column(_enum(ReportReason))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    # Set when a moderator acts on the comment; resolved reports leave the reported queue.
    resolved_at: Mapped[datetime | None] = mapped_column(Timestamp)

    __table_args__ = (UniqueConstraint("comment_id", "visitor"),)


class Moderator(Base):
    __tablename__ = "moderators"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role), default=Role.MODERATOR)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(Timestamp)
    # Part of the session identity: bumping it (logout, password change) ends every session.
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # The name the moderator's replies appear under (the username when empty).
    display_name: Mapped[str | None] = mapped_column(String(100))
    # Base32 TOTP secret; set at enrolment, in force once ``totp_enabled_at`` is set.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # The last time step a code was accepted for: a code works once.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)


class RecoveryCode(Base):
    """A one-time code that stands in for a moderator's TOTP code; only its hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    moderator_id: Mapped[int] = mapped_column(ForeignKey("moderators.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(Timestamp)

    __table_args__ = (Index("ix_recovery_codes_moderator_id", "moderator_id"),)


class SiteSetting(Base):
    """A setting admins change from the moderation pages (not the environment)."""

    __tablename__ = "site_settings"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_by: Mapped[str | None] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class Reader(Base):
    """A reader the magazine signed in (SSO), by their subject: name, roles, trust."""

    __tablename__ = "readers"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str | None] = mapped_column(String(100))
    # The name case-folded: a guest may not post under it.
    name_key: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    staff: Mapped[bool] = mapped_column(Boolean, default=False)
    trust: Mapped[Trust | None] = mapped_column(_enum(Trust))
    trust_set_by: Mapped[str | None] = mapped_column(String(120))
    trust_set_at: Mapped[datetime | None] = mapped_column(Timestamp)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    __table_args__ = (Index("ix_readers_name_key", "name_key"),)


class UsedSignInToken(Base):
    """A sign-in token already exchanged, kept until it expires, so it cannot be replayed."""

    __tablename__ = "used_sign_in_tokens"

    # SHA-256 of the token's issuer and ``jti``.
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(Timestamp)

    __table_args__ = (Index("ix_used_sign_in_tokens_expires_at", "expires_at"),)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    # SHA-256 of the token; the token itself is shown once, at creation.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Space-separated TokenScope values, as in OAuth: "articles moderation".
    scopes: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderators.id", ondelete="SET NULL")
    )
    last_used_at: Mapped[datetime | None] = mapped_column(Timestamp)
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp)

    @property
    def scope_set(self) -> frozenset[TokenScope]:
        # A scope this version does not know (a newer one's, after a downgrade) grants nothing.
        known = {scope.value for scope in TokenScope}
        return frozenset(TokenScope(scope) for scope in self.scopes.split() if scope in known)

    def may(self, scope: TokenScope) -> bool:
        return scope in self.scope_set


class ModerationAction(Base):
    """The audit log: who did what to which comment or article, when and why."""

    __tablename__ = "moderation_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(120))
    moderator_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderators.id", ondelete="SET NULL")
    )
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="SET NULL"))
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(Text)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    __table_args__ = (
        Index("ix_moderation_actions_created_at", "created_at"),
        Index("ix_moderation_actions_comment_id", "comment_id"),
    )


class Ban(Base):
    __tablename__ = "bans"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[BanKind] = mapped_column(_enum(BanKind))
    # Normalized: lower-cased email, visitor hash, CIDR network, or case-folded name.
    value: Mapped[str] = mapped_column(String(254))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(Timestamp)
    created_by: Mapped[str | None] = mapped_column(String(120))
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp)

    __table_args__ = (Index("ix_bans_kind_value", "kind", "value"),)


# --- notifications and webhooks (engagement/notifications) ------------------------------------


class SubscriberState(enum.StrEnum):
    PENDING = "pending"  # asked; the confirmation mail is out; nothing else is ever sent
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up: retries exhausted, or refused for good
    DROPPED = "dropped"  # no longer wanted when its turn came (unsubscribed, reply removed)


class MailKind(enum.StrEnum):
    CONFIRM = "confirm"  # double opt-in: the one mail an unconfirmed address gets
    REPLY = "reply"  # a reply to a watched comment (several due at once: a digest)
    ALERT = "alert"  # a moderator's summary of what waits
    NOTICE = "notice"  # to admins: a webhook endpoint was disabled


class OutboxEvent(Base):
    """Something happened: written in the transaction of the change, fanned out by the worker
    into webhook deliveries and mails, then deleted."""

    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    # The Standard Webhooks ``webhook-id``: the same for every delivery and retry of the event.
    message_id: Mapped[str] = mapped_column(String(40))
    # No foreign keys: the event outlives nothing, and checking them costs every post.
    comment_id: Mapped[int | None] = mapped_column(Integer)
    article_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    # A new comment whose author asked to hear of replies: the language of the mails. The
    # worker records the wish (``subscriptions.watch``), so the post itself writes one row.
    watch_language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    # Event types this endpoint receives, space-separated: "comment.created article.closed".
    events: Mapped[str] = mapped_column(String(400))
    # ``whsec_...``: kept to sign with; shown to the admin once, at creation or rotation.
    secret: Mapped[str] = mapped_column(String(100))
    # After a rotation the old secret signs too, until this moment (a day).
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_until: Mapped[datetime | None] = mapped_column(Timestamp)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(120))

    @property
    def event_list(self) -> list[str]:
        return self.events.split()


class WebhookDelivery(Base):
    """One event for one endpoint: its attempts so far and the next one (the delivery log)."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(40))
    # The exact body sent (and signed) on every attempt.
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[DeliveryStatus] = mapped_column(
        _enum(DeliveryStatus), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # A worker that took the delivery holds it until then; after a crash another takes it over.
    claimed_until: Mapped[datetime | None] = mapped_column(Timestamp)
    last_attempt_at: Mapped[datetime | None] = mapped_column(Timestamp)
    response_status: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(300))
    replay_of: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    __table_args__ = (
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint_id_id", "endpoint_id", "id"),
    )


class MailSubscriber(Base):
    """An address that asked for reply notifications, and whether it confirmed."""

    __tablename__ = "mail_subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    state: Mapped[SubscriberState] = mapped_column(_enum(SubscriberState))
    language: Mapped[str] = mapped_column(String(8), default="en")
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(Timestamp)
    confirmed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # Replies due within the digest interval after this go out together in one mail.
    last_mailed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class ReplyWatch(Base):
    """A comment whose author asked to hear of replies, and the language of its page."""

    __tablename__ = "reply_watches"

    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(8), default="en")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class OutgoingMail(Base):
    """A mail to send: rendered when sent, so a digest gathers what is due by then."""

    __tablename__ = "outgoing_mails"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[MailKind] = mapped_column(_enum(MailKind))
    recipient: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(8), default="en")
    # The reply a REPLY mail tells of; one mail per (recipient, reply) ever.
    comment_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[DeliveryStatus] = mapped_column(
        _enum(DeliveryStatus), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(Timestamp)
    claimed_until: Mapped[datetime | None] = mapped_column(Timestamp)
    sent_at: Mapped[datetime | None] = mapped_column(Timestamp)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    __table_args__ = (
        Index("ix_outgoing_mails_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_outgoing_mails_recipient", "recipient"),
        UniqueConstraint("kind", "recipient", "comment_id"),
    )


class ModeratorAlert(Base):
    """A moderator's choice to be mailed when work waits, at most once per interval."""

    __tablename__ = "moderator_alerts"

    moderator_id: Mapped[int] = mapped_column(
        ForeignKey("moderators.id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[str] = mapped_column(String(254))
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when a comment starts waiting; cleared when the summary is queued.
    waiting_since: Mapped[datetime | None] = mapped_column(Timestamp)
    last_sent_at: Mapped[datetime | None] = mapped_column(Timestamp)
