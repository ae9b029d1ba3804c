"""Bad input gets a JSON error with a stable code, never a 500, and writes nothing."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import builders

UA = {"User-Agent": "Mozilla/5.0 Firefox/130"}


def assert_error(response, status: int, code: str, field: str | None = None) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert response.json["error"]["code"] == code
    assert response.json["error"]["message"]
    if field is not None:
        assert response.json["error"]["field"] == field


@pytest.mark.parametrize(
    "key",
    ["-starts-with-dash", "has space", "semi;colon", "x" * 201, "ünïcode", ".dot-first"],
)
def test_malformed_key_is_400(client: FlaskClient, key: str) -> None:
    assert_error(
        client.post(f"/api/v1/articles/{key}/views", headers=UA), 400, "invalid_key", "key"
    )
    assert_error(client.get(f"/api/v1/articles/{key}"), 400, "invalid_key", "key")
    assert_error(client.get(f"/api/v1/counters?keys=ok,{key}"), 400, "invalid_key", "key")


def test_key_of_200_characters_is_accepted(client: FlaskClient) -> None:
    assert client.get(f"/api/v1/counters?keys={'k' * 200}").status_code == 200


def test_101_keys_is_400(client: FlaskClient) -> None:
    keys = ",".join(f"k{i}" for i in range(101))
    assert_error(client.get(f"/api/v1/counters?keys={keys}"), 400, "too_many_keys", "keys")


def test_no_keys_is_400(client: FlaskClient) -> None:
    assert_error(client.get("/api/v1/counters"), 400, "missing_keys", "keys")


def test_unknown_article_is_404(client: FlaskClient) -> None:
    assert_error(client.get("/api/v1/articles/nothing-here"), 404, "article_not_found", "key")


def test_wrong_method_is_405_with_allow(client: FlaskClient) -> None:
    response = client.delete("/api/v1/articles/the-story/views")
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


def test_unknown_route_is_json_404(client: FlaskClient) -> None:
    assert_error(client.get("/api/v1/nowhere"), 404, "not_found")


def test_non_json_view_body_is_415_and_counts_nothing(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    response = client.post(
        "/api/v1/articles/the-story/views", data="title=x", content_type="text/plain", headers=UA
    )
    assert_error(response, 415, "unsupported_media_type")
    assert builders.counters(app, "the-story") == (0, 0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", "body"),
        (b"[1, 2]", "body"),
        (b"\xff\xfe{}", "body"),
        (b"[" * 1000 + b"]" * 1000, "body"),
        (b'{"title": NaN}', "body"),
        (b'{"title": "a\\u0000b"}', "title"),
        (b'{"title": "\\ud800"}', "title"),
        (b'{"title": ' + b"9" * 5000 + b"}", "body"),
        (b'{"title": 42}', "title"),
        (b'{"url": "javascript:alert(1)"}', "url"),
    ],
)
def test_broken_json_is_400_and_counts_nothing(
    app: Flask, client: FlaskClient, body: bytes, field: str
) -> None:
    builders.article(app)
    response = client.post(
        "/api/v1/articles/the-story/views",
        data=body,
        content_type="application/json",
        headers=UA,
    )
    assert response.status_code == 400
    assert response.json["error"]["field"] == field
    assert builders.counters(app, "the-story") == (0, 0)


def test_body_over_64_kib_is_413(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    response = client.post(
        "/api/v1/articles/the-story/views",
        data=b'{"title": "' + b"x" * 70_000 + b'"}',
        content_type="application/json",
        headers=UA,
    )
    assert_error(response, 413, "too_large")
    assert builders.counters(app, "the-story") == (0, 0)


def test_unknown_field_in_article_put_is_400(app: Flask, client: FlaskClient) -> None:
    token = builders.api_token(app)
    response = client.put(
        "/api/v1/articles/the-story",
        json={"titel": "typo"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert_error(response, 400, "invalid", "titel")
    assert client.get("/api/v1/articles/the-story").status_code == 404


def test_naive_published_at_is_400(app: Flask, client: FlaskClient) -> None:
    token = builders.api_token(app)
    response = client.put(
        "/api/v1/articles/the-story",
        json={"published_at": "2026-11-20T08:00:00"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert_error(response, 400, "invalid", "published_at")
