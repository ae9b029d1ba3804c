"""view_marks: no index on seen_at; on SQLite a WITHOUT ROWID table

A counted view inserts one mark. With a rowid table, its primary-key index and the seen_at
index, that insert wrote three b-tree pages on SQLite; as a WITHOUT ROWID table keyed by
(article_id, visitor) and without the seen_at index it writes one. Pruning expired marks scans
the table instead, which stays as small as one window's visitors because views prune it often.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 08:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE_TABLE = """
CREATE TABLE view_marks_new (
    article_id INTEGER NOT NULL,
    visitor VARCHAR(64) NOT NULL,
    seen_at DATETIME NOT NULL,
    CONSTRAINT pk_view_marks PRIMARY KEY (article_id, visitor),
    CONSTRAINT fk_view_marks_article_id_articles FOREIGN KEY(article_id)
        REFERENCES articles (id) ON DELETE CASCADE
){options}
"""


def _rebuild_on_sqlite(options: str) -> None:
    """Copy the marks into a table made with ``options`` (SQLite cannot alter them)."""
    op.execute(_SQLITE_TABLE.format(options=options))
    op.execute("INSERT INTO view_marks_new SELECT article_id, visitor, seen_at FROM view_marks")
    op.execute("DROP TABLE view_marks")
    op.execute("ALTER TABLE view_marks_new RENAME TO view_marks")


def upgrade() -> None:
    op.drop_index("ix_view_marks_seen_at", table_name="view_marks")
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_on_sqlite(" WITHOUT ROWID")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_on_sqlite("")
    op.create_index("ix_view_marks_seen_at", "view_marks", ["seen_at"], unique=False)
