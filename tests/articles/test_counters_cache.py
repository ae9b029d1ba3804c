"""The batch counters answer kept in memory for ENGAGEMENT_COUNTERS_CACHE_SECONDS."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engagement.answers import AnswerCache
from engagement.articles import cache
from tests import builders

READER = {"User-Agent": "Mozilla/5.0 Firefox/130"}


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def settings() -> dict[str, Any]:
    return {"COUNTERS_CACHE_SECONDS": 5}


@pytest.fixture
def clock(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    answers = cache.for_app(app)
    assert answers is not None
    monkeypatch.setattr(answers, "clock", clock)
    return clock


def views_of(client: FlaskClient, key: str) -> int:
    response = client.get(f"/api/v1/counters?keys={key},other")
    assert response.status_code == 200
    return int(response.json["counters"][key]["views"])


def test_same_keys_within_the_ttl_are_answered_from_memory(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    builders.article(app, "story")
    assert views_of(client, "story") == 0
    client.post("/api/v1/articles/story/views", headers=READER)
    clock.now += 4.9
    assert views_of(client, "story") == 0
    assert builders.counters(app, "story") == (0, 1)


def test_fresh_counters_appear_once_the_ttl_has_passed(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    builders.article(app, "story")
    assert views_of(client, "story") == 0
    client.post("/api/v1/articles/story/views", headers=READER)
    clock.now += 5
    assert views_of(client, "story") == 1


def test_a_cached_answer_keeps_its_etag_and_answers_304(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    first = client.get("/api/v1/counters?keys=a,b")
    again = client.get(
        "/api/v1/counters?keys=a,b", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304
    assert again.headers["ETag"] == first.headers["ETag"]
    assert "max-age=10" in again.headers["Cache-Control"]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("", "missing_keys"),
        (",".join(f"k{i}" for i in range(101)), "too_many_keys"),
        ("good,.bad", "invalid_key"),
    ],
    ids=["no-keys", "101-keys", "malformed-key"],
)
def test_bad_batches_are_refused_whatever_the_cache_holds(
    client: FlaskClient, clock: Clock, query: str, code: str
) -> None:
    assert client.get("/api/v1/counters?keys=good").status_code == 200
    assert client.get("/api/v1/counters?keys=k1,k2").status_code == 200
    response = client.get(f"/api/v1/counters?keys={query}")
    assert response.status_code == 400
    assert response.json["error"]["code"] == code


@pytest.mark.parametrize("settings", [{"COUNTERS_CACHE_SECONDS": 0}])
def test_with_zero_seconds_every_request_reads_the_database(
    app: Flask, client: FlaskClient
) -> None:
    builders.article(app, "story")
    assert views_of(client, "story") == 0
    client.post("/api/v1/articles/story/views", headers=READER)
    assert views_of(client, "story") == 1
    assert cache.for_app(app) is None


def test_least_recently_used_answers_make_room() -> None:
    clock = Clock()
    answers = AnswerCache[bytes](100, name="test", seconds=5, clock=clock)
    answers.put("a", b"x" * 40, 40)
    answers.put("b", b"y" * 40, 40)
    assert answers.get("a") is not None
    answers.put("c", b"z" * 40, 40)
    assert answers.get("b") is None
    assert answers.get("a") is not None
    assert answers.size <= 100
