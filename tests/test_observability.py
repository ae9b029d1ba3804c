"""What an operator sees: one JSON line per request, request ids, and the Prometheus figures."""

from __future__ import annotations

import io
import json
import logging
import re
import sqlite3
from collections.abc import Iterator
from typing import Any
from urllib.request import urlopen

import pytest
import sqlalchemy.exc
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client import REGISTRY

from engagement.db import WatchedPool
from engagement.logs import JsonFormatter, scrub
from engagement.models import CommentStatus, TokenScope
from tests import builders
from tests.serving.processes import free_port

READER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"}


class LogLines:
    """Every line the service logs while the test runs, as the JSON objects written."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def raw(self) -> str:
        return self.stream.getvalue()

    def all(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.raw.splitlines()]

    def requests(self) -> list[dict[str, Any]]:
        return [line for line in self.all() if line["logger"] == "engagement.requests"]


@pytest.fixture
def log_lines(app: Flask) -> Iterator[LogLines]:
    """What the service writes to its log stream (stderr in production) during the test."""
    lines = LogLines()
    handlers = {
        handler
        for name in ("engagement", "flask-limiter")
        for handler in logging.getLogger(name).handlers
        if isinstance(handler, logging.StreamHandler)
        and isinstance(handler.formatter, JsonFormatter)
    }
    streams = {handler: handler.setStream(lines.stream) for handler in handlers}
    yield lines
    for handler, stream in streams.items():
        handler.setStream(stream)


def metrics_text(client: FlaskClient, app: Flask) -> str:
    secret = builders.api_token(app, name="prometheus", scopes=[TokenScope.METRICS])
    response = client.get("/metrics", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition ``text`` (0 when absent)."""
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
            if all(found.get(k) == v for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


# -- the request log ------------------------------------------------------------------------


def test_each_request_is_one_json_line_with_route_status_duration_bytes_and_id(
    app: Flask, client: FlaskClient, log_lines: LogLines
) -> None:
    builders.article(app)
    response = client.get("/api/v1/articles/the-story")
    (line,) = log_lines.requests()
    assert line["method"] == "GET"
    assert line["route"] == "/api/v1/articles/<key>"  # the rule, never the path
    assert line["status"] == 200
    assert line["bytes"] == len(response.get_data())
    assert 0 < line["duration_ms"] < 10_000
    assert line["request_id"] == response.headers["X-Request-ID"]


def test_an_unknown_route_is_logged_without_its_path(
    client: FlaskClient, log_lines: LogLines
) -> None:
    client.get("/no/such/page/ada@example.com")
    (line,) = log_lines.requests()
    assert (line["route"], line["status"]) == (None, 404)
    assert "ada@example.com" not in log_lines.raw


@pytest.mark.parametrize("settings", [{"REQUEST_LOG": False}])
def test_the_request_log_can_be_turned_off(client: FlaskClient, log_lines: LogLines) -> None:
    response = client.get("/healthz")
    assert log_lines.requests() == []
    assert response.headers["X-Request-ID"]


@pytest.mark.parametrize(
    "settings",
    [
        {
            "TRUSTED_PROXIES": 1,
            # A request that logs a warning of its own: the rate-limit storage does not answer.
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URL": "redis://127.0.0.1:9/0",
        }
    ],
)
def test_a_trusted_proxys_request_id_is_kept_returned_and_on_every_line(
    client: FlaskClient, log_lines: LogLines
) -> None:
    proxy_id = "5f0c7a1e9b2d4c3f8e6a1b0c9d8e7f6a"
    response = client.get("/api/v1/counters?keys=a", headers={"X-Request-ID": proxy_id})
    assert response.headers["X-Request-ID"] == proxy_id
    lines = log_lines.all()
    assert any(line["level"] == "warning" for line in lines)
    assert len(lines) >= 2 and {line["request_id"] for line in lines} == {proxy_id}


@pytest.mark.parametrize(
    ("trusted", "given"),
    [
        (0, "5f0c7a1e9b2d4c3f8e6a1b0c9d8e7f6a"),  # a client's own id is not believed
        (1, "203.0.113.7"),  # an id that reads as an address is refused
        (1, "ada@example.com"),
        (1, "x" * 200),
    ],
)
def test_a_request_id_that_cannot_be_trusted_is_replaced(
    tmp_path: Any, database_url: str, trusted: int, given: str
) -> None:
    from tests.conftest import empty_tables, make_app

    app = make_app(database_url, tmp_path, TRUSTED_PROXIES=trusted)
    returned = app.test_client().get("/healthz", headers={"X-Request-ID": given})
    assert returned.headers["X-Request-ID"] != given
    assert re.fullmatch(r"[0-9a-f]{32}", returned.headers["X-Request-ID"])
    empty_tables(app)


@pytest.mark.parametrize("settings", [{"TRUSTED_PROXIES": 1}])
def test_no_log_line_holds_an_address_an_email_or_an_edit_secret(
    app: Flask, client: FlaskClient, log_lines: LogLines
) -> None:
    builders.article(app)
    reader = {**READER, "X-Forwarded-For": "203.0.113.7"}
    posted = client.post(
        "/api/v1/articles/the-story/comments",
        json={"text": "Seen from the ferry.", "author_email": "ada@example.com"},
        headers=reader,
    )
    comment_id, secret = posted.json["comment"]["id"], posted.json["edit_token"]
    client.patch(
        f"/api/v1/comments/{comment_id}",
        json={"text": "Seen from the upper deck."},
        headers={**reader, "X-Edit-Token": secret},
    )
    client.patch(  # refused: a wrong secret
        f"/api/v1/comments/{comment_id}",
        json={"text": "x"},
        headers={**reader, "X-Edit-Token": secret[::-1]},
    )
    client.post(  # refused: a bad email
        "/api/v1/articles/the-story/comments",
        json={"text": "Hello", "author_email": "ada@example"},
        headers=reader,
    )
    client.post("/api/v1/articles/the-story/views", headers=reader)
    logging.getLogger("engagement.test").warning(
        "a message naming ada@example.com at 203.0.113.7 and 2001:db8::7"
    )
    assert len(log_lines.requests()) == 5
    for needle in ("203.0.113.7", "ada@example", "2001:db8::7", secret, secret[::-1]):
        assert needle not in log_lines.raw


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        ("mail from ada@example.com", "mail from [email]"),
        ("client 203.0.113.7 refused", "client [address] refused"),
        ("redis://127.0.0.1:6379/0 does not answer", "redis://[address]:6379/0 does not answer"),
        ("peer [2001:db8::1]:443", "peer [[address]]:443"),
        ("took 1.5 s at 08:01:43 in engagement.requests", None),
    ],
)
def test_scrub_removes_addresses_and_emails_only(text: str, scrubbed: str | None) -> None:
    assert scrub(text) == (scrubbed or text)


