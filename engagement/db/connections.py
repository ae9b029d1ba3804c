"""Engines and connections: SQLite's writers' queue, PostgreSQL's bounded waits (connect,
statement, pool checkout), and the hot paths' pool."""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from flask import g, has_app_context
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.pool import NullPool, QueuePool

from engagement.instruments import POOL_IN_USE, POOL_WAIT_SECONDS, POOL_WAITS

log = logging.getLogger(__name__)


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


# SQLAlchemy names a pool's logger after its class: this one would log every dispose at INFO
# among the service's own lines.
logging.getLogger(f"{__name__}.{WatchedPool.__name__}").setLevel(logging.WARNING)


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
