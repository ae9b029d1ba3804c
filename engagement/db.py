"""The database: declarative base, engine per application, one session per request."""

from __future__ import annotations

import fcntl
import logging
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Engine, MetaData, create_engine, event, text
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

# Predictable constraint names, so migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def make_engine(url: str, *, pooled: bool = True) -> Engine:
    """Create an engine tuned for the service: SQLite in WAL mode, PostgreSQL via psycopg 3."""
    pooling: dict[str, Any] = {} if pooled else {"poolclass": NullPool}
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **pooling)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # pysqlite opens transactions lazily and never for SELECT; take BEGIN into our own
            # hands so a read-modify-write is one transaction (see the SQLAlchemy pysqlite docs).
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # IMMEDIATE takes the write lock at BEGIN: concurrent writers queue on busy_timeout
            # instead of failing with "database is locked" when a reader upgrades to a writer.
            # Requests that may write (every method but GET/HEAD/OPTIONS) take it up front.
            writes = has_request_context() and request.method not in SAFE_METHODS
            conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if pooled:
        pooling = {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 10}
    return create_engine(url, **pooling)


def init_app(app: Flask) -> None:
    """Give the app its engine and session factory, and close each request's session."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["engagement.engine"] = engine
    app.extensions["engagement.sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def engine() -> Engine:
    """The current application's engine."""
    return current_app.extensions["engagement.engine"]  # type: ignore[no-any-return]


def session() -> Session:
    """The current request's session, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["engagement.sessionmaker"]()
    return g.db_session  # type: ignore[no-any-return]


def _close_session(_exc: BaseException | None) -> None:
    db = g.pop("db_session", None)
    if db is not None:
        db.close()


def is_postgres(db: Session) -> bool:
    """Whether the session talks to PostgreSQL."""
    return db.get_bind().dialect.name == "postgresql"


def ping() -> None:
    """Run a trivial query; raises if the database cannot be reached."""
    with engine().connect() as conn:
        conn.execute(text("SELECT 1"))


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
