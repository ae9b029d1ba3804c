"""comments.text_digest: duplicate texts found through an index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from engagement.models import digest_of

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def upgrade() -> None:
    op.add_column("comments", sa.Column("text_digest", sa.String(length=32), nullable=True))
    comments = sa.table(
        "comments",
        sa.column("id", sa.Integer),
        sa.column("text", sa.Text),
        sa.column("text_digest"),
    )
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(comments.c.id, comments.c.text)
            .where(comments.c.id > last)
            .order_by(comments.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        connection.execute(
            comments.update()
            .where(comments.c.id == sa.bindparam("row_id"))
            .values(text_digest=sa.bindparam("digest")),
            [{"row_id": row.id, "digest": digest_of(row.text)} for row in rows],
        )
        last = rows[-1].id
    op.create_index("ix_comments_text_digest_created_at", "comments", ["text_digest", "created_at"])


def downgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.drop_index("ix_comments_text_digest_created_at")
        batch.drop_column("text_digest")
