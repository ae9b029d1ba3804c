"""The database: declarative base, engine per application, one session per request.

Callers say when they write: SQLite admits one writer at a time, and a transaction that reads
first cannot become a writer once another writer has committed, so a unit of work that will
write begins as a writer (``BEGIN IMMEDIATE``, after the writers' queue). The HTTP layer
declares every request with a method other than GET, HEAD or OPTIONS a writer
(``expect_writes``), ``reading`` opens a read transaction inside one, and work outside requests
(an import, the worker) runs its writes inside ``writing``. This module never looks at the
request itself.

``joined`` runs an application's database work inside one outer transaction, each unit of work
in a savepoint of it, so that tests undo everything they did by rolling that transaction back.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import Flask, current_app, g
from sqlalchemy import Connection, Dialect, Engine, MetaData, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from engagement.db.connections import (
    BoundedConnection,
    QueuedWriterConnection,
    StatementTimeout,
    Waits,
    WatchedPool,
    _hot_path_session,
    make_engine,
    waits_for,
)
from engagement.db.schema import (
    MIGRATIONS_DIR,
    alembic_config,
    head_revision,
    insert,
    insert_for,
    is_postgres,
    schema_problem,
    schema_revision,
    upgrade,
    upgrade_locked,
)

__all__ = [
    "MIGRATIONS_DIR",
    "BoundedConnection",
    "QueuedWriterConnection",
    "StatementTimeout",
    "Waits",
    "WatchedPool",
    "alembic_config",
    "head_revision",
    "insert",
    "insert_for",
    "is_postgres",
    "make_engine",
    "schema_problem",
    "schema_revision",
    "upgrade",
    "upgrade_locked",
    "waits_for",
]

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


def init_app(app: Flask) -> None:
    """Give the app its engine and session factory, and close each request's session."""
    waits = waits_for(app.config)
    engine = make_engine(app.config["DATABASE_URL"], waits=waits)
    app.extensions["engagement.engine"] = engine
    # The hot paths' pool (see ``raw``) pings no connection on checkout: that ping would be a
    # round trip of its own on every page load; ``raw`` retries once on a dropped connection.
    raw_engine = engine
    if engine.dialect.name == "postgresql":
        raw_engine = make_engine(
            app.config["DATABASE_URL"], ping=False, waits=waits, pool_name="hot_path"
        )
        relaxed = app.config["VIEW_DURABILITY"] == "relaxed"
        event.listen(raw_engine, "connect", functools.partial(_hot_path_session, relaxed=relaxed))
    app.extensions["engagement.raw_engine"] = raw_engine
    app.extensions["engagement.sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def engine() -> Engine:
    """The current application's engine."""
    return engine_of(current_app)


def engine_of(app: Flask) -> Engine:
    """The engine of ``app``."""
    return app.extensions["engagement.engine"]  # type: ignore[no-any-return]


def session() -> Session:
    """The current request's session, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["engagement.sessionmaker"]()
    return g.db_session  # type: ignore[no-any-return]


def expect_writes() -> None:
    """Say that the current request (or app context) writes: its transactions begin as
    writers, on SQLite with ``BEGIN IMMEDIATE`` after the writers' queue (see the module)."""
    g.db_writes = True


@contextmanager
def _writes(writes: bool) -> Iterator[None]:
    """The block's transactions begin as writers or readers; the caller's intent after it."""
    before = g.get("db_writes", False)
    g.db_writes = writes
    try:
        yield
    finally:
        g.db_writes = before


@contextmanager
def reading(db: Session) -> Iterator[Session]:
    """Run the block's queries in a read transaction of their own, ended when the block ends.

    SQLite admits one writer at a time, and a request that writes holds that lock from its
    transaction's first statement to its commit. A write that must first look several things
    up (a comment post: its article, parent, bans, duplicates) reads them here, so other
    writers wait only for the writes. What was read may change before the write transaction
    begins; use it only where acting on a moment-old answer is as right as on a fresh one.
    Objects loaded in the block stay usable afterwards (sessions do not expire on commit).
    """
    if db.in_transaction():
        raise RuntimeError("reading() must begin the session's transaction, not join one")
    try:
        with _writes(False):
            yield db
    except BaseException:
        db.rollback()
        raise
    db.commit()


@contextmanager
def writing() -> Iterator[None]:
    """Begin the block's transactions as writers (on SQLite, ``BEGIN IMMEDIATE`` after the
    writers' queue): for work outside a request, such as an import, that reads and then
    writes in each transaction while the service writes too. A deferred transaction that
    reads first could not become a writer once another writer had committed."""
    with _writes(True):
        yield


@contextmanager
def joined(app: Flask) -> Iterator[Connection]:
    """Run ``app``'s database work inside one transaction, rolled back when the block ends.

    Every session of the app, and every unit of work of ``raw``, runs in a savepoint of that
    transaction: their commits release a savepoint, and nothing reaches the database. Only one
    thread may use the app meanwhile (they share one connection). For test suites, after
    SQLAlchemy's "Joining a Session into an External Transaction".
    """
    extensions = app.extensions
    before = extensions["engagement.sessionmaker"], extensions["engagement.raw_engine"]
    with engine_of(app).connect() as connection:
        outer = connection.begin()
        extensions["engagement.sessionmaker"] = sessionmaker(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        extensions["engagement.raw_engine"] = connection
        try:
            yield connection
        finally:
            extensions["engagement.sessionmaker"], extensions["engagement.raw_engine"] = before
            outer.rollback()


def _close_session(_exc: BaseException | None) -> None:
    db = g.pop("db_session", None)
    if db is not None:
        db.close()


class RawConnection:
    """A pooled DBAPI connection for the few statements that run on every page load.

    SQLAlchemy's per-statement work (events, compilation cache, result processing) costs
    several times what SQLite or a PostgreSQL round trip does, so the view counter and the
    batch counters speak to the driver directly, with SQL written per dialect. One cursor per
    DBAPI connection serves every statement: callers read each result before the next one.
    """

    __slots__ = ("_cursor", "dbapi_connection", "dialect", "postgres")

    def __init__(self, pooled: Any, dialect: Dialect) -> None:
        self.dbapi_connection = pooled.dbapi_connection
        self.dialect = dialect
        self.postgres = dialect.name == "postgresql"
        # Kept with the connection for its whole life: a cursor costs as much to make as a
        # statement costs to send.
        cursor = pooled.info.get("hot_path_cursor")
        if cursor is None:
            cursor = pooled.info["hot_path_cursor"] = self.dbapi_connection.cursor()
        self._cursor = cursor

    def execute(self, sql: str, params: Any = ()) -> Any:
        """Run ``sql`` (``?`` placeholders on SQLite, ``%(name)s`` on PostgreSQL); the cursor."""
        try:
            self._cursor.execute(sql, params)
        except self.dialect.loaded_dbapi.Error as exc:
            raise _wrapped(exc, self.dialect, sql, params, self.dbapi_connection) from exc
        return self._cursor


def _wrapped(
    exc: Exception, dialect: Dialect, sql: str | None, params: Any, connection: Any = None
) -> DBAPIError:
    """A driver's error as SQLAlchemy's class for it, which the error handlers know."""
    wrapped = DBAPIError.instance(
        sql,
        params,
        exc,
        dialect.loaded_dbapi.Error,
        connection_invalidated=dialect.is_disconnect(exc, connection, None),  # type: ignore[arg-type]
        hide_parameters=True,
    )
    assert isinstance(wrapped, DBAPIError)
    return wrapped


T = TypeVar("T")


def raw(work: Callable[[RawConnection], T], *, writes: bool) -> T:
    """``work`` run on a pooled DBAPI connection as one unit of work; its result.

    On PostgreSQL every statement commits on its own (one round trip, no BEGIN or COMMIT), with
    the durability of views (see ``_hot_path_session``): use it only for views and reads. On
    SQLite a writing unit is one ``BEGIN IMMEDIATE`` transaction, queued like every request's.

    Once, a connection the database has dropped (a restart, an idle timeout) is replaced and
    ``work`` runs again (not after a statement timeout: a database that did not answer in time
    would not answer a second try either), so ``work`` must be safe to repeat: a view is (its
    de-duplication mark makes a repeat count nothing), and so is a read.
    """
    try:
        return _run(work, writes)
    except DBAPIError as exc:
        if not exc.connection_invalidated or isinstance(exc.orig, StatementTimeout):
            raise
        log.warning("database connection dropped; retrying on a fresh one: %s", exc.orig)
        current_app.extensions["engagement.raw_engine"].dispose()
        return _run(work, writes)


def _run(work: Callable[[RawConnection], T], writes: bool) -> T:
    engine_: Engine | Connection = current_app.extensions["engagement.raw_engine"]
    if isinstance(engine_, Connection):
        return _run_joined(work, engine_)
    try:
        pooled = engine_.raw_connection()
    except engine_.dialect.loaded_dbapi.Error as exc:
        raise _wrapped(exc, engine_.dialect, None, None) from exc
    dbapi_connection: Any = pooled.dbapi_connection
    postgres = engine_.dialect.name == "postgresql"
    try:
        conn = RawConnection(pooled, engine_.dialect)
        if postgres:
            return work(conn)
        if writes:
            if isinstance(dbapi_connection, QueuedWriterConnection):
                dbapi_connection.wait_for_writer_slot()
            dbapi_connection.execute("BEGIN IMMEDIATE")
        try:
            result = work(conn)
        except BaseException:
            if dbapi_connection.in_transaction:
                dbapi_connection.rollback()
            raise
        if dbapi_connection.in_transaction:
            dbapi_connection.commit()
        return result
    finally:
        if postgres and dbapi_connection.closed:
            pooled.invalidate()  # dropped by the server: never back into the pool
        pooled.close()


def _run_joined(work: Callable[[RawConnection], T], connection: Connection) -> T:
    """``work`` in a savepoint of the transaction of ``joined``, on its DBAPI connection like
    every unit of work of ``raw`` (so statement listeners see none of it either)."""
    conn = RawConnection(connection.connection, connection.dialect)
    conn.execute("SAVEPOINT engagement_raw")
    try:
        result = work(conn)
    except BaseException:
        conn.execute("ROLLBACK TO SAVEPOINT engagement_raw")
        conn.execute("RELEASE SAVEPOINT engagement_raw")
        raise
    conn.execute("RELEASE SAVEPOINT engagement_raw")
    return result
