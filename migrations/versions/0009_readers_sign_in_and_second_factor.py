"""Signed-in readers, who may comment, trust marks, moderators' second factor, staff replies

comments: the SSO subject of a signed-in author, the staff badge, their picture's URL;
articles: who may
comment; readers: the magazine's signed-in readers and the trust moderators give them;
used_sign_in_tokens: exchanged sign-in tokens, against replays; moderators: display name and
TOTP; recovery_codes; site_settings: what admins set from the moderation pages.

Revision ID: 0009
Revises: 0011
Create Date: 2026-12-03 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE ... ADD COLUMN, no table copy: the comments table carries indexes on
    # expressions that a batch copy on SQLite could not reflect and would lose.
    op.add_column("comments", sa.Column("author_subject", sa.String(length=200), nullable=True))
    op.add_column(
        "comments",
        sa.Column("author_staff", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("comments", sa.Column("author_avatar_url", sa.String(length=500), nullable=True))
    op.create_index("ix_comments_author_subject", "comments", ["author_subject"])
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("commenting", sa.String(length=20), nullable=True))
    with op.batch_alter_table("moderators") as batch:
        batch.add_column(sa.Column("display_name", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("totp_enabled_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("moderator_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["moderator_id"],
            ["moderators.id"],
            name=op.f("fk_recovery_codes_moderator_id_moderators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
    )
    op.create_index("ix_recovery_codes_moderator_id", "recovery_codes", ["moderator_id"])
    op.create_table(
        "site_settings",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_site_settings")),
    )
    op.create_table(
        "readers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("name_key", sa.String(length=100), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("staff", sa.Boolean(), nullable=False),
        sa.Column("trust", sa.String(length=20), nullable=True),
        sa.Column("trust_set_by", sa.String(length=120), nullable=True),
        sa.Column("trust_set_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readers")),
        sa.UniqueConstraint("subject", name=op.f("uq_readers_subject")),
    )
    op.create_index("ix_readers_name_key", "readers", ["name_key"])
    op.create_table(
        "used_sign_in_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_used_sign_in_tokens")),
    )
    op.create_index("ix_used_sign_in_tokens_expires_at", "used_sign_in_tokens", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_used_sign_in_tokens_expires_at", table_name="used_sign_in_tokens")
    op.drop_table("used_sign_in_tokens")
    op.drop_index("ix_readers_name_key", table_name="readers")
    op.drop_table("readers")
    op.drop_table("site_settings")
    op.drop_index("ix_recovery_codes_moderator_id", table_name="recovery_codes")
    op.drop_table("recovery_codes")
    with op.batch_alter_table("moderators") as batch:
        batch.drop_column("totp_last_step")
        batch.drop_column("totp_enabled_at")
        batch.drop_column("totp_secret")
        batch.drop_column("display_name")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("commenting")
    op.drop_index("ix_comments_author_subject", table_name="comments")
    # SQLite drops a column in place (3.35 and later) once no index names it.
    op.drop_column("comments", "author_avatar_url")
    op.drop_column("comments", "author_staff")
    op.drop_column("comments", "author_subject")
