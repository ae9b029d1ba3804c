"""Notifications and webhooks: the outbox, endpoints, deliveries and outgoing mail."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from engagement.db import Base
from engagement.models.columns import Timestamp, stored_enum, utcnow


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
        stored_enum(DeliveryStatus), default=DeliveryStatus.PENDING
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
    state: Mapped[SubscriberState] = mapped_column(stored_enum(SubscriberState))
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
    kind: Mapped[MailKind] = mapped_column(stored_enum(MailKind))
    recipient: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(8), default="en")
    # The reply a REPLY mail tells of; one mail per (recipient, reply) ever.
    comment_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[DeliveryStatus] = mapped_column(
        stored_enum(DeliveryStatus), default=DeliveryStatus.PENDING
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
