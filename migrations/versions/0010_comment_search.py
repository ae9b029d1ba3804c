"""Comment search: a full-text index of every comment, and each article's language

``articles.language`` ("es", "en" or null) chooses the stemming of its comments' search terms.

PostgreSQL: ``comments.search_vector`` holds the text's tsvector under the text search
configuration of the article's language (``engagement_es``, ``engagement_en``, or
``engagement_simple`` when the language is unknown), kept by triggers on both tables and indexed
with GIN. The configurations fold accents through ``unaccent`` when the server offers that
extension, so "canción" and "cancion" find each other.

SQLite: ``comments_search``, an FTS5 table over ``comments.text`` (external content, accents
removed by the ``unicode61`` tokenizer), kept in sync by triggers.

Results come newest first along ``ix_comments_created_at_id``.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-03 08:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name, the configuration it copies, the stemming dictionary
_CONFIGURATIONS = (
    ("engagement_es", "spanish", "spanish_stem"),
    ("engagement_en", "english", "english_stem"),
    ("engagement_simple", "simple", "simple"),
)

_POSTGRES_FUNCTIONS = """
CREATE FUNCTION engagement_search_config(language varchar) RETURNS regconfig
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE language
        WHEN 'es' THEN 'engagement_es'::regconfig
        WHEN 'en' THEN 'engagement_en'::regconfig
        ELSE 'engagement_simple'::regconfig
    END
$$;

CREATE FUNCTION engagement_comment_search_vector() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector := to_tsvector(
        engagement_search_config((SELECT language FROM articles WHERE id = NEW.article_id)),
        coalesce(NEW.text, '')
    );
    RETURN NEW;
END
$$;

CREATE TRIGGER comments_search_vector BEFORE INSERT OR UPDATE OF text, article_id ON comments
FOR EACH ROW EXECUTE FUNCTION engagement_comment_search_vector();

CREATE FUNCTION engagement_article_language_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE comments
       SET search_vector = to_tsvector(engagement_search_config(NEW.language), text)
     WHERE article_id = NEW.id;
    RETURN NEW;
END
$$;

CREATE TRIGGER articles_search_language AFTER UPDATE OF language ON articles
FOR EACH ROW WHEN (OLD.language IS DISTINCT FROM NEW.language)
EXECUTE FUNCTION engagement_article_language_changed();
"""

_SQLITE_TRIGGERS = (
    """CREATE TRIGGER comments_search_insert AFTER INSERT ON comments BEGIN
        INSERT INTO comments_search (rowid, text) VALUES (new.id, new.text);
    END""",
    """CREATE TRIGGER comments_search_delete AFTER DELETE ON comments BEGIN
        INSERT INTO comments_search (comments_search, rowid, text)
        VALUES ('delete', old.id, old.text);
    END""",
    """CREATE TRIGGER comments_search_update AFTER UPDATE OF text ON comments BEGIN
        INSERT INTO comments_search (comments_search, rowid, text)
        VALUES ('delete', old.id, old.text);
        INSERT INTO comments_search (rowid, text) VALUES (new.id, new.text);
    END""",
)


def _upgrade_postgres() -> None:
    bind = op.get_bind()
    unaccent = bind.scalar(
        sa.text("SELECT count(*) FROM pg_available_extensions WHERE name = 'unaccent'")
    )
    if unaccent:
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        # Named with the schema the extension lives in: the service's schema may not be on it.
        home = bind.scalar(
            sa.text(
                "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
                "ON n.oid = e.extnamespace WHERE e.extname = 'unaccent'"
            )
        )
    for name, parent, stem in _CONFIGURATIONS:
        op.execute(f"CREATE TEXT SEARCH CONFIGURATION {name} (COPY = {parent})")
        dictionaries = f'"{home}".unaccent, {stem}' if unaccent else stem
        op.execute(
            f"ALTER TEXT SEARCH CONFIGURATION {name} "
            f"ALTER MAPPING FOR hword, hword_part, word WITH {dictionaries}"
        )
    op.execute("ALTER TABLE comments ADD COLUMN search_vector tsvector")
    op.execute(_POSTGRES_FUNCTIONS)
    op.execute(
        "UPDATE comments SET search_vector = to_tsvector(engagement_search_config("
        "(SELECT language FROM articles WHERE articles.id = comments.article_id)), text)"
    )
    op.execute("CREATE INDEX ix_comments_search_vector ON comments USING gin (search_vector)")
    # The author filter matches names in any case.
    op.execute("CREATE INDEX ix_comments_author_name_lower ON comments (lower(author_name))")


def _upgrade_sqlite() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE comments_search USING fts5(text, content='comments', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
    )
    for trigger in _SQLITE_TRIGGERS:
        op.execute(trigger)
    op.execute("INSERT INTO comments_search (comments_search) VALUES ('rebuild')")


def upgrade() -> None:
    op.add_column("articles", sa.Column("language", sa.String(length=8), nullable=True))
    op.create_index("ix_comments_created_at_id", "comments", ["created_at", "id"])
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgres()
    else:
        _upgrade_sqlite()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER articles_search_language ON articles")
        op.execute("DROP TRIGGER comments_search_vector ON comments")
        op.execute("DROP FUNCTION engagement_article_language_changed()")
        op.execute("DROP FUNCTION engagement_comment_search_vector()")
        op.execute("DROP FUNCTION engagement_search_config(varchar)")
        op.execute("DROP INDEX ix_comments_search_vector")
        op.execute("DROP INDEX ix_comments_author_name_lower")
        op.execute("ALTER TABLE comments DROP COLUMN search_vector")
        for name, _parent, _stem in _CONFIGURATIONS:
            op.execute(f"DROP TEXT SEARCH CONFIGURATION {name}")
        # unaccent stays: other schemas of the database may use it.
    else:
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER comments_search_{trigger}")
        op.execute("DROP TABLE comments_search")
    op.drop_index("ix_comments_created_at_id", table_name="comments")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("language")
