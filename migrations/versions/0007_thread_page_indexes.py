"""comments: one index per thread sort, over top-level comments; queues counted from an index

A thread page is the next ``limit`` top-level comments of an article in its sort's order,
pinned ones first. Without an index in that order the database read and sorted every top-level
comment of the thread for each page, so a page of a 200k-comment thread cost hundreds of times
a page of a small one. With these, every page of every sort is one index range scan that stops
after the page: partial (``parent_id IS NULL``), led by the article and ``pinned DESC``, then
the sort's keys in one direction each (``top`` uses ``-likes`` for that), so the page's cursor
bounds the scan with a single row comparison.

``ix_comments_parent_id`` keeps replies only: SQLite's statistics count each NULL as a value of
its own, so its planner took ``parent_id IS NULL`` for a rare value and read thread pages
through that index. Every use of it looks up replies of a given comment.

``ix_comments_queues`` replaces ``ix_comments_status_created_at`` for the moderation queues:
only comments not deleted (every queue's condition), with ``id``, so a queue's size is counted
from the index alone (an index-only scan on PostgreSQL) instead of visiting every row; the spam
queue keeps every spam comment ever caught, and counting it visited 30,000 rows of a database
of a million comments for every moderation page.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = {
    "ix_comments_thread_oldest": ["article_id", "pinned DESC", "created_at", "id"],
    "ix_comments_thread_newest": ["article_id", "pinned DESC", "created_at DESC", "id DESC"],
    "ix_comments_thread_top": ["article_id", "pinned DESC", "(-likes)", "created_at", "id"],
}
_TOP_LEVEL = sa.text("parent_id IS NULL")
_IS_REPLY = sa.text("parent_id IS NOT NULL")
_NOT_DELETED = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    # Replies only (see the models): with top-level comments in it, SQLite's planner read
    # thread pages through this index.
    op.drop_index("ix_comments_parent_id", table_name="comments")
    op.create_index(
        "ix_comments_parent_id",
        "comments",
        ["parent_id"],
        postgresql_where=_IS_REPLY,
        sqlite_where=_IS_REPLY,
    )
    op.drop_index("ix_comments_status_created_at", table_name="comments")
    op.create_index(
        "ix_comments_queues",
        "comments",
        ["status", "created_at", "id"],
        postgresql_where=_NOT_DELETED,
        sqlite_where=_NOT_DELETED,
    )
    for name, keys in _INDEXES.items():
        op.create_index(
            name,
            "comments",
            [sa.text(key) for key in keys],
            postgresql_where=_TOP_LEVEL,
            sqlite_where=_TOP_LEVEL,
        )


def downgrade() -> None:
    for name in _INDEXES:
        op.drop_index(name, table_name="comments")
    op.drop_index("ix_comments_parent_id", table_name="comments")
    op.create_index("ix_comments_parent_id", "comments", ["parent_id"])
    op.drop_index("ix_comments_queues", table_name="comments")
    op.create_index("ix_comments_status_created_at", "comments", ["status", "created_at"])
