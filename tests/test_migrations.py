"""Alembic is the only source of schema: it upgrades and downgrades, and the models match it."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, inspect, text
from sqlalchemy.exc import SAWarning

from engagement import db as database
from engagement.db import Base
from engagement.models import SEARCH_SCHEMA, SEARCH_TABLES_PREFIX, digest_of
from tests.conftest import POSTGRES_URL, _reset_postgres, require


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no tables at all."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    url = require(POSTGRES_URL, "ENGAGEMENT_TEST_POSTGRES_URL")
    _reset_postgres(url)

    # The session's migrated schema is gone now: rebuild it, empty, for the tests that follow
    # (rows written here with explicit ids would collide with theirs).
    def rebuild() -> None:
        _reset_postgres(url)
        database.upgrade(url)

    request.addfinalizer(rebuild)
    return url


def tables(url: str) -> set[str]:
    engine = database.make_engine(url, pooled=False)
    try:
        names = set(inspect(engine).get_table_names()) - {"alembic_version"}
        return {name for name in names if not name.startswith(SEARCH_TABLES_PREFIX)}
    finally:
        engine.dispose()


def test_there_is_one_head() -> None:
    script = ScriptDirectory.from_config(database.alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_upgrade_from_empty_creates_every_table(empty_database: str) -> None:
    database.upgrade(empty_database)
    assert tables(empty_database) == set(Base.metadata.tables)


def test_downgrade_to_base_removes_every_table(empty_database: str) -> None:
    database.upgrade(empty_database)
    command.downgrade(database.alembic_config(empty_database), "base")
    assert tables(empty_database) == set()


def test_each_revision_downgrades_and_upgrades_again(empty_database: str) -> None:
    config = database.alembic_config(empty_database)
    script = ScriptDirectory.from_config(config)
    revisions = list(reversed(list(script.walk_revisions())))
    for revision in revisions:
        command.upgrade(config, revision.revision)
        command.downgrade(config, revision.down_revision or "base")
        command.upgrade(config, revision.revision)
    assert tables(empty_database) == set(Base.metadata.tables)


# SQLAlchemy cannot reflect SQLite's indexes on expressions (it skips them with a warning), so
# the comparison leaves them out there; that the migrations build them is shown by the thread
# queries' plans on SQLite, which use them (``tests/comments/test_thread_plans.py``).
EXPRESSION_INDEXES = {"ix_comments_thread_top"}


def _not_search_schema(name: str | None, kind: str, _parents: object) -> bool:
    """The search structures triggers keep (see ``SEARCH_SCHEMA``) have no model."""
    if name is None:
        return True
    return name not in SEARCH_SCHEMA and not name.startswith(SEARCH_TABLES_PREFIX)


def test_models_do_not_drift_from_migrations(empty_database: str) -> None:
    database.upgrade(empty_database)
    engine = create_engine(empty_database.replace("postgresql://", "postgresql+psycopg://", 1))
    sqlite = engine.dialect.name == "sqlite"

    def comparable(_obj: object, name: str | None, type_: str, *_: object) -> bool:
        return not (sqlite and type_ == "index" and name in EXPRESSION_INDEXES)

    try:
        with engine.connect() as conn, warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", "Skipped unsupported reflection of expression-based index", SAWarning
            )
            options = {
                "compare_type": True,
                "include_object": comparable,
                "include_name": _not_search_schema,
            }
            context = MigrationContext.configure(conn, opts=options)
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def insert_article(conn: Connection) -> None:
    """Article 1, written with plain SQL: valid at every revision."""
    conn.execute(
        text(
            "INSERT INTO articles (id, key, title, comments_open, view_count,"
            " comment_count, thread_version, created_at, updated_at)"
            " VALUES (1, 'the-story', '', true, 0, 1, 1, :now, :now)"
        ),
        {"now": "2026-11-01 10:00:00+00:00"},
    )


def insert_view_mark(conn: Connection) -> None:
    """A mark of 'a-visitor' on article 1, written with plain SQL: valid at every revision."""
    conn.execute(
        text("INSERT INTO view_marks VALUES (1, 'a-visitor', :now)"),
        {"now": "2026-11-01 10:00:00+00:00"},
    )


def test_upgrading_gives_existing_comments_their_text_digest(empty_database: str) -> None:
    """Comments stored before the digest existed are found as duplicates after the upgrade."""
    config = database.alembic_config(empty_database)
    command.upgrade(config, "0001")
    engine = database.make_engine(empty_database, pooled=False)
    try:
        with engine.begin() as conn:
            insert_article(conn)
            conn.execute(
                text(
                    "INSERT INTO comments (article_id, status, text, html, avatar, visitor,"
                    " likes, pinned, created_at)"
                    " VALUES (1, 'approved', :text, '', '', 'v', 0, false, :now)"
                ),
                {"text": "Written before the upgrade", "now": "2026-11-01 10:00:00+00:00"},
            )
        command.upgrade(config, "head")
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT text_digest FROM comments")).scalar_one()
        assert stored == digest_of("Written before the upgrade")
    finally:
        engine.dispose()


def test_upgrading_keeps_view_marks_and_leaves_them_one_key_only(empty_database: str) -> None:
    """A visitor counted before the upgrade is still de-duplicated after it; a counted view
    then writes its mark into one b-tree (no index on seen_at, no rowid table on SQLite)."""
    config = database.alembic_config(empty_database)
    command.upgrade(config, "0003")
    engine = database.make_engine(empty_database, pooled=False)
    try:
        with engine.begin() as conn:
            insert_article(conn)
            insert_view_mark(conn)
        command.upgrade(config, "head")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT article_id, visitor FROM view_marks")).all() == [
                (1, "a-visitor")
            ]
            assert inspect(conn).get_indexes("view_marks") == []
            if engine.dialect.name == "sqlite":
                schema = conn.execute(
                    text("SELECT sql FROM sqlite_master WHERE name = 'view_marks'")
                ).scalar_one()
                assert schema.rstrip().endswith("WITHOUT ROWID")
    finally:
        engine.dispose()


def test_upgrading_leaves_earlier_tokens_every_scope(empty_database: str) -> None:
    """Tokens made before scopes existed could do everything: an upgrade takes nothing away."""
    config = database.alembic_config(empty_database)
    command.upgrade(config, "0004")
    engine = database.make_engine(empty_database, pooled=False)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO api_tokens (name, token_hash, created_at)"
                    " VALUES ('cms', 'a-hash', '2026-11-01 10:00:00+00:00')"
                )
            )
        command.upgrade(config, "head")
        with engine.connect() as conn:
            scopes = conn.execute(text("SELECT scopes FROM api_tokens")).scalar_one()
        assert scopes == "articles moderation"
    finally:
        engine.dispose()


def test_upgrading_keeps_view_marks_and_drops_their_foreign_key(empty_database: str) -> None:
    """A visitor counted before the upgrade is still de-duplicated after it; a new mark is no
    longer checked against the articles table, and a downgrade restores the check."""
    config = database.alembic_config(empty_database)
    command.upgrade(config, "0005")
    engine = database.make_engine(empty_database, pooled=False)
    try:
        with engine.begin() as conn:
            insert_article(conn)
            insert_view_mark(conn)
        command.upgrade(config, "0006")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT article_id, visitor FROM view_marks")).all() == [
                (1, "a-visitor")
            ]
            assert inspect(conn).get_foreign_keys("view_marks") == []
        command.downgrade(config, "0005")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT visitor FROM view_marks")).scalars().all() == [
                "a-visitor"
            ]
            (foreign_key,) = inspect(conn).get_foreign_keys("view_marks")
            assert foreign_key["referred_table"] == "articles"
    finally:
        engine.dispose()


def test_upgrading_keeps_every_audit_entry_linked_to_its_token(empty_database: str) -> None:
    """SQLite alters api_tokens by copying it; the audit log's references to it survive."""
    config = database.alembic_config(empty_database)
    command.upgrade(config, "0004")
    engine = database.make_engine(empty_database, pooled=False)
    now = {"now": "2026-11-01 10:00:00+00:00"}
    try:
        with engine.begin() as conn:
            insert_article(conn)
            conn.execute(
                text(
                    "INSERT INTO api_tokens (id, name, token_hash, created_at)"
                    " VALUES (7, 'cms', 'a-hash', :now)"
                ),
                now,
            )
            conn.execute(
                text(
                    "INSERT INTO moderation_actions (actor, token_id, action, article_id,"
                    " created_at) VALUES ('token:cms', 7, 'article.close', 1, :now)"
                ),
                now,
            )
        command.upgrade(config, "head")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT token_id FROM moderation_actions")).scalar() == 7
        command.downgrade(config, "0004")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT token_id FROM moderation_actions")).scalar() == 7
    finally:
        engine.dispose()


def test_upgrading_rewrites_name_bans_in_the_form_names_are_compared_in(
    empty_database: str,
) -> None:
    """A name ban typed in decomposed Unicode before the upgrade matches composed names after."""
    config = database.alembic_config(empty_database)
    command.upgrade(config, "0006")
    engine = database.make_engine(empty_database, pooled=False)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO bans (kind, value, created_at) VALUES"
                    " ('name', :name, '2026-11-01 10:00:00+00:00'),"
                    " ('email', :email, '2026-11-01 10:00:00+00:00')"
                ),
                {"name": "jose\u0301  \uff41", "email": "Jose\u0301@mail.example"},
            )
        command.upgrade(config, "head")
        with engine.connect() as conn:
            values = conn.execute(text("SELECT value FROM bans ORDER BY kind")).scalars().all()
        assert values == ["Jose\u0301@mail.example", "jos\u00e9 a"]
    finally:
        engine.dispose()
