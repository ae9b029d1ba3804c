"""Concurrent writes over real HTTP: counters never lose or double an update."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.request import Request, urlopen

from flask import Flask

from tests import builders
from tests.conftest import LiveServer


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
