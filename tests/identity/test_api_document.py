"""The sign-in, reader and second-factor-free API routes are documented, answer as documented,
and meet junk with the one error shape, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import builders
from tests.identity.tokens import bearer, exchange, hs256, sign_in

NEW_ROUTES = {
    "/api/v1/sso/session": {"get", "post"},
    "/api/v1/moderation/readers/history": {"post"},
    "/api/v1/moderation/readers/trust": {"post"},
    "/api/v1/moderation/comments/{comment_id}/replies": {"post"},
}


def test_the_new_routes_are_in_the_document(client: FlaskClient) -> None:
    document = client.get("/api/openapi.json").json
    for path, methods in NEW_ROUTES.items():
        assert methods <= set(document["paths"][path]), path
    schemas = document["components"]["schemas"]
    for name in ("SignInIn", "ReaderSessionOut", "ReaderTrustIn", "ReaderHistoryOut"):
        assert name in schemas
    comment = schemas["ThreadComment"]["properties"]
    assert {"author_verified", "author_staff", "author_id"} <= set(comment)
    assert {"commenting", "login_url"} <= set(schemas["Article"]["properties"])


def test_every_api_route_is_documented(app: Flask, client: FlaskClient) -> None:
    documented = client.get("/api/openapi.json").json["paths"]
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
        assert path in documented, path
        wanted = {method.lower() for method in rule.methods or ()} - {"head", "options"}
        assert wanted <= set(documented[path]), path


def test_real_answers_match_the_documented_shapes(app: Flask, client: FlaskClient) -> None:
    # Imported here, after the app: the order models are declared in is the document's order.
    from engagement.identity.api import ReaderOut, ReaderSessionOut
    from engagement.moderation.api.readers import ReaderHistoryOut

    builders.article(app)
    answer = exchange(client, hs256())
    ReaderSessionOut.model_validate(answer.json)
    ReaderOut.model_validate(
        client.get("/api/v1/sso/session", headers=bearer(answer.json["session"])).json
    )
    client.post(
        "/api/v1/articles/the-story/comments",
        json={"text": "Hello."},
        headers=bearer(answer.json["session"]),
    )
    token = builders.api_token(app)
    history = client.post(
        "/api/v1/moderation/readers/history",
        json={"subject": "reader-42"},
        headers={"Authorization": f"Bearer {token}"},
    )
    ReaderHistoryOut.model_validate(history.json)


JUNK: list[Any] = [
    None,
    [],
    "text",
    42,
    {"token": ["a"]},
    {"token": {"$ne": 1}},
    {"subject": None},
    {"subject": "\x00"},
    {"subject": "x", "trust": 1},
    {"text": "\ud800", "author_name": "x"},
    {"text": "x" * 20000, "author_name": "x"},
]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/sso/session",
        "/api/v1/moderation/readers/history",
        "/api/v1/moderation/readers/trust",
        "/api/v1/moderation/comments/1/replies",
    ],
)
def test_junk_bodies_get_a_clear_4xx(app: Flask, client: FlaskClient, path: str) -> None:
    builders.article(app)
    builders.comment(app)
    sign_in(client)
    headers = {"Authorization": f"Bearer {builders.api_token(app)}"}
    for body in JUNK:
        response = client.post(path, json=body, headers=headers)
        assert 400 <= response.status_code < 500, (body, response.status_code)
        error = response.json["error"]
        assert set(error) == {"code", "message", "field"}
    raw = client.post(
        path, data="{not json", headers={**headers, "Content-Type": "application/json"}
    )
    assert raw.status_code == 400
    form = client.post(path, data={"token": "x"}, headers=headers)
    assert form.status_code == 415
