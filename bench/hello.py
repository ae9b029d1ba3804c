"""The bare Flask baseline: one route answering a small JSON, no database, no middleware.

Two references for writes, each the bare route plus database work through the driver:

- ``POST /one-update/<db>``: one ``UPDATE ... SET n = n + 1`` on a one-row table, committed.
- ``POST /view-statements/<db>``: the service's own view statements (its de-duplication
  mark, counter and day's views, as ``engagement.pageviews.service`` writes them) for a new
  visitor each request, committed. It is what a view costs with no application around it:
  no routing beyond Flask's, no hooks, no validation, no pool.

On SQLite (WAL, ``synchronous=NORMAL``, ``BEGIN IMMEDIATE``, writers queued as the service
queues them) or PostgreSQL (autocommit, ``synchronous_commit = off``). The databases are named
by ``BENCH_REFERENCE_SQLITE`` (a file) and ``BENCH_REFERENCE_POSTGRES`` (a URL); the table
``bench_reference(id, n)`` holds the row ``id = 1``, and the article ``bench-reference`` is
registered in both (the service's schema).
"""

import os
import secrets
from datetime import UTC, datetime, timedelta

import psycopg
from flask import Flask, jsonify

from engagement.db import QueuedWriterConnection
from engagement.pageviews import service

app = Flask(__name__)
_connections = {}
UPDATE = "UPDATE bench_reference SET n = n + 1 WHERE id = 1 RETURNING n"
REFERENCE_KEY = "bench-reference"
WINDOW = timedelta(minutes=30)


def _connect(db):  # type: ignore[no-untyped-def]
    if db == "sqlite":
        conn = QueuedWriterConnection(
            os.environ["BENCH_REFERENCE_SQLITE"], isolation_level=None, timeout=30
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn
    conn = psycopg.connect(os.environ["BENCH_REFERENCE_POSTGRES"], autocommit=True)
    conn.execute("SET synchronous_commit = off")
    return conn


def _connection(db):  # type: ignore[no-untyped-def]
    if db not in _connections:
        _connections[db] = _connect(db)
    return _connections[db]


def _sqlite_time(moment):  # type: ignore[no-untyped-def]
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLAlchemy stores it on SQLite


@app.get("/hello")
def hello():  # type: ignore[no-untyped-def]
    return jsonify(ok=1)


@app.post("/one-update/<db>")
def one_update(db):  # type: ignore[no-untyped-def]
    conn = _connection(db)
    if db == "sqlite":
        conn.wait_for_writer_slot()
        conn.execute("BEGIN IMMEDIATE")
        (n,) = conn.execute(UPDATE).fetchone()
        conn.commit()
    else:
        (n,) = conn.execute(UPDATE).fetchone()
    return jsonify(n=n)


@app.post("/view-statements/<db>")
def view_statements(db):  # type: ignore[no-untyped-def]
    conn = _connection(db)
    visitor, now = secrets.token_hex(16), datetime.now(UTC)
    if db == "sqlite":
        conn.wait_for_writer_slot()
        conn.execute("BEGIN IMMEDIATE")
        marked = conn.execute(
            service._SQLITE_MARK,
            (visitor, _sqlite_time(now), REFERENCE_KEY, _sqlite_time(now - WINDOW)),
        ).fetchone()
        comments, views = conn.execute(service._SQLITE_BUMP, (marked[0],)).fetchone()
        conn.execute(service._SQLITE_DAILY, (marked[0], now.date().isoformat()))
        conn.commit()
    else:
        comments, views, _ = conn.execute(
            service._POSTGRES_VIEW,
            {
                "key": REFERENCE_KEY,
                "visitor": visitor,
                "now": now,
                "window_start": now - WINDOW,
                "day": now.date(),
            },
        ).fetchone()
    return jsonify(comments=comments, views=views, counted=True)
