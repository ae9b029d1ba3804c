"""notifications and webhooks: the outbox, webhook endpoints and deliveries, mail subscribers,
reply watches, outgoing mails, moderator alerts

The outbox (``outbox_events``) is written in the transaction of the change it reports; the
worker turns each event into webhook deliveries and mails, then deletes it.

Revision ID: 0008
Revises: 0009
Create Date: 2026-12-03 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _status() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "status",
        sa.Enum(
            "pending",
            "delivered",
            "failed",
            "dropped",
            name="deliverystatus",
            native_enum=False,
            length=20,
        ),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "outbox_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("message_id", sa.String(length=40), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("watch_language", sa.String(length=8), nullable=True),
        _when("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_events")),
    )
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("events", sa.String(length=400), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("previous_secret", sa.String(length=100), nullable=True),
        _when("previous_secret_until"),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.String(length=300), nullable=True),
        _when("created_at", nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("endpoint_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=40), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        _status(),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("next_attempt_at"),
        _when("claimed_until"),
        _when("last_attempt_at"),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("replay_of", sa.Integer(), nullable=True),
        _when("created_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            name=op.f("fk_webhook_deliveries_endpoint_id_webhook_endpoints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    op.create_index(
        "ix_webhook_deliveries_endpoint_id_id", "webhook_deliveries", ["endpoint_id", "id"]
    )
    op.create_index(
        "ix_webhook_deliveries_status_next_attempt_at",
        "webhook_deliveries",
        ["status", "next_attempt_at"],
    )
    op.create_table(
        "mail_subscribers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "confirmed",
                "unsubscribed",
                name="subscriberstate",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("language", sa.String(length=8), nullable=False),
        _when("confirmation_sent_at"),
        _when("confirmed_at"),
        _when("unsubscribed_at"),
        _when("last_mailed_at"),
        _when("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_subscribers")),
        sa.UniqueConstraint("email", name=op.f("uq_mail_subscribers_email")),
    )
    op.create_table(
        "reply_watches",
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        _when("created_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comments.id"],
            name=op.f("fk_reply_watches_comment_id_comments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("comment_id", name=op.f("pk_reply_watches")),
    )
    op.create_table(
        "outgoing_mails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "confirm", "reply", "alert", "notice", name="mailkind", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        _status(),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("next_attempt_at"),
        _when("claimed_until"),
        _when("sent_at"),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        _when("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outgoing_mails")),
        sa.UniqueConstraint(
            "kind",
            "recipient",
            "comment_id",
            name=op.f("uq_outgoing_mails_kind_recipient_comment_id"),
        ),
    )
    op.create_index("ix_outgoing_mails_recipient", "outgoing_mails", ["recipient"])
    op.create_index(
        "ix_outgoing_mails_status_next_attempt_at", "outgoing_mails", ["status", "next_attempt_at"]
    )
    op.create_table(
        "moderator_alerts",
        sa.Column("moderator_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        _when("waiting_since"),
        _when("last_sent_at"),
        sa.ForeignKeyConstraint(
            ["moderator_id"],
            ["moderators.id"],
            name=op.f("fk_moderator_alerts_moderator_id_moderators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("moderator_id", name=op.f("pk_moderator_alerts")),
    )


def downgrade() -> None:
    op.drop_table("moderator_alerts")
    op.drop_index("ix_outgoing_mails_status_next_attempt_at", table_name="outgoing_mails")
    op.drop_index("ix_outgoing_mails_recipient", table_name="outgoing_mails")
    op.drop_table("outgoing_mails")
    op.drop_table("reply_watches")
    op.drop_table("mail_subscribers")
    op.drop_index("ix_webhook_deliveries_status_next_attempt_at", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_endpoint_id_id", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_endpoints")
    op.drop_table("outbox_events")
