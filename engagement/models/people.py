"""Moderators, readers, API tokens, the audit log and bans."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from engagement.db import Base
from engagement.models.columns import (
    BanKind,
    Role,
    Timestamp,
    TokenScope,
    Trust,
    stored_enum,
    utcnow,
)


class Moderator(Base):
    __tablename__ = "moderators"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(stored_enum(Role), default=Role.MODERATOR)
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
    trust: Mapped[Trust | None] = mapped_column(stored_enum(Trust))
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
    kind: Mapped[BanKind] = mapped_column(stored_enum(BanKind))
    # Normalized: lower-cased email, visitor hash, CIDR network, or case-folded name.
    value: Mapped[str] = mapped_column(String(254))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(Timestamp)
    created_by: Mapped[str | None] = mapped_column(String(120))
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp)

    __table_args__ = (Index("ix_bans_kind_value", "kind", "value"),)
