"""view_marks: no foreign key to articles

A mark only says "this visitor was counted on this article lately"; it is written on every
counted view and pruned after its window. The foreign key made each new mark look its article
up again (on PostgreSQL a row lock on the article, whose counter the same statement updates);
the view already found the article by key in the same statement, and articles are never
deleted by the service. Marks of a vanished article would simply expire with their window.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 19:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FOREIGN_KEY = "fk_view_marks_article_id_articles"
_SQLITE_TABLE = """
CREATE TABLE view_marks_new (
    article_id INTEGER NOT NULL,
    visitor VARCHAR(64) NOT NULL,
    seen_at DATETIME NOT NULL,
    CONSTRAINT pk_view_marks PRIMARY KEY (article_id, visitor){foreign_key}
) WITHOUT ROWID
"""
_SQLITE_FOREIGN_KEY = f""",
    CONSTRAINT {_FOREIGN_KEY} FOREIGN KEY(article_id)
        REFERENCES articles (id) ON DELETE CASCADE"""


def _rebuild_on_sqlite(foreign_key: str) -> None:
    """Copy the marks into a table declared anew (SQLite cannot drop a constraint)."""
    op.execute(_SQLITE_TABLE.format(foreign_key=foreign_key))
    op.execute("INSERT INTO view_marks_new SELECT article_id, visitor, seen_at FROM view_marks")
    op.execute("DROP TABLE view_marks")
    op.execute("ALTER TABLE view_marks_new RENAME TO view_marks")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_on_sqlite("")
    else:
        op.drop_constraint(_FOREIGN_KEY, "view_marks", type_="foreignkey")


def downgrade() -> None:
    # Marks of articles that no longer exist would break the constraint: they count nothing.
    op.execute("DELETE FROM view_marks WHERE article_id NOT IN (SELECT id FROM articles)")
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_on_sqlite(_SQLITE_FOREIGN_KEY)
    else:
        op.create_foreign_key(
            _FOREIGN_KEY, "view_marks", "articles", ["article_id"], ["id"], ondelete="CASCADE"
        )
