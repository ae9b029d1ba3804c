"""Column types and the enumerations stored in them, by value."""

from __future__ import annotations

import enum
import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    Enum,
    TypeDecorator,
)

KEY_MAX = 200


def utcnow() -> datetime:
    """Now, timezone-aware UTC."""
    return datetime.now(UTC)


def digest_of(text: str) -> str:
    """A comment text's digest (``Comment.text_digest``): equal texts, equal digests."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def stored_enum(cls: type[enum.Enum], length: int = 20) -> Enum:
    """A column of ``cls`` stored by value."""
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
