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

import fcntl
import functools
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from flask import Flask, current_app, g, has_app_context
from sqlalchemy import Connection, Dialect, Engine, MetaData, create_engine, event, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import NullPool, QueuePool

from engagement.instruments import POOL_IN_USE, POOL_WAIT_SECONDS, POOL_WAITS

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


MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


class QueuedWriterConnection(sqlite3.Connection):
    """A SQLite connection whose write transactions queue on a file lock.

    SQLite lets one writer in at a time and makes the others poll: a writer that finds the
    database locked sleeps 1, 2, 5, 10... ms before trying again, while a view holds the lock
    for a fraction of a millisecond. Writers of every process instead wait on an exclusive
    ``flock`` of ``<database>-writer``, which the kernel hands over the moment the previous
    writer commits, so ``BEGIN IMMEDIATE`` finds the database free. Writers that do not take
    the lock (another program, a second connection of a thread that holds it) still meet
    SQLite's own busy timeout, so correctness never depends on it.
    """

    _held = threading.local()

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        name = str(database)
        self._lock_path = None if name in ("", ":memory:") or name.startswith("file:") else name
        self._lock_fd: int | None = None
        self._locked = False

    def wait_for_writer_slot(self) -> None:
        """Block until no other queued writer holds the database; the next commit releases it."""
        if self._lock_path is None or self._locked or getattr(self._held, "active", False):
            return
        if self._lock_fd is None:
            self._lock_fd = os.open(f"{self._lock_path}-writer", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        self._locked = True
        self._held.active = True

    def _release(self) -> None:
        if self._locked and self._lock_fd is not None:
            self._locked = False
            self._held.active = False
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release()

    def close(self) -> None:
        self._release()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
        super().close()


@dataclass(frozen=True)
class Waits:
    """How long the service waits for the database, in seconds (see the ``DATABASE_*_TIMEOUT``
    settings). ``statement`` None: as long as each answer takes (the command line's imports)."""

    connect: int = 3
    statement: float | None = 5.0
    pool: float = 2.0


class StatementTimeout(psycopg.OperationalError):
    """The database did not answer within the statement timeout; the connection is closed."""


class BoundedConnection(psycopg.Connection[Any]):
    """A psycopg connection that waits at most ``answer_timeout`` seconds for each answer.

    A PostgreSQL that accepts connections but never answers (a frozen host, a hung proxy) keeps
    every socket open and acknowledged, so neither TCP nor the server's own statement_timeout
    ever ends the wait: only the client can. Every round trip of psycopg (statements, fetches,
    commits, rollbacks, pings) goes through ``wait``; past the deadline the connection is closed,
    because its protocol state is unknown, and the pool discards it.
    """

    answer_timeout: float | None = None

    def wait(self, gen: Any, interval: float | None = None, timeout: float | None = None) -> Any:
        limit = timeout if timeout is not None else self.answer_timeout
        try:
            if interval is None:
                return super().wait(gen, timeout=limit)
            return super().wait(gen, interval=interval, timeout=limit)
        # psycopg's own signal that a wait's timeout expired (psycopg is pinned exactly, and
        # tests/test_waits.py freezes a real connection to prove this still works).
        except psycopg.errors._WaitTimeout:
            self.pgconn.finish()
            raise StatementTimeout(
                f"the database did not answer within {limit:g} s; connection closed"
            ) from None


def _bounded_connector(waits: Waits) -> Callable[..., Any]:
    """A ``do_connect`` hook opening ``BoundedConnection``s with the given waits."""

    def connect(_dialect: Any, _record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
        cparams = {**cparams, "connect_timeout": waits.connect}
        if waits.statement is not None:
            # The server gives up too, so a statement nobody waits for no longer holds locks.
            milliseconds = max(1, round(waits.statement * 1000))
            options = f"{cparams.get('options', '')} -c statement_timeout={milliseconds}"
            cparams["options"] = options.strip()
        connection = BoundedConnection.connect(*cargs, **cparams)
        connection.answer_timeout = waits.statement
        return connection

    return connect


class WatchedPool(QueuePool):
    """SQLAlchemy's queue pool, counting for /metrics the connections in use and the checkouts
    that found every connection taken and had to wait for one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.watch_as("session")

    def watch_as(self, name: str) -> None:
        """Count this pool under ``name`` (``session``, ``hot_path``)."""
        self._in_use = POOL_IN_USE.labels(name)
        self._waits = POOL_WAITS.labels(name)
        self._wait_seconds = POOL_WAIT_SECONDS.labels(name)

    def _do_get(self) -> Any:  # the pool's own override point for checkouts
        # Every connection is out and no overflow is left: this checkout waits.
        full = self.checkedin() == 0 and self.overflow() >= self._max_overflow
        started = time.perf_counter() if full else 0.0
        try:
            connection = super()._do_get()
        finally:
            if full:
                self._waits.inc()
                self._wait_seconds.inc(time.perf_counter() - started)
        self._in_use.inc()
        return connection

    def _do_return_conn(self, record: Any) -> None:
        self._in_use.dec()
        super()._do_return_conn(record)

    def recreate(self) -> QueuePool:
        # dispose() replaces the pool: the new one must keep counting under the same name.
        fresh = super().recreate()
        fresh.__class__ = WatchedPool
        assert isinstance(fresh, WatchedPool)
        fresh._in_use, fresh._waits, fresh._wait_seconds = (
            self._in_use,
            self._waits,
            self._wait_seconds,
        )
        return fresh


def make_engine(
    url: str,
    *,
    pooled: bool = True,
    ping: bool = True,
    waits: Waits | None = None,
    pool_name: str = "session",
) -> Engine:
    """Create an engine tuned for the service: SQLite in WAL mode, PostgreSQL via psycopg 3.

    With ``waits`` every wait on PostgreSQL is bounded: connecting, each answer, and taking a
    connection from the pool (a file-backed SQLite's pool too; its writers queue as below).
    Database errors never show their statement's parameters (an email, an address's hash): they
    reach the logs.
    """
    pooling: dict[str, Any] = {"poolclass": WatchedPool} if pooled else {"poolclass": NullPool}
    pooling["hide_parameters"] = True
    in_memory = make_url(url).database in (None, "", ":memory:")
    if pooled and waits is not None and not in_memory:
        pooling["pool_timeout"] = waits.pool
    if url.startswith("sqlite"):
        connect_args = {"timeout": 30, "factory": QueuedWriterConnection}
        engine = create_engine(url, connect_args=connect_args, **pooling)
        if isinstance(engine.pool, WatchedPool):
            engine.pool.watch_as(pool_name)

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
            # Work that said it writes (``expect_writes``, ``writing``) takes it up front.
            if has_app_context() and g.get("db_writes", False):
                dbapi_conn = conn.connection.dbapi_connection
                if isinstance(dbapi_conn, QueuedWriterConnection):
                    dbapi_conn.wait_for_writer_slot()
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.exec_driver_sql("BEGIN")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if pooled:
        pooling.update(pool_pre_ping=ping, pool_size=5, max_overflow=10)
    # No JIT compilation: every query of the service reads a few rows through an index in about
    # a millisecond, while compiling one took 30 to 100 ms whenever the planner's estimate
    # crossed ``jit_above_cost`` (a recursive query's estimate grows with the page size).
    # Options the URL carries (``?options=-csearch_path%3D...``) are kept beside it.
    options = make_url(url).query.get("options", "")
    given = options if isinstance(options, str) else " ".join(options)
    engine = create_engine(url, connect_args={"options": f"{given} -c jit=off".strip()}, **pooling)
    if waits is not None:
        event.listen(engine, "do_connect", _bounded_connector(waits))
    if isinstance(engine.pool, WatchedPool):
        engine.pool.watch_as(pool_name)
    return engine


def waits_for(config: Any) -> Waits:
    """The waits the settings ask for."""
    return Waits(
        connect=config["DATABASE_CONNECT_TIMEOUT"],
        statement=config["DATABASE_STATEMENT_TIMEOUT"],
        pool=config["DATABASE_POOL_TIMEOUT"],
    )


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


def _hot_path_session(dbapi_conn: Any, _record: Any, *, relaxed: bool) -> None:
    """Prepare a PostgreSQL connection of the hot paths' pool, once, when it is opened.

    Every statement on it commits on its own (see ``raw_transaction``). With relaxed view
    durability its commits do not wait for the WAL flush: all that pool ever runs is a view
    (one statement), its occasional pruning of expired marks, and reads, which write nothing.
    Every other write goes through the session's engine, with the server's durability.
    """
    dbapi_conn.autocommit = True
    if relaxed:
        with dbapi_conn.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")


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


# SQLAlchemy names a pool's logger after its class: this one would log every dispose at INFO
# among the service's own lines.
logging.getLogger(f"{__name__}.{WatchedPool.__name__}").setLevel(logging.WARNING)
