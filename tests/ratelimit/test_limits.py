"""Rate limits in one process: budgets per client and per name, the 429 answer, exemptions."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from limits import parse
from limits.strategies import MovingWindowRateLimiter
from werkzeug.test import TestResponse

from engagement import config, ratelimit
from engagement.config import ConfigError
from tests import builders
from tests.conftest import ALLOWED_ORIGIN, make_app

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"


@pytest.fixture
def settings() -> dict[str, Any]:
    return {"RATELIMIT_ENABLED": True, "LIMIT_VIEWS": "3 per minute", "LIMIT_READS": "4 per minute"}


def view(client: FlaskClient, address: str = "198.51.100.7", **headers: str) -> TestResponse:
    headers.setdefault("User-Agent", BROWSER)
    return client.post(
        "/api/v1/articles/the-story/views",
        headers=headers,
        environ_base={"REMOTE_ADDR": address},
    )


def statuses(responses: list[TestResponse]) -> list[int]:
    return [response.status_code for response in responses]


def test_requests_beyond_the_limit_are_answered_429(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    assert statuses([view(client) for _ in range(5)]) == [200, 200, 200, 429, 429]


def test_429_is_the_json_error_shape_with_retry_after(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    for _ in range(3):
        view(client)
    refused = view(client)
    assert refused.status_code == 429
    assert refused.json == {
        "error": {
            "code": "rate_limited",
            "message": "Too many requests: at most 3 per 1 minute. Try again in 60 s.",
            "field": None,
        }
    }
    assert refused.headers["Retry-After"] == "60"


def test_429_carries_the_rate_limit_headers(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    for _ in range(3):
        view(client)
    refused = view(client)
    assert refused.headers["X-RateLimit-Limit"] == "3"
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert 55 <= int(refused.headers["X-RateLimit-Reset"]) - time.time() <= 61


def test_429_lets_an_allowed_origin_read_retry_after(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    for _ in range(3):
        view(client, Origin=ALLOWED_ORIGIN)
    refused = view(client, Origin=ALLOWED_ORIGIN)
    assert refused.status_code == 429
    assert refused.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    exposed = {name.strip() for name in refused.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"Retry-After", "X-RateLimit-Limit", "X-RateLimit-Reset"} <= exposed


def test_a_page_outside_the_api_is_refused_with_an_html_page(
    tmp_path: Path, sqlite_url: str
) -> None:
    app = make_app(
        sqlite_url, tmp_path, RATELIMIT_ENABLED=True, DEMO=True, LIMIT_READS="1 per minute"
    )
    client = app.test_client()
    client.get("/demo/")
    refused = client.get("/demo/")
    assert refused.status_code == 429
    assert refused.mimetype == "text/html"
    assert "Too many requests" in refused.get_data(as_text=True)
    assert refused.headers["Retry-After"] == "60"


def test_a_refused_request_is_not_counted(app: Flask, client: FlaskClient) -> None:
    app.config["LIMIT_VIEWS"] = "2 per 2 seconds"
    builders.article(app)
    assert statuses([view(client) for _ in range(4)]) == [200, 200, 429, 429]
    time.sleep(2.1)
    assert view(client).status_code == 200


def test_each_client_address_has_its_own_budget(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    for _ in range(3):
        view(client, "198.51.100.7")
    assert view(client, "198.51.100.7").status_code == 429
    assert view(client, "198.51.100.8").status_code == 200


def test_ipv6_clients_share_a_budget_per_64_network(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    for host in ("::1", "::2", "::3"):
        assert view(client, f"2001:db8:aa:1{host}").status_code == 200
    assert view(client, "2001:db8:aa:1:ffff::9").status_code == 429
    assert view(client, "2001:db8:aa:2::1").status_code == 200


def test_one_name_is_one_budget_across_its_routes(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    builders.article(app, "another-story")
    client.get("/api/v1/counters?keys=the-story")
    client.get("/api/v1/articles/the-story")
    client.get("/api/v1/articles/another-story")
    client.get("/api/openapi.json")
    assert client.get("/api/v1/counters?keys=the-story").status_code == 429


def test_reads_and_views_have_separate_budgets(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    for _ in range(4):
        client.get("/api/v1/counters?keys=the-story", environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert view(client).status_code == 200


def test_writes_without_a_name_spend_the_writes_budget(app: Flask, client: FlaskClient) -> None:
    app.config["LIMIT_WRITES"] = "2 per minute"
    token = builders.api_token(app)
    answers = [
        client.put(
            "/api/v1/articles/the-story",
            json={"title": "The story"},
            headers={"Authorization": f"Bearer {token}"},
        )
        for _ in range(3)
    ]
    assert statuses(answers) == [201, 200, 429]


def test_every_route_spends_a_budget_except_health_checks_and_metrics(app: Flask) -> None:
    unlimited = set()
    with app.app_context():
        for rule in app.url_map.iter_rules():
            for method in rule.methods or ():
                if method != "OPTIONS" and not ratelimit.budget_for(rule.endpoint, method):
                    unlimited.add(rule.rule)
    assert unlimited == {"/healthz", "/readyz", "/metrics"}


def test_named_budgets_of_the_public_api(app: Flask) -> None:
    with app.app_context():
        assert ratelimit.budget_for("comments.create", "POST") == "comments"
        assert ratelimit.budget_for("pageviews.record", "POST") == "views"
        assert ratelimit.budget_for("comments.like", "POST") == "writes"
        assert ratelimit.budget_for("articles.counters", "GET") == "reads"


def test_preflight_options_is_never_limited(app: Flask, client: FlaskClient) -> None:
    preflight = {
        "Origin": "https://magazine.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    answers = [
        client.options("/api/v1/articles/the-story/views", headers=preflight) for _ in range(10)
    ]
    assert 429 not in statuses(answers)


def test_health_checks_and_metrics_are_never_limited(client: FlaskClient) -> None:
    answers = [client.get(path) for path in ("/healthz", "/readyz", "/metrics") for _ in range(6)]
    assert set(statuses(answers)) == {200}


def test_limits_are_moving_windows_not_fixed(app: Flask, client: FlaskClient) -> None:
    # A fixed window opened by the first request would start afresh at 2.0 s and let three
    # more through right after the two at 1.5 s; a moving window still counts those two.
    app.config["LIMIT_VIEWS"] = "3 per 2 seconds"
    builders.article(app)
    view(client)
    time.sleep(1.5)
    view(client)
    view(client)
    time.sleep(0.7)
    assert statuses([view(client), view(client)]) == [200, 429]


def test_memory_counting_forgets_clients_whose_window_has_passed(app: Flask) -> None:
    with app.app_context():
        storage = ratelimit.limiter().storage
    assert isinstance(storage, ratelimit.SweptMemoryStorage)
    strategy = MovingWindowRateLimiter(storage)
    strategy.hit(parse("1 per 1 second"), "gone")
    time.sleep(1.1)
    strategy.hit(parse("1 per 1 second"), "still-here")
    assert "LIMITER/gone/1/1/second" not in storage.counted()
    assert not strategy.hit(parse("1 per 1 second"), "still-here")


def test_memory_counting_starts_no_thread(app: Flask) -> None:
    with app.app_context():
        storage = ratelimit.limiter().storage
    strategy = MovingWindowRateLimiter(storage)
    before = threading.active_count()
    for client in range(200):
        strategy.hit(parse("5 per 1 second"), f"client-{client}")
    assert threading.active_count() == before


def test_memory_counting_refuses_past_the_limit_until_the_window_moves(app: Flask) -> None:
    with app.app_context():
        storage = ratelimit.limiter().storage
    strategy = MovingWindowRateLimiter(storage)
    two = parse("2 per 1 second")
    assert [strategy.hit(two, "ada") for _ in range(3)] == [True, True, False]
    assert strategy.get_window_stats(two, "ada").remaining == 0
    time.sleep(1.05)
    assert strategy.hit(two, "ada") and strategy.get_window_stats(two, "ada").remaining == 1


def test_disabled_limits_refuse_nothing(tmp_path: Path, sqlite_url: str) -> None:
    app = make_app(sqlite_url, tmp_path, RATELIMIT_ENABLED=False, LIMIT_READS="1 per minute")
    client = app.test_client()
    assert set(statuses([client.get("/api/openapi.json") for _ in range(3)])) == {200}


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ENGAGEMENT_LIMIT_COMMENTS", "five a minute"),
        ("ENGAGEMENT_LIMIT_READS", "10 per fortnight"),
        ("ENGAGEMENT_RATELIMIT_STORAGE_URL", "memcached://127.0.0.1:11211"),
        ("ENGAGEMENT_RATELIMIT_FALLBACK", "ignore"),
    ],
)
def test_a_bad_limit_setting_stops_the_start_up_naming_it(variable: str, value: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        config.load({variable: value})


def test_limits_are_read_in_the_limits_notation() -> None:
    loaded = config.load({"ENGAGEMENT_LIMIT_COMMENTS": "2/minute;10/hour"})
    assert loaded["LIMIT_COMMENTS"] == "2/minute;10/hour"


def test_a_post_refused_as_malformed_spends_no_comment_budget(
    app: Flask, client: FlaskClient
) -> None:
    app.config["LIMIT_COMMENTS"] = "1 per minute"
    builders.article(app)
    url = "/api/v1/articles/the-story/comments"
    headers = {"User-Agent": BROWSER}

    def post(body: dict[str, Any]) -> TestResponse:
        return client.post(url, json=body, headers=headers)

    malformed = [
        post({"text": ""}),
        post({"text": "  \n "}),
        post({"text": 42}),
        client.post(url, data="text=hi", content_type="text/plain", headers=headers),
    ]
    assert statuses(malformed) == [400, 400, 400, 415]
    assert statuses([post({"text": "Fixed it."}), post({"text": "Once more."})]) == [201, 429]