# -- /metrics -------------------------------------------------------------------------------


def test_metrics_need_a_token_with_the_metrics_scope(app: Flask, client: FlaskClient) -> None:
    assert client.get("/metrics").status_code == 401
    cms = builders.api_token(app, scopes=[TokenScope.ARTICLES, TokenScope.MODERATION])
    refused = client.get("/metrics", headers={"Authorization": f"Bearer {cms}"})
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "insufficient_scope"


def test_metrics_are_documented_as_text_for_the_metrics_scope(client: FlaskClient) -> None:
    described = client.get("/api/openapi.json").json["paths"]["/metrics"]["get"]
    assert described["x-scope"] == "metrics"
    assert set(described["responses"]["200"]["content"]) == {"text/plain"}
    # 404 while ENGAGEMENT_METRICS_LISTEN serves them on an address of their own.
    assert {"401", "403", "404"} <= set(described["responses"])


def test_metrics_show_the_database_totals_and_queues(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    client.post("/api/v1/articles/the-story/views", headers=READER)
    builders.comment(app, status=CommentStatus.PENDING)
    body = metrics_text(client, app)
    assert sample(body, "engagement_articles") == 1
    assert sample(body, "engagement_views_total") == 1
    assert sample(body, "engagement_comments", status="approved") == 0
    assert sample(body, "engagement_moderation_queue", queue="pending") == 1


def test_metrics_count_requests_per_route_and_status(app: Flask, client: FlaskClient) -> None:
    route = "/api/v1/articles/<key>"
    before = metrics_text(client, app)
    builders.article(app)
    for _ in range(3):
        client.get("/api/v1/articles/the-story")
    client.get("/api/v1/articles/missing")
    after = metrics_text(client, app)
    name = "engagement_http_request_duration_seconds_count"
    ok = {"method": "GET", "route": route, "status": "200"}
    missing = {"method": "GET", "route": route, "status": "404"}
    assert sample(after, name, **ok) - sample(before, name, **ok) == 3
    assert sample(after, name, **missing) - sample(before, name, **missing) == 1
    assert sample(after, "engagement_http_request_duration_seconds_bucket", le="+Inf", **ok) >= 3


@pytest.mark.parametrize("settings", [{"RATELIMIT_ENABLED": True, "LIMIT_VIEWS": "1 per minute"}])
def test_metrics_count_429s_per_limit(app: Flask, client: FlaskClient) -> None:
    before = sample(metrics_text(client, app), "engagement_rate_limited_total", limit="views")
    builders.article(app)
    statuses = [client.post("/api/v1/articles/the-story/views", headers=READER).status_code]
    statuses.append(client.post("/api/v1/articles/the-story/views", headers=READER).status_code)
    assert statuses == [200, 429]
    after = sample(metrics_text(client, app), "engagement_rate_limited_total", limit="views")
    assert after - before == 1


def test_metrics_count_answer_cache_hits_and_misses(app: Flask, client: FlaskClient) -> None:
    before = metrics_text(client, app)
    client.get("/api/v1/counters?keys=cache-a,cache-b")
    client.get("/api/v1/counters?keys=cache-a,cache-b")
    after = metrics_text(client, app)
    for result in ("miss", "hit"):
        lookups = {"cache": "counters", "result": result}
        name = "engagement_answer_cache_lookups_total"
        assert sample(after, name, **lookups) - sample(before, name, **lookups) == 1


def test_metrics_show_the_database_pool(app: Flask, client: FlaskClient) -> None:
    body = metrics_text(client, app)
    # The scrape itself holds a connection of the session's pool.
    assert sample(body, "engagement_db_pool_in_use", pool="session") >= 1
    assert "engagement_db_pool_waits_total" in body
    assert "engagement_db_pool_wait_seconds_total" in body


def test_a_checkout_that_waits_for_a_connection_is_counted() -> None:
    pool = WatchedPool(
        lambda: sqlite3.connect(":memory:"), pool_size=1, max_overflow=0, timeout=0.05
    )
    pool.watch_as("one-connection")
    labels = {"pool": "one-connection"}
    held = pool.connect()
    assert REGISTRY.get_sample_value("engagement_db_pool_in_use", labels) == 1
    with pytest.raises(sqlalchemy.exc.TimeoutError):
        pool.connect()
    held.close()
    pool.dispose()
    assert REGISTRY.get_sample_value("engagement_db_pool_waits_total", labels) == 1
    assert REGISTRY.get_sample_value("engagement_db_pool_wait_seconds_total", labels) >= 0.05
    assert REGISTRY.get_sample_value("engagement_db_pool_in_use", labels) == 0


def test_metrics_on_their_own_address_need_no_token(database_url: str, tmp_path: Any) -> None:
    from tests.conftest import empty_tables, make_app

    port = free_port()
    app = make_app(database_url, tmp_path, METRICS_LISTEN=f"127.0.0.1:{port}")
    server = app.extensions["engagement.metrics.server"]
    try:
        assert app.test_client().get("/metrics").status_code == 404
        with urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            body = response.read().decode()
        assert "engagement_articles 0.0" in body
        assert "engagement_http_request_duration_seconds" in body
    finally:
        server.shutdown()
        server.server_close()
        empty_tables(app)
