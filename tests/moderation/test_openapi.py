"""The moderation API is in the OpenAPI document."""

from __future__ import annotations

from flask.testing import FlaskClient


def test_the_moderation_routes_are_documented(client: FlaskClient) -> None:
    document = client.get("/api/openapi.json").json
    paths = document["paths"]
    assert set(paths["/api/v1/moderation/queues/{queue}"]) == {"get"}
    assert set(paths["/api/v1/moderation/comments/{comment_id}/{action}"]) == {"post"}
    assert set(paths["/api/v1/moderation/comments/bulk"]) == {"post"}
    assert set(paths["/api/v1/moderation/articles/{key}"]) == {"patch"}
    assert set(paths["/api/v1/moderation/audit"]) == {"get"}
    assert set(paths["/api/v1/moderation/bans"]) == {"get", "post"}
    assert set(paths["/api/v1/moderation/bans/{ban_id}"]) == {"delete"}
    assert "ModeratedComment" in document["components"]["schemas"]


def test_no_moderators_page_is_in_the_api_document(client: FlaskClient) -> None:
    assert not [
        path
        for path in client.get("/api/openapi.json").json["paths"]
        if path.startswith("/moderation")
    ]
