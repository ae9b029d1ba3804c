"""The moderation API is in the OpenAPI document, and the document says what it really does:
its answers have the documented shapes, its refusals are documented, its limits are stated."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pydantic import BaseModel

from engagement.models import CommentStatus
from engagement.moderation.api.audit import AuditOut
from engagement.moderation.api.bans import BanOut, BansOut
from engagement.moderation.api.comments import BulkOut
from engagement.moderation.api.moderated import ModeratedComment
from engagement.moderation.api.queues import QueueOut, QueueSizes
from engagement.moderation.api.search import SearchOut
from tests import builders

API = "/api/v1/moderation"
INTEGER_MAX = 2**31 - 1


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


def test_every_moderation_route_needs_the_moderation_scope(client: FlaskClient) -> None:
    paths = client.get("/api/openapi.json").json["paths"]
    for path, operations in paths.items():
        if path.startswith(API) and "/webhooks" not in path:
            for method, described in operations.items():
                assert described["x-scope"] == "moderation", (method, path)
                assert {"401", "403"} <= set(described["responses"]), (method, path)


def parameters(document: dict[str, Any], path: str, method: str = "get") -> dict[str, Any]:
    described = document["paths"][path][method]["parameters"]
    return {parameter["name"]: parameter["schema"] for parameter in described}


def test_page_sizes_and_cursors_state_their_bounds(client: FlaskClient) -> None:
    document = client.get("/api/openapi.json").json
    queue = parameters(document, f"{API}/queues/{{queue}}")
    assert queue["limit"]["maximum"] == 200 and queue["limit"]["minimum"] == 1
    assert queue["after"] == {"type": "integer", "minimum": 1, "maximum": INTEGER_MAX}
    audit = parameters(document, f"{API}/audit")
    assert audit["limit"]["maximum"] == 200
    assert audit["before"] == {"type": "integer", "minimum": 1, "maximum": INTEGER_MAX}
    assert audit["action"]["maxLength"] == 40 and audit["actor"]["maxLength"] == 120
    assert parameters(document, f"{API}/search")["limit"]["maximum"] == 100
    ban = parameters(document, f"{API}/bans/{{ban_id}}", "delete")["ban_id"]
    assert ban["maximum"] == INTEGER_MAX


class Cms:
    """The moderation API as the CMS calls it, remembering every answer's status."""

    def __init__(self, app: Flask, client: FlaskClient) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {builders.api_token(app, 'cms')}"}
        self.seen: list[tuple[str, str, int]] = []

    def call(self, method: str, rule: str, path: str, **kwargs: Any) -> Any:
        response = self.client.open(f"{API}{path}", method=method, headers=self.headers, **kwargs)
        self.seen.append((method.lower(), f"{API}{rule}", response.status_code))
        return response


@pytest.fixture
def cms(app: Flask, client: FlaskClient) -> Cms:
    return Cms(app, client)


def answer(response: Any, model: type[BaseModel], status: int = 200) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    model.model_validate(response.json)


def test_real_answers_have_the_documented_shapes(app: Flask, cms: Cms) -> None:
    builders.article(app)
    pending, _ = builders.comment(app, status=CommentStatus.PENDING, email="ada@example.org")
    answer(cms.call("GET", "/queues", "/queues"), QueueSizes)
    answer(cms.call("GET", "/queues/{queue}", "/queues/pending"), QueueOut)
    action = "/comments/{comment_id}/{action}"
    answer(cms.call("POST", action, f"/comments/{pending}/approve", json={}), ModeratedComment)
    reply = cms.call(
        "POST",
        "/comments/{comment_id}/replies",
        f"/comments/{pending}/replies",
        json={"text": "Thanks.", "author_name": "The Editors"},
    )
    answer(reply, ModeratedComment, 201)
    bulk = {"action": "reject", "ids": [pending]}
    answer(cms.call("POST", "/comments/bulk", "/comments/bulk", json=bulk), BulkOut)
    answer(cms.call("GET", "/search", "/search?q=comment"), SearchOut)
    made = cms.call("POST", "/bans", "/bans", json={"kind": "name", "value": "Troll"})
    answer(made, BanOut, 201)
    answer(cms.call("GET", "/bans", "/bans?all=1"), BansOut)
    answer(cms.call("DELETE", "/bans/{ban_id}", f"/bans/{made.json['id']}"), BanOut)
    answer(cms.call("GET", "/audit", "/audit?limit=2"), AuditOut)


def test_every_refusal_given_is_documented(app: Flask, client: FlaskClient, cms: Cms) -> None:
    builders.article(app)
    approved, _ = builders.comment(app)
    action = "/comments/{comment_id}/{action}"
    refusals = [
        cms.call("POST", action, f"/comments/{approved}/not-spam", json={}),
        cms.call("POST", action, f"/comments/{approved}/edit", json={"text": "x"}),
        cms.call("POST", action, f"/comments/{INTEGER_MAX}/approve", json={}),
        cms.call("POST", action, f"/comments/{approved}/shout", json={}),
        cms.call(
            "POST",
            "/comments/bulk",
            "/comments/bulk",
            json={"action": "not-spam", "ids": [approved]},
        ),
        cms.call(
            "POST",
            "/comments/bulk",
            "/comments/bulk",
            json={"action": "approve", "ids": [INTEGER_MAX]},
        ),
        cms.call("GET", "/queues/{queue}", "/queues/pending?limit=201"),
        cms.call("GET", "/queues/{queue}", "/queues/later"),
        cms.call("GET", "/audit", "/audit?before=0"),
        cms.call("DELETE", "/bans/{ban_id}", f"/bans/{INTEGER_MAX}"),
        cms.call("POST", "/readers/history", "/readers/history", json={"subject": "nobody"}),
        cms.call("PATCH", "/articles/{key}", "/articles/unknown", json={"open": False}),
    ]
    assert {response.status_code for response in refusals} == {400, 404, 409}
    paths = client.get("/api/openapi.json").json["paths"]
    for method, path, status in cms.seen:
        assert str(status) in paths[path][method]["responses"], (method, path, status)
