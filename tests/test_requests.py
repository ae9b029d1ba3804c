"""Every wrong request to the JSON API gets a 4xx in the one error shape and changes nothing:
ids and numbers at and past their column's range, strings past their column's size, NUL
characters, JSON of the wrong type, huge and chunked bodies."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from engagement import db as database
from engagement.models import Article, Ban, BanKind, Comment, CommentStatus, ModerationAction
from tests import builders
from tests.builders import SETUP
from tests.conftest import ALLOWED_ORIGIN, LiveServer

INTEGER_MAX = 2**31 - 1
UA = {"User-Agent": "Mozilla/5.0 Firefox/130"}
# Ids no route may take: past the column, signed, non-ASCII digits, not a number at all.
MALFORMED_IDS = [str(INTEGER_MAX + 1), str(2**63), "-1", "0", "+1", "²", "\u0661", "1.0", "true"]


def assert_error(response: TestResponse, status: int, code: str, field: str | None) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error = response.json["error"]  # type: ignore[index]
    assert error["code"] == code and error["message"]
    assert error["field"] == field


def count(app: Flask, query: Any) -> int:
    with app.app_context():
        return int(database.session().scalar(query) or 0)


class Cms:
    """The API as the magazine's CMS calls it, with a token holding every scope."""

    def __init__(self, app: Flask, client: FlaskClient) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {builders.api_token(app, 'cms')}"}

    def call(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> TestResponse:
        return self.client.open(
            path, method=method, headers={**self.headers, **(headers or {})}, **kwargs
        )


@pytest.fixture
def cms(app: Flask, client: FlaskClient) -> Cms:
    return Cms(app, client)


# --- ids in the path -------------------------------------------------------------------------

ID_ROUTES = [
    ("DELETE", "/api/v1/comments/{id}", None),
    ("PATCH", "/api/v1/comments/{id}", {"text": "new"}),
    ("POST", "/api/v1/comments/{id}/likes", None),
    ("POST", "/api/v1/comments/{id}/reports", {"reason": "spam"}),
    ("POST", "/api/v1/moderation/comments/{id}/approve", None),
    ("DELETE", "/api/v1/moderation/bans/{id}", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ID_ROUTES)
@pytest.mark.parametrize("raw", MALFORMED_IDS)
def test_a_malformed_id_in_the_path_is_400_naming_id(
    cms: Cms, method: str, path: str, body: dict[str, Any] | None, raw: str
) -> None:
    response = cms.call(method, path.format(id=raw), json=body, headers={"X-Edit-Token": "x"})
    assert_error(response, 400, "invalid", "id")


@pytest.mark.parametrize(("method", "path", "body"), ID_ROUTES)
def test_the_largest_id_of_the_column_is_well_formed_and_404(
    cms: Cms, method: str, path: str, body: dict[str, Any] | None
) -> None:
    response = cms.call(method, path.format(id=INTEGER_MAX), json=body)
    assert response.status_code == 404
    assert response.json["error"]["code"].endswith("not_found")  # type: ignore[index]


# --- numbers in the query string -------------------------------------------------------------

QUERY_NUMBERS = [
    ("/api/v1/moderation/queues/pending", "after"),
    ("/api/v1/moderation/queues/pending", "limit"),
    ("/api/v1/moderation/audit", "comment"),
    ("/api/v1/moderation/audit", "before"),
    ("/api/v1/moderation/audit", "limit"),
    ("/api/v1/articles/the-story/comments", "limit"),
]


@pytest.mark.parametrize(("path", "name"), QUERY_NUMBERS)
@pytest.mark.parametrize("raw", MALFORMED_IDS)
def test_a_malformed_number_in_the_query_is_400_naming_it(
    app: Flask, cms: Cms, path: str, name: str, raw: str
) -> None:
    builders.article(app)
    assert_error(cms.call("GET", path, query_string={name: raw}), 400, "invalid", name)


@pytest.mark.parametrize(
    ("path", "name"), [(path, name) for path, name in QUERY_NUMBERS if name != "limit"]
)
def test_the_largest_id_in_the_query_pages_to_nothing(
    app: Flask, cms: Cms, path: str, name: str
) -> None:
    response = cms.call("GET", path, query_string={name: INTEGER_MAX})
    assert response.status_code == 200


# --- JSON of the wrong type ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ids", "field"), [([True], "ids.0"), (["1"], "ids.0"), ([1.5], "ids.0"), ([2**31], "ids.0")]
)
def test_bulk_ids_must_be_json_integers_within_the_column(
    app: Flask, cms: Cms, ids: list[Any], field: str
) -> None:
    builders.article(app)
    builders.comment(app, status=CommentStatus.PENDING)
    response = cms.call(
        "POST", "/api/v1/moderation/comments/bulk", json={"action": "approve", "ids": ids}
    )
    assert_error(response, 400, "invalid", field)
    assert count(app, select(func.count()).where(ModerationAction.actor != SETUP.name)) == 0
    assert builders.counters(app, "the-story") == (0, 0)


def test_an_integral_json_number_is_an_integer_as_json_schema_says(app: Flask, cms: Cms) -> None:
    builders.article(app)
    comment_id, _ = builders.comment(app, status=CommentStatus.PENDING)
    response = cms.call(
        "POST",
        "/api/v1/moderation/comments/bulk",
        json={"action": "approve", "ids": [comment_id * 1.0]},
    )
    assert response.status_code == 200, response.json
    assert [comment["status"] for comment in response.json["comments"]] == ["approved"]


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PATCH", "/api/v1/moderation/articles/the-story", {"open": 0}, "open"),
        ("PATCH", "/api/v1/moderation/articles/the-story", {"open": "false"}, "open"),
        ("PUT", "/api/v1/articles/the-story", {"open": 0}, "open"),
        ("PUT", "/api/v1/articles/the-story", {"title": 5}, "title"),
        ("PUT", "/api/v1/articles/the-story", {"published_at": 0}, "published_at"),
        ("PUT", "/api/v1/articles/the-story", {"moderation": 1}, "moderation"),
        ("POST", "/api/v1/moderation/bans", {"kind": "name", "value": "x", "days": "5"}, "days"),
        ("POST", "/api/v1/moderation/bans", {"kind": "name", "value": "x", "days": True}, "days"),
        ("POST", "/api/v1/moderation/bans", {"kind": "name", "value": 5}, "value"),
        ("POST", "/api/v1/moderation/comments/{id}/ban-author", {"days": 1.5}, "days"),
        ("POST", "/api/v1/moderation/comments/{id}/reject", {"reason": 7}, "reason"),
        ("POST", "/api/v1/moderation/commenters/export", {"email": ["a@b.example"]}, "email"),
    ],
)
def test_json_of_the_wrong_type_is_400_and_changes_nothing(
    app: Flask, cms: Cms, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    builders.article(app)
    comment_id, _ = builders.comment(app)
    response = cms.call(method, path.format(id=comment_id), json=body)
    assert_error(response, 400, "invalid", field)
    assert count(app, select(func.count()).where(ModerationAction.actor != SETUP.name)) == 0
    assert count(app, select(func.count()).select_from(Ban)) == 0
    assert cms.client.get("/api/v1/articles/the-story").json["open"] is True  # type: ignore[index]


# --- strings past their column ---------------------------------------------------------------


def url_of(length: int) -> str:
    head = "https://magazine.example/"
    return head + "a" * (length - len(head))


@pytest.mark.parametrize("length", [2001, 2083, 2084])
def test_an_article_url_longer_than_its_column_is_400(app: Flask, cms: Cms, length: int) -> None:
    response = cms.call("PUT", "/api/v1/articles/the-story", json={"url": url_of(length)})
    assert_error(response, 400, "too_long", "url")
    assert count(app, select(func.count()).select_from(Article)) == 0


def test_an_article_url_of_the_columns_size_is_stored_whole(app: Flask, cms: Cms) -> None:
    response = cms.call("PUT", "/api/v1/articles/the-story", json={"url": url_of(2000)})
    assert response.status_code == 201
    assert cms.client.get("/api/v1/articles/the-story").json["url"] == url_of(2000)  # type: ignore[index]


def test_a_url_that_grows_past_its_column_once_normalized_is_400(cms: Cms) -> None:
    # Each "é" is stored escaped, as %C3%A9: 1,000 characters sent, 6,000 to store.
    response = cms.call("PUT", "/api/v1/articles/the-story", json={"url": url_of(25) + "é" * 1000})
    assert_error(response, 400, "too_long", "url")


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PUT", "/api/v1/articles/the-story", {"title": "t" * 301}, "title"),
        ("POST", "/api/v1/articles/new-story/views", {"title": "t" * 301}, "title"),
        ("POST", "/api/v1/articles/new-story/views", {"url": url_of(2001)}, "url"),
        ("POST", "/api/v1/moderation/bans", {"kind": "email", "value": "v" * 255}, "value"),
        ("POST", "/api/v1/moderation/commenters/export", {"email": "e" * 255}, "email"),
        ("POST", "/api/v1/comments/{id}/reports", {"reason": "other", "note": "n" * 501}, "note"),
    ],
)
def test_a_string_longer_than_its_column_is_400_too_long(
    app: Flask, cms: Cms, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    builders.article(app)
    comment_id, _ = builders.comment(app)
    response = cms.call(
        method, path.format(id=comment_id), json=body, headers={**UA, "Origin": ALLOWED_ORIGIN}
    )
    assert_error(response, 400, "too_long", field)
    assert count(app, select(func.count()).select_from(Article)) == 1
    assert count(app, select(func.count()).select_from(Ban)) == 0


@pytest.mark.parametrize(("name", "length"), [("actor", 121), ("action", 41)])
def test_an_audit_filter_longer_than_its_column_is_400(cms: Cms, name: str, length: int) -> None:
    response = cms.call("GET", "/api/v1/moderation/audit", query_string={name: "x" * length})
    assert_error(response, 400, "too_long", name)


# --- NUL and odd Unicode ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/moderation/audit?actor=%00",
        "/api/v1/moderation/audit?action=a%00b",
        "/api/v1/moderation/audit?article=%00",
        "/api/v1/moderation/bans?all=%00",
        "/api/v1/counters?keys=a%00",
        "/api/v1/articles/the-story/comments?cursor=%00",
        "/api/v1/articles/the-story/comments?sort=%00",
    ],
)
def test_a_nul_in_the_query_string_is_400_naming_the_parameter(
    app: Flask, cms: Cms, path: str
) -> None:
    builders.article(app)
    response = cms.call("GET", path)
    assert response.status_code == 400
    assert response.json["error"]["field"] == urlsplit(path).query.split("=")[0]  # type: ignore[index]


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/api/v1/moderation/bans", {"kind": "name", "value": "a\u0000b"}, "value"),
        ("POST", "/api/v1/moderation/comments/{id}/reject", {"reason": "\u0000"}, "reason"),
        ("PUT", "/api/v1/articles/the-story", {"title": "a\u0000"}, "title"),
        ("POST", "/api/v1/moderation/commenters/erase", {"email": "a\u0000@b.example"}, "email"),
    ],
)
def test_a_nul_in_a_json_string_is_400_and_changes_nothing(
    app: Flask, cms: Cms, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    builders.article(app)
    comment_id, _ = builders.comment(app)
    assert_error(cms.call(method, path.format(id=comment_id), json=body), 400, "invalid", field)
    assert count(app, select(func.count()).where(ModerationAction.actor != SETUP.name)) == 0


# --- a refused request writes nothing --------------------------------------------------------


def first_post(client: FlaskClient, **body: Any) -> TestResponse:
    return client.post(
        "/api/v1/articles/brand-new/comments",
        json={"text": "First!", **body},
        headers={**UA, "Origin": ALLOWED_ORIGIN},
    )


def test_a_first_comment_refused_as_invalid_parent_registers_no_article(
    app: Flask, client: FlaskClient
) -> None:
    builders.article(app)
    elsewhere, _ = builders.comment(app)
    assert_error(first_post(client, parent_id=elsewhere), 400, "invalid_parent", "parent_id")
    assert client.get("/api/v1/articles/brand-new").status_code == 404


def test_a_first_comment_refused_as_banned_registers_no_article(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        db = database.session()
        from engagement.abuse import bans

        bans.ban(db, kind=BanKind.NAME, value="Troll")
        db.commit()
    assert_error(first_post(client, author_name="troll"), 403, "banned", None)
    assert client.get("/api/v1/articles/brand-new").status_code == 404


def test_an_accepted_first_comment_registers_its_article_with_it(
    app: Flask, client: FlaskClient
) -> None:
    assert first_post(client).status_code == 201
    assert builders.counters(app, "brand-new") == (1, 0)


# --- names compare in one Unicode form -------------------------------------------------------


@pytest.mark.parametrize(
    ("banned", "posted"),
    [("Jose\u0301", "José"), ("José", "Jose\u0301"), ("\uff2a\uff4f\uff53\u00e9", "JOSÉ")],
)
def test_a_name_ban_matches_the_name_in_any_unicode_form(
    app: Flask, cms: Cms, banned: str, posted: str
) -> None:
    builders.article(app)
    made = cms.call("POST", "/api/v1/moderation/bans", json={"kind": "name", "value": banned})
    assert made.status_code == 201
    response = cms.client.post(
        "/api/v1/articles/the-story/comments",
        json={"text": "Hello", "author_name": posted},
        headers=UA,
    )
    assert_error(response, 403, "banned", None)
    assert count(app, select(func.count()).select_from(Comment)) == 0


# --- huge and chunked bodies -----------------------------------------------------------------


def chunked(server: LiveServer, path: str, body: bytes, chunk: int = 4096) -> tuple[int, Any]:
    """POST ``body`` with Transfer-Encoding: chunked over a real connection."""
    address = urlsplit(server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        pieces = (body[start : start + chunk] for start in range(0, len(body), chunk))
        connection.request(
            "POST",
            path,
            body=pieces,
            headers={"Content-Type": "application/json", "Origin": ALLOWED_ORIGIN, **UA},
            encode_chunked=True,
        )
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def test_a_chunked_body_over_the_limit_is_413_not_cut_and_parsed(
    app: Flask, live_server: LiveServer
) -> None:
    builders.article(app)
    # Cut at 64 KiB this would still be a valid, shorter comment (the JSON closes early).
    text = "x" * 70_000
    body = json.dumps({"text": "short", "pad": text}).encode()
    status, answer = chunked(live_server, "/api/v1/articles/the-story/comments", body)
    assert status == 413
    assert answer["error"]["code"] == "too_large"
    assert count(app, select(func.count()).select_from(Comment)) == 0


def test_a_chunked_body_within_the_limit_is_read_whole(app: Flask, live_server: LiveServer) -> None:
    builders.article(app)
    body = json.dumps({"text": "A chunked comment " + "y" * 9000}).encode()
    status, answer = chunked(live_server, "/api/v1/articles/the-story/comments", body, chunk=1000)
    assert status == 201
    assert answer["comment"]["text"].endswith("y" * 9000)


def test_a_sized_body_over_the_limit_is_413(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    response = client.post(
        "/api/v1/articles/the-story/comments",
        data=b"{" + b" " * 70_000 + b"}",
        content_type="application/json",
    )
    assert_error(response, 413, "too_large", None)


# --- headers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/counters?keys=the-story"),
        ("GET", "/api/v1/articles/the-story"),
        ("GET", "/api/v1/articles/nowhere"),
        ("POST", "/api/v1/articles/the-story/views"),
        ("GET", "/api/v1/articles/the-story/comments"),
        ("GET", "/api/openapi.json"),
        ("GET", "/embed/messages/en.json"),
        ("GET", "/embed/messages/es.json"),
        ("GET", "/embed.js"),
        ("GET", "/healthz"),
        ("GET", "/moderation/login"),
        ("GET", "/nowhere"),
    ],
)
def test_every_response_says_nosniff(
    app: Flask, client: FlaskClient, method: str, path: str
) -> None:
    builders.article(app)
    response = client.open(path, method=method, headers=UA)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
