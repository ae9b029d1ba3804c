"""A thread page is an index range scan in its sort's order, whatever the thread's size.

Each page query is explained by the database itself (``EXPLAIN`` on PostgreSQL, ``EXPLAIN
QUERY PLAN`` on SQLite) after ``ANALYZE``, on a thread big enough that reading it whole would
show: the page must be read through a thread index (``ix_comments_thread_<sort>``; on SQLite,
where a page of ``oldest`` and one of ``newest`` are ranges of one ``pinned`` value, either of
their two indexes serves both), a later page's scan must start at its cursor, and nothing may
sort or scan the thread's comments.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from engagement import db as database
from engagement.comments.threads import SORTS
from engagement.models import Comment
from tests import builders
from tests.conftest import empty_tables, make_app

THREAD_INDEX = re.compile(r"USING (?:COVERING )?INDEX ix_comments_thread_(\w+)")
SORTING = ("USE TEMP B-TREE", "Sort", "Seq Scan", "SCAN comments")


def page_queries(app: Flask, client: FlaskClient, query: str) -> list[tuple[str, Any]]:
    """The statements that read the page's top-level comments, with their parameters."""
    with builders.recorded_statements(app) as statements:
        response = client.get(f"/api/v1/articles/the-story/comments{query}")
    assert response.status_code == 200, response.json
    return [(sql, args) for sql, args in statements if "parent_id IS NULL" in sql]


def plan(app: Flask, sql: str, args: Any) -> list[str]:
    """The plan of one statement, one line per step (SQLite) or node (PostgreSQL)."""
    engine = app.extensions["engagement.engine"]
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return [row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", args)]
        found = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {sql}", args).scalar_one()
    lines: list[str] = []
    pending = [(found if isinstance(found, list) else json.loads(found))[0]["Plan"]]
    while pending:
        node = pending.pop()
        index = f" USING INDEX {node['Index Name']}" if "Index Name" in node else ""
        lines.append(f"{node['Node Type']}{index} {node.get('Index Cond', '')}")
        pending.extend(node.get("Plans", []))
    return lines


def thread_scan(lines: list[str]) -> str:
    """The step that reads the page's comments: through one of the thread indexes."""
    scans = [line for line in lines if THREAD_INDEX.search(line)]
    assert len(scans) == 1, lines
    return scans[0]


@pytest.fixture
def analyzed_thread(app: Flask) -> None:
    """2,000 comments (a third of them replies), three pinned, and fresh planner statistics."""
    builders.big_thread(app, 2000)
    with app.app_context():
        top_level = database.session().scalars(
            select(Comment.id).where(Comment.parent_id.is_(None)).order_by(Comment.id)
        )
        pinned = [comment_id for n, comment_id in enumerate(top_level) if n in (0, 3, 6)]
    for comment_id in pinned:
        builders.pin(app, comment_id)
    engine = app.extensions["engagement.engine"]
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


# Committed: the planner's statistics and the plans are taken on connections of their own.
@pytest.mark.commits
@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.usefixtures("analyzed_thread")
def test_every_page_of_a_sort_scans_its_index_without_sorting(
    app: Flask, client: FlaskClient, sort: str
) -> None:
    first = client.get(f"/api/v1/articles/the-story/comments?sort={sort}&limit=2").json
    among_pinned = first["next_cursor"]  # the page ended on the second of three pinned
    later = client.get(
        f"/api/v1/articles/the-story/comments?sort={sort}&limit=20&cursor={among_pinned}"
    ).json["next_cursor"]
    pages = {
        "first": f"?sort={sort}",
        "within the pinned": f"?sort={sort}&limit=2&cursor={among_pinned}",
        "later": f"?sort={sort}&cursor={later}",
    }
    for name, query in pages.items():
        [(sql, args)] = page_queries(app, client, query)
        lines = plan(app, sql, args)
        scan = thread_scan(lines)
        assert not [line for line in lines if line.startswith(SORTING)], (name, lines)
        if name == "later":  # the scan starts at the cursor: bounded by it, not filtered
            assert re.search(r"(ROW\(.*\) [<>] ROW\()|(created_at|<expr>)[<>]\?", scan), scan


@pytest.mark.postgres
def test_postgresql_never_jit_compiles_the_service_s_queries(
    postgres_url: str, tmp_path: Path
) -> None:
    app = make_app(postgres_url, tmp_path)
    try:
        with app.app_context():
            session_jit = database.session().execute(text("SHOW jit")).scalar_one()
            hot_path_jit = database.raw(
                lambda conn: conn.execute("SHOW jit").fetchone()[0], writes=False
            )
        assert (session_jit, hot_path_jit) == ("off", "off")
    finally:
        empty_tables(app)
