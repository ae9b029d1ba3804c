"""Concurrent writes over real HTTP: counters never lose or double an update; on SQLite a request
that may write takes the write lock when it begins."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen

from flask import Flask

from tests import builders
from tests.conftest import LiveServer, empty_tables, make_app


def _post(url: str, user_agent: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    data = json.dumps(body).encode() if body is not None else b""
    request = Request(
        url,
        data=data,
        method="POST",
        headers={"User-Agent": user_agent, "Content-Type": "application/json"},
    )
    with urlopen(request, timeout=30) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def _thread(live_server: LiveServer) -> dict[str, Any]:
    url = f"{live_server.url}/api/v1/articles/the-story/comments?limit=1000"
    with urlopen(url, timeout=30) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def test_concurrent_comments_are_all_counted(app: Flask, live_server: LiveServer) -> None:
    builders.article(app)
    url = f"{live_server.url}/api/v1/articles/the-story/comments"
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda i: _post(url, f"reader {i}", {"text": f"comment {i}"}), range(30)))
    thread = _thread(live_server)
    assert len(thread["comments"]) == 30 == thread["article"]["comments"]
    assert builders.counters(app, "the-story") == (30, 0)


def test_concurrent_likes_from_distinct_visitors_all_count(
    app: Flask, live_server: LiveServer
) -> None:
    builders.article(app)
    comment_id, _ = builders.comment(app)
    url = f"{live_server.url}/api/v1/comments/{comment_id}/likes"
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda i: _post(url, f"reader {i}"), range(30)))
    assert all(answer["liked"] for answer in answers)
    (comment,) = _thread(live_server)["comments"]
    assert comment["likes"] == 30


def test_concurrent_likes_from_one_visitor_count_once(app: Flask, live_server: LiveServer) -> None:
    builders.article(app)
    comment_id, _ = builders.comment(app)
    url = f"{live_server.url}/api/v1/comments/{comment_id}/likes"
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: _post(url, "the same reader"), range(16)))
    assert sum(answer["liked"] for answer in answers) == 1
    (comment,) = _thread(live_server)["comments"]
    assert comment["likes"] == 1


def test_on_sqlite_a_request_that_may_write_begins_as_the_writer(
    sqlite_url: str, tmp_path: Path
) -> None:
    """SQLite lets a transaction that read first become a writer only while no other writer
    has committed: a request that may write takes the write lock at BEGIN (and reads what
    decides a post in a read transaction of its own first); a request that reads does not."""
    app = make_app(sqlite_url, tmp_path)
    try:
        builders.article(app)
        client = app.test_client()
        with builders.recorded_statements(app) as posting:
            posted = client.post("/api/v1/articles/the-story/comments", json={"text": "Hello."})
        with builders.recorded_statements(app) as reading:
            read = client.get("/api/v1/articles/the-story")
        assert posted.status_code == 201 and read.status_code == 200
        assert begins(posting) == ["BEGIN", "BEGIN IMMEDIATE"]
        assert begins(reading) == ["BEGIN"]
    finally:
        empty_tables(app)


def begins(statements: list[tuple[str, Any]]) -> list[str]:
    return [sql for sql, _ in statements if sql.startswith("BEGIN")]
