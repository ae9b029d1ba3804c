"""The schema's revision and its migrations (Alembic), and the dialect's INSERT."""

from __future__ import annotations

import fcntl
import functools
import logging
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def is_postgres(db: Session) -> bool:
    """Whether the session talks to PostgreSQL."""
    return db.get_bind().dialect.name == "postgresql"


@functools.cache
def head_revision() -> str:
    """The newest revision of the migrations this version ships."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert head is not None
    return head


def schema_revision(engine_: Engine) -> str | None:
    """The revision the database's schema is at (None: never migrated)."""
    from alembic.runtime.migration import MigrationContext

    with engine_.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def schema_problem(engine_: Engine) -> str | None:
    """Why the database's schema does not fit this version, or None when it is at the head."""
    current, head = schema_revision(engine_), head_revision()
    if current == head:
        return None
    if current is None:
        return f"the database has no schema yet; this version needs {head}"
    return f"the schema is at {current}; this version needs {head}"


def alembic_config(url: str) -> Any:
    """An Alembic config pointing at this repository's migrations and at ``url``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Upgrade the schema at ``url`` to ``revision``."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def upgrade_locked(url: str, lock_path: Path) -> None:
    """Upgrade under a file lock, so several workers starting at once migrate once."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            upgrade(url)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def insert(db: Session) -> Any:
    """The dialect's ``insert``, which has ``on_conflict_do_*`` on SQLite and PostgreSQL."""
    return insert_for(db.get_bind().dialect.name)


def insert_for(dialect: str) -> Any:
    """The ``insert`` with ``on_conflict_do_*`` of the dialect named ``dialect``."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert
