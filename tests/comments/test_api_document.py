"""The comment routes are described in the OpenAPI document with their bodies."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests import builders


def test_comment_routes_and_methods_are_documented(client: FlaskClient) -> None:
    paths = client.get("/api/openapi.json").json["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/articles/{key}/comments"])
    assert {"patch", "delete"} <= set(paths["/api/v1/comments/{comment_id}"])
    assert "post" in paths["/api/v1/comments/{comment_id}/likes"]
    assert "post" in paths["/api/v1/comments/{comment_id}/reports"]


def test_comment_bodies_are_documented_schemas(client: FlaskClient) -> None:
    schemas = client.get("/api/openapi.json").json["components"]["schemas"]
    for name in ("CommentIn", "CommentEditIn", "ReportIn", "Thread", "ThreadComment"):
        assert name in schemas
    assert "author_email" in schemas["CommentIn"]["properties"]
    shown = schemas["ThreadComment"]["properties"]
    assert "author_email" not in shown and "visitor" not in shown
    assert shown["replies"]["items"] == {"$ref": "#/components/schemas/ThreadComment"}


def shape(value: Any) -> Any:
    """The keys of a JSON value, nested: what a documented class must give, no more, no less."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return None


def test_real_answers_have_the_documented_shapes(app: Flask, client: FlaskClient) -> None:
    from engagement.comments.schemas import (
        CommentCreated,
        CommentEdited,
        LikeOut,
        ReportOut,
        Thread,
    )

    builders.article(app)
    path = "/api/v1/articles/the-story/comments"
    posted = client.post(path, json={"text": "Hello.", "author_name": "Ada"})
    reply = {"text": "Hi.", "author_name": "Bea", "parent_id": posted.json["comment"]["id"]}
    client.post(path, json=reply)
    comment = f"/api/v1/comments/{posted.json['comment']['id']}"
    edited = client.patch(
        comment, json={"text": "Hello again."}, headers={"X-Edit-Token": posted.json["edit_token"]}
    )
    answers = [
        (CommentCreated, posted),
        (CommentEdited, edited),
        (LikeOut, client.post(f"{comment}/likes")),
        (LikeOut, client.delete(f"{comment}/likes")),
        (ReportOut, client.post(f"{comment}/reports", json={"reason": "spam"})),
        (Thread, client.get(path)),
    ]
    for model, answer in answers:
        assert answer.status_code in (200, 201), (model.__name__, answer.json)
        documented = model.model_validate(answer.json).model_dump()
        assert shape(documented) == shape(answer.json), model.__name__
