"""The comment routes are described in the OpenAPI document with their bodies."""

from __future__ import annotations

from flask.testing import FlaskClient


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
