"""Bad comment input: a JSON error with a stable code and field, never a 500, nothing stored."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engagement import db as database
from engagement.models import Comment
from tests import builders

URL = "/api/v1/articles/the-story/comments"


def stored_comments(app: Flask) -> int:
    with app.app_context():
        return database.session().query(Comment).count()


def assert_refused(app: Flask, response: Any, status: int, code: str, field: str | None) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert response.json["error"]["code"] == code
    assert response.json["error"]["message"]
    if field is not None:
        assert response.json["error"]["field"] == field
    assert stored_comments(app) == 0
    assert builders.counters(app, "the-story") == (0, 0)


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({}, "invalid", "text"),
        ({"text": ""}, "invalid", "text"),
        ({"text": "   \n\t "}, "invalid", "text"),
        ({"text": 42}, "invalid", "text"),
        ({"text": ["a"]}, "invalid", "text"),
        ({"text": None}, "invalid", "text"),
        ({"text": "bell \x07 here"}, "invalid", "text"),
        ({"text": "escape \x1b[31m red"}, "invalid", "text"),
        ({"text": "c1 \x85 control"}, "invalid", "text"),
        ({"text": "x" * 10_001}, "too_long", "text"),
        ({"text": "ok", "author_name": "two\nlines"}, "invalid", "author_name"),
        ({"text": "ok", "author_name": "bidi \u202e nimda"}, "invalid", "author_name"),
        ({"text": "ok", "author_name": "n" * 101}, "too_long", "author_name"),
        ({"text": "ok", "author_name": 7}, "invalid", "author_name"),
        ({"text": "ok", "author_email": "not-an-email"}, "invalid", "author_email"),
        ({"text": "ok", "author_email": "a@b"}, "invalid", "author_email"),
        ({"text": "ok", "author_email": "a b@c.example"}, "invalid", "author_email"),
        ({"text": "ok", "author_website": "javascript:alert(1)"}, "invalid", "author_website"),
        ({"text": "ok", "author_website": "ftp://files.example"}, "invalid", "author_website"),
        ({"text": "ok", "author_website": "magazine.example"}, "invalid", "author_website"),
        ({"text": "ok", "author_website": "http://"}, "invalid", "author_website"),
        ({"text": "ok", "author_website": "http://[::1"}, "invalid", "author_website"),
        ({"text": "ok", "author_website": "https://x.example/" + "a" * 500}, "too_long", None),
        ({"text": "ok", "parent_id": "1"}, "invalid", "parent_id"),
        ({"text": "ok", "parent_id": True}, "invalid", "parent_id"),
        ({"text": "ok", "parent_id": 1.5}, "invalid", "parent_id"),
        ({"text": "ok", "parent_id": 0}, "invalid", "parent_id"),
        ({"text": "ok", "parent_id": -1}, "invalid", "parent_id"),
        ({"text": "ok", "parent_id": 2**31}, "invalid", "parent_id"),
        ({"text": "ok", "parent_id": 10**30}, "invalid", "parent_id"),
    ],
)
def test_invalid_field_is_400_naming_it(
    app: Flask, client: FlaskClient, body: dict[str, Any], code: str, field: str | None
) -> None:
    builders.article(app)
    assert_refused(app, client.post(URL, json=body), 400, code, field)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b'{"text": "nul \\u0000 byte"}', "invalid"),
        (b'{"text": "lone \\ud800 surrogate"}', "invalid"),
        (b'{"text": "low \\udc00 surrogate"}', "invalid"),
        (b'{"author_name": "\\u0000", "text": "ok"}', "invalid"),
        (b'{"text": "bad \xff\xfe utf-8"}', "invalid_json"),
        (b'{"text": "ok", "parent_id": ' + b"9" * 5000 + b"}", "invalid_json"),
        (b"[" * 1000 + b"]" * 1000, "invalid_json"),
        (b'{"text": ' + b'{"a": ' * 1000 + b"1" + b"}" * 1000 + b"}", "invalid_json"),
        (b'{"text": "ok", "parent_id": NaN}', "invalid_json"),
        (b'{"text": "unterminated', "invalid_json"),
        (b'"just a string"', "invalid_json"),
        (b"", "invalid_json"),
    ],
)
def test_hostile_json_is_400_never_500(
    app: Flask, client: FlaskClient, raw: bytes, code: str
) -> None:
    builders.article(app)
    response = client.post(URL, data=raw, content_type="application/json")
    assert_refused(app, response, 400, code, None)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""]
)
def test_writes_accept_only_json(app: Flask, client: FlaskClient, content_type: str) -> None:
    builders.article(app)
    response = client.post(URL, data='{"text": "hi"}', content_type=content_type)
    assert_refused(app, response, 415, "unsupported_media_type", None)


def test_body_over_64_kib_is_413(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    response = client.post(URL, json={"text": "x" * 70_000})
    assert_refused(app, response, 413, "too_large", None)


def test_text_limit_is_configurable(app: Flask, client: FlaskClient) -> None:
    app.config["COMMENT_MAX_LENGTH"] = 10
    builders.article(app)
    assert_refused(app, client.post(URL, json={"text": "x" * 11}), 400, "too_long", "text")


def test_malformed_key_is_400(client: FlaskClient) -> None:
    response = client.post("/api/v1/articles/bad key/comments", json={"text": "hi"})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_key"


@pytest.mark.parametrize(
    "raw",
    [b'{"text": "nul \\u0000"}', b'{"text": "\\ud800"}', b'{"text": 1}', b"{}", b"[]"],
)
def test_bad_edit_is_400_and_changes_nothing(app: Flask, client: FlaskClient, raw: bytes) -> None:
    builders.article(app)
    comment_id, token = builders.comment(app, text="original")
    response = client.patch(
        f"/api/v1/comments/{comment_id}",
        data=raw,
        content_type="application/json",
        headers={"X-Edit-Token": token},
    )
    assert response.status_code == 400
    with app.app_context():
        comment = database.session().get(Comment, comment_id)
        assert comment is not None and comment.text == "original"
