"""Limits counted in Redis hold across processes; when Redis stops, the configured policy holds.

These tests need ``ENGAGEMENT_TEST_REDIS_URL`` for the shared case, and start a Redis of their
own (``redis-server`` on a free port) for the outage, so the shared one is never stopped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from tests import builders
from tests.conftest import make_app
from tests.ratelimit.conftest import OwnRedis

# Every test here: the limited apps are apps of their own, on their own connections.
pytestmark = pytest.mark.commits

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"


def limited_app(database_url: str, tmp_path: Path, storage: str, **settings: Any) -> Flask:
    return make_app(
        database_url,
        tmp_path,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URL=storage,
        LIMIT_VIEWS="4 per minute",
        **settings,
    )


def view(app: Flask) -> TestResponse:
    return app.test_client().post(
        "/api/v1/articles/the-story/views", headers={"User-Agent": BROWSER}
    )


def alternate(first: Flask, second: Flask, times: int) -> list[int]:
    return [view(first if i % 2 == 0 else second).status_code for i in range(times)]


@pytest.mark.redis
def test_two_instances_sharing_redis_hold_the_limit_in_total(
    app: Flask, tmp_path: Path, database_url: str, redis_url: str
) -> None:
    builders.article(app)
    first = limited_app(database_url, tmp_path, redis_url)
    second = limited_app(database_url, tmp_path, redis_url)
    assert alternate(first, second, 10).count(200) == 4


def test_two_instances_counting_in_memory_each_allow_the_limit(
    app: Flask, tmp_path: Path, database_url: str
) -> None:
    builders.article(app)
    first = limited_app(database_url, tmp_path, "memory://")
    second = limited_app(database_url, tmp_path, "memory://")
    assert alternate(first, second, 10).count(200) == 8


@pytest.fixture
def warnings_logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    logger = logging.getLogger("engagement")
    logger.addHandler(caplog.handler)
    yield caplog
    logger.removeHandler(caplog.handler)


def test_redis_stopped_mid_run_falls_back_to_per_process_limits(
    app: Flask,
    tmp_path: Path,
    database_url: str,
    own_redis: OwnRedis,
    warnings_logged: pytest.LogCaptureFixture,
) -> None:
    builders.article(app)
    service = limited_app(database_url, tmp_path, own_redis.url)
    assert view(service).status_code == 200
    own_redis.stop()
    answers = [view(service).status_code for _ in range(6)]
    assert answers == [200, 200, 200, 200, 429, 429]
    assert any("does not answer" in record.message for record in warnings_logged.records)


def test_redis_stopped_mid_run_under_refuse_pauses_writes_with_503(
    app: Flask, tmp_path: Path, database_url: str, own_redis: OwnRedis
) -> None:
    builders.article(app)
    service = limited_app(database_url, tmp_path, own_redis.url, RATELIMIT_FALLBACK="refuse")
    assert view(service).status_code == 200
    own_redis.stop()
    refused = view(service)
    assert refused.status_code == 503
    assert refused.json is not None
    assert refused.json["error"]["code"] == "rate_limit_unavailable"
    assert refused.headers["Retry-After"] == "5"
    assert service.test_client().get("/api/v1/articles/the-story").status_code == 200


@pytest.mark.parametrize(("policy", "status"), [("memory", 200), ("refuse", 503)])
def test_a_service_started_while_redis_is_down_answers_by_its_policy(
    app: Flask, tmp_path: Path, database_url: str, policy: str, status: int
) -> None:
    builders.article(app)
    nowhere = "redis://127.0.0.1:9/0"  # the discard port: nothing listens
    service = limited_app(database_url, tmp_path, nowhere, RATELIMIT_FALLBACK=policy)
    assert view(service).status_code == status


def test_limits_are_shared_again_once_redis_answers_again(
    app: Flask, tmp_path: Path, database_url: str, own_redis: OwnRedis
) -> None:
    builders.article(app)
    service = limited_app(database_url, tmp_path, own_redis.url, RATELIMIT_FALLBACK="refuse")
    own_redis.stop()
    assert view(service).status_code == 503
    own_redis.start()
    time.sleep(2.2)  # the limiter retries a lost storage after 1 s, then 2 s, 4 s...
    assert view(service).status_code == 200
    newcomer = limited_app(database_url, tmp_path, own_redis.url)
    statuses = [view(newcomer).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
