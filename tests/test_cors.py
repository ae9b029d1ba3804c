"""Only the allowed origins may read the API from a browser; preflights are answered."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import builders
from tests.conftest import ALLOWED_ORIGIN

OTHER_ORIGIN = "https://elsewhere.example"


def preflight(client: FlaskClient, path: str, origin: str, method: str = "POST"):  # type: ignore[no-untyped-def]
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "content-type, x-edit-token",
        },
    )


def test_allowed_origin_reads_the_counters(app: Flask, client: FlaskClient) -> None:
    response = client.get("/api/v1/counters?keys=a", headers={"Origin": ALLOWED_ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "Origin" in response.headers["Vary"]


def test_other_origin_gets_no_grant(app: Flask, client: FlaskClient) -> None:
    response = client.get("/api/v1/counters?keys=a", headers={"Origin": OTHER_ORIGIN})
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Origin" in response.headers["Vary"]


def test_request_without_origin_gets_no_grant(app: Flask, client: FlaskClient) -> None:
    response = client.get("/api/v1/counters?keys=a")
    assert "Access-Control-Allow-Origin" not in response.headers


def test_preflight_from_allowed_origin_grants_methods_and_headers(
    app: Flask, client: FlaskClient
) -> None:
    response = preflight(client, "/api/v1/comments/1", ALLOWED_ORIGIN, method="PATCH")
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    methods = {m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")}
    assert {"GET", "POST", "PATCH", "DELETE"} <= methods
    headers = response.headers["Access-Control-Allow-Headers"].lower()
    assert "content-type" in headers
    assert "x-edit-token" in headers


def test_preflight_from_other_origin_is_answered_without_grant(
    app: Flask, client: FlaskClient
) -> None:
    response = preflight(client, "/api/v1/articles/the-story/views", OTHER_ORIGIN)
    assert response.status_code == 204
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Methods" not in response.headers


def test_preflight_changes_nothing(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    preflight(client, "/api/v1/articles/the-story/views", ALLOWED_ORIGIN)
    assert builders.counters(app, "the-story") == (0, 0)


def test_error_responses_carry_the_grant_and_exposed_headers(
    app: Flask, client: FlaskClient
) -> None:
    response = client.get("/api/v1/counters?keys=", headers={"Origin": ALLOWED_ORIGIN})
    assert response.status_code == 400
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    exposed = response.headers["Access-Control-Expose-Headers"]
    assert "Retry-After" in exposed
    assert "RateLimit-Remaining" in exposed


def test_unknown_api_route_error_carries_the_grant(app: Flask, client: FlaskClient) -> None:
    response = client.get("/api/v1/nothing-here", headers={"Origin": ALLOWED_ORIGIN})
    assert response.status_code == 404
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN


def test_credentials_are_never_allowed(app: Flask, client: FlaskClient) -> None:
    response = preflight(client, "/api/v1/articles/the-story/views", ALLOWED_ORIGIN)
    assert "Access-Control-Allow-Credentials" not in response.headers


@pytest.mark.parametrize("settings", [{"ALLOWED_ORIGINS": ["*"]}])
def test_star_allows_any_origin(app: Flask, client: FlaskClient) -> None:
    response = client.get("/api/v1/counters?keys=a", headers={"Origin": OTHER_ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == OTHER_ORIGIN


@pytest.mark.parametrize("settings", [{"ALLOWED_ORIGINS": []}])
def test_no_allowed_origins_grants_nobody(app: Flask, client: FlaskClient) -> None:
    response = client.get("/api/v1/counters?keys=a", headers={"Origin": ALLOWED_ORIGIN})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_pages_outside_the_api_get_no_cors_headers(app: Flask, client: FlaskClient) -> None:
    response = client.get("/healthz", headers={"Origin": ALLOWED_ORIGIN})
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize("settings", [{"RATELIMIT_ENABLED": True, "LIMIT_VIEWS": "1 per minute"}])
def test_rate_limited_answer_lets_the_page_read_retry_after(
    app: Flask, client: FlaskClient
) -> None:
    builders.article(app)
    headers = {"Origin": ALLOWED_ORIGIN, "User-Agent": "Mozilla/5.0 Chrome/131.0"}
    client.post("/api/v1/articles/the-story/views", headers=headers)
    refused = client.post("/api/v1/articles/the-story/views", headers=headers)
    assert refused.status_code == 429
    assert refused.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert int(refused.headers["Retry-After"]) > 0
    assert "Retry-After" in refused.headers["Access-Control-Expose-Headers"]


@pytest.mark.parametrize("settings", [{"RATELIMIT_ENABLED": True, "LIMIT_READS": "1 per minute"}])
def test_preflights_are_never_rate_limited(app: Flask, client: FlaskClient) -> None:
    answers = [
        preflight(client, "/api/v1/counters", ALLOWED_ORIGIN, method="GET").status_code
        for _ in range(5)
    ]
    assert answers == [204] * 5
