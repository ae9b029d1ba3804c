"""The bare Flask baseline: one route answering a small JSON, no database, no middleware.

``POST /one-update/<db>`` is the reference for writes: the same bare route plus one
``UPDATE ... SET n = n + 1`` on a one-row table, committed, on SQLite (WAL,
``synchronous=NORMAL``, ``BEGIN IMMEDIATE``) or PostgreSQL (autocommit,
``synchronous_commit = off``), through the driver. The databases are named by
``BENCH_REFERENCE_SQLITE`` (a file) and ``BENCH_REFERENCE_POSTGRES`` (a URL); the table
``bench_reference(id, n)`` holds the row ``id = 1``.
"""

import os
import sqlite3

import psycopg
from flask import Flask, jsonify

app = Flask(__name__)
_connections = {}
UPDATE = "UPDATE bench_reference SET n = n + 1 WHERE id = 1 RETURNING n"


def _connect(db):  # type: ignore[no-untyped-def]
    if db == "sqlite":
        conn = sqlite3.connect(os.environ["BENCH_REFERENCE_SQLITE"], isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn
    conn = psycopg.connect(os.environ["BENCH_REFERENCE_POSTGRES"], autocommit=True)
    conn.execute("SET synchronous_commit = off")
    return conn


@app.get("/hello")
def hello():  # type: ignore[no-untyped-def]
    return jsonify(ok=1)


@app.post("/one-update/<db>")
def one_update(db):  # type: ignore[no-untyped-def]
    if db not in _connections:
        _connections[db] = _connect(db)
    conn = _connections[db]
    if db == "sqlite":
        conn.execute("BEGIN IMMEDIATE")
        (n,) = conn.execute(UPDATE).fetchone()
        conn.execute("COMMIT")
    else:
        (n,) = conn.execute(UPDATE).fetchone()
    return jsonify(n=n)
