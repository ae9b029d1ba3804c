"""A flood of comment posts stores exactly the configured number, in one process or in two."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engagement import db as database
from engagement.models import Comment
from tests import builders
from tests.conftest import ALLOWED_ORIGIN, TEST_SECRET, committing
from tests.serving import processes

FLOOD = 200
LIMIT = "5 per minute; 30 per hour; 100 per day"


@pytest.fixture
def settings() -> dict[str, Any]:
    return {"RATELIMIT_ENABLED": True, "LIMIT_COMMENTS": LIMIT}


def stored_comments(app: Flask) -> int:
    with app.app_context():
        return int(database.session().scalar(select(func.count(Comment.id))) or 0)


def test_a_flood_from_one_client_stores_exactly_the_limit(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    answers = [
        client.post("/api/v1/articles/the-story/comments", json={"text": f"Comment number {i}."})
        for i in range(FLOOD)
    ]
    statuses = Counter(answer.status_code for answer in answers)
    assert statuses == {201: 5, 429: FLOOD - 5}
    assert all(int(a.headers["Retry-After"]) >= 1 for a in answers if a.status_code == 429)
    assert stored_comments(app) == 5


@pytest.fixture
def two_instances(app: Flask, redis_url: str, tmp_path: Path) -> Iterator[list[str]]:
    """Two instances of the shipped server (one worker each) on one database, counting limits
    in Redis."""
    env = {
        "ENGAGEMENT_DATABASE_URL": committing(app).config["DATABASE_URL"],
        "ENGAGEMENT_SECRET_KEY": TEST_SECRET,
        "ENGAGEMENT_AUTO_MIGRATE": "0",
        "ENGAGEMENT_INSTANCE_PATH": str(tmp_path / "instance"),
        "ENGAGEMENT_ALLOWED_ORIGINS": ALLOWED_ORIGIN,
        "ENGAGEMENT_RATELIMIT_STORAGE_URL": redis_url,
        "ENGAGEMENT_LIMIT_COMMENTS": LIMIT,
        "ENGAGEMENT_LOG_LEVEL": "error",
    }
    children, urls = [], []
    try:
        for n in range(2):
            port = processes.free_port()
            children.append(
                processes.start_server(
                    port, env, log=tmp_path / f"server-{n}.log", settings={"GRANIAN_WORKERS": "1"}
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        for url, child in zip(urls, children, strict=True):
            processes.wait_until_up(f"{url}/healthz", child, "granian")
        yield urls
    finally:
        for child in children:
            processes.stop(child)


def _post(url: str, text: str) -> tuple[int, str | None]:
    request = Request(
        f"{url}/api/v1/articles/the-story/comments",
        data=json.dumps({"text": text}).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "Mozilla/5.0 Firefox"},
    )
    try:
        with urlopen(request, timeout=30) as response:
            return response.status, None
    except HTTPError as refused:
        return refused.code, refused.headers.get("Retry-After")


@pytest.mark.redis
@pytest.mark.commits  # the servers are processes of their own
def test_a_flood_split_across_two_processes_sharing_redis_stores_exactly_the_limit(
    app: Flask, two_instances: list[str]
) -> None:
    builders.article(app)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(
            pool.map(lambda i: _post(two_instances[i % 2], f"Comment number {i}."), range(FLOOD))
        )
    assert Counter(status for status, _ in answers) == {201: 5, 429: FLOOD - 5}
    assert all(retry_after for status, retry_after in answers if status == 429)
    assert stored_comments(app) == 5
