"""The service's real answers are what its OpenAPI document says, route by route.

Tours call every documented operation the way its clients do (happy paths first, then the
refusals a client meets), and each answer is checked against the document: its status is
documented for that operation, and its JSON body validates against the documented schema.
The last test checks that the tours leave no documented operation out: a new route needs a
call here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from engagement import openapi
from tests import builders
from tests.identity.tokens import SSO_SETTINGS, sign_in

STORY = "/api/v1/articles/the-story"
CMS_STORY = "/api/v1/articles/the-cms-story"


class CheckedClient:
    """A test client that checks every answer against the served document."""

    def __init__(self, app: Flask, client: FlaskClient) -> None:
        self.app = app
        self.client = client
        self.document: dict[str, Any] = client.get("/api/openapi.json").json
        self.called: set[tuple[str, str]] = set()
        self.problems: list[str] = []

    def operation_of(self, method: str, path: str) -> tuple[str, dict[str, Any]]:
        adapter = self.app.url_map.bind("localhost")
        rule, _ = adapter.match(path.split("?")[0], method=method, return_rule=True)
        documented = openapi.document_path(rule.rule)
        operations = self.document["paths"].get(documented, {})
        if method.lower() not in operations:
            raise AssertionError(f"{method} {documented} is not documented")
        return documented, operations[method.lower()]

    def call(self, method: str, path: str, **kwargs: Any) -> TestResponse:
        documented, operation = self.operation_of(method, path)
        self.called.add((method.lower(), documented))
        response = self.client.open(path, method=method, **kwargs)
        where = f"{method} {path} -> {response.status_code}"
        answer = operation["responses"].get(str(response.status_code))
        if answer is None:
            self.problems.append(f"{where}: status not documented")
            return response
        if "$ref" in answer:
            answer = self.document["components"]["responses"][answer["$ref"].split("/")[-1]]
        content = answer.get("content", {})
        if response.mimetype == "application/json":
            schema = content.get("application/json", {}).get("schema")
            if schema is None:
                self.problems.append(f"{where}: a JSON body where none is documented")
            else:
                self._validate(where, schema, response.json)
        elif content and response.mimetype not in {m.split(";")[0] for m in content}:
            self.problems.append(f"{where}: {response.mimetype} is not documented")
        return response

    def _validate(self, where: str, schema: dict[str, Any], body: Any) -> None:
        rooted = {**schema, "components": self.document["components"]}
        for error in jsonschema_rs.Draft202012Validator(rooted).iter_errors(body):
            self.problems.append(f"{where}: {error.message} at {list(error.instance_path)}")

    def documented_operations(self) -> set[tuple[str, str]]:
        return {
            (method, path)
            for path, operations in self.document["paths"].items()
            for method in operations
        }


@pytest.fixture
def settings() -> dict[str, Any]:
    return {**SSO_SETTINGS, "WEBHOOK_ALLOWED_NETWORKS": ["127.0.0.0/8"]}


@pytest.fixture
def api(app: Flask, client: FlaskClient) -> Iterator[CheckedClient]:
    checked = CheckedClient(app, client)
    yield checked
    assert checked.problems == []


@pytest.fixture
def cms(app: Flask) -> dict[str, str]:
    return {"Authorization": f"Bearer {builders.api_token(app)}"}


def readers_answers(api: CheckedClient, app: Flask, cms: dict[str, str]) -> None:
    api.call("GET", f"{STORY}/comments?missing=empty")
    api.call("GET", f"{STORY}")
    builders.article(app, key="the-story")
    api.call("POST", f"{STORY}/views", json={"title": "The story"})
    batch = api.call("GET", "/api/v1/counters?keys=the-story,another")
    api.call(
        "GET",
        "/api/v1/counters?keys=the-story,another",
        headers={"If-None-Match": batch.headers["ETag"]},
    )
    created = api.call("POST", f"{STORY}/comments", json={"text": "First!", "author_name": "Ada"})
    comment_id = created.json["comment"]["id"]
    edit = {"X-Edit-Token": created.json["edit_token"]}
    api.call("POST", f"{STORY}/comments", json={"text": "A reply.", "parent_id": comment_id})
    thread = api.call("GET", f"{STORY}/comments?sort=top&limit=1")
    api.call("GET", f"{STORY}/comments", headers={"If-None-Match": thread.headers["ETag"]})
    api.call("GET", f"{STORY}", headers={"If-None-Match": api.client.get(STORY).headers["ETag"]})
    api.call("PATCH", f"/api/v1/comments/{comment_id}", json={"text": "Edited."}, headers=edit)
    api.call("POST", f"/api/v1/comments/{comment_id}/likes")
    api.call("DELETE", f"/api/v1/comments/{comment_id}/likes")
    api.call("POST", f"/api/v1/comments/{comment_id}/reports", json={"reason": "spam"})
    api.call("DELETE", f"/api/v1/comments/{comment_id}", headers=edit)


def readers_refusals(api: CheckedClient, app: Flask, cms: dict[str, str]) -> None:
    api.call("GET", "/api/v1/articles/nobody-wrote-this")
    api.call("GET", "/api/v1/counters?keys=")
    api.call("GET", f"{STORY}/comments?sort=sideways")
    api.call("POST", f"{STORY}/views", data="{", content_type="application/json")
    api.call("POST", f"{STORY}/comments", data="text", content_type="text/plain")
    builders.article(app, key="the-story")
    api.call("POST", f"{STORY}/comments", json={"text": ""})
    api.call("PATCH", "/api/v1/comments/999999", json={"text": "x"}, headers={"X-Edit-Token": "no"})
    api.call("DELETE", "/api/v1/comments/1", headers={"X-Edit-Token": "no"})
    api.call("POST", "/api/v1/comments/2147483648/likes")
    api.call("POST", "/api/v1/comments/12/reports", json={"reason": "boring"})


def signed_in_readers_answers(api: CheckedClient, app: Flask, cms: dict[str, str]) -> None:
    session = sign_in(api.client)
    api.call("GET", "/api/v1/sso/session", headers={"Authorization": f"Bearer {session}"})
    api.call("GET", "/api/v1/sso/session", headers={"Authorization": "Bearer forged"})
    api.call("POST", "/api/v1/sso/session", json={"token": "not.a.token"})
    api.call("POST", "/api/v1/sso/session", json={})


def the_cms_answers(api: CheckedClient, app: Flask, cms: dict[str, str]) -> None:
    api.call("PUT", CMS_STORY, json={"title": "The story"}, headers=cms)
    api.call("PUT", CMS_STORY, json={"open": False, "moderation": "pre"}, headers=cms)
    api.call("PUT", CMS_STORY, json={"open": 0}, headers=cms)
    api.call("PUT", CMS_STORY, json={"title": "No token"})
    api.call("GET", f"{CMS_STORY}/trend?days=7", headers=cms)
    api.call("GET", f"{CMS_STORY}/trend?days=366", headers=cms)
    api.call("GET", "/api/v1/articles/missing/trend", headers=cms)


def moderators_answers(api: CheckedClient, app: Flask, cms: dict[str, str]) -> None:
    builders.article(app, key="the-story")
    comment_id, _ = builders.comment(app, key="the-story")
    moderation = "/api/v1/moderation"
    api.call("GET", f"{moderation}/queues", headers=cms)
    api.call("GET", f"{moderation}/queues/reported?limit=5", headers=cms)
    api.call("GET", f"{moderation}/queues/nowhere", headers=cms)
    api.call("GET", f"{moderation}/queues", headers={"Authorization": "Bearer wrong"})
    api.call("POST", f"{moderation}/comments/{comment_id}/pin", json={}, headers=cms)
    api.call(
        "POST", f"{moderation}/comments/{comment_id}/reject", json={"reason": "x"}, headers=cms
    )
    api.call("POST", f"{moderation}/comments/{comment_id}/reject", json={}, headers=cms)
    api.call("POST", f"{moderation}/comments/{comment_id}/approve", json={}, headers=cms)
    api.call(
        "POST",
        f"{moderation}/comments/{comment_id}/replies",
        json={"text": "Thanks.", "author_name": "The newsroom"},
        headers=cms,
    )
    api.call(
        "POST",
        f"{moderation}/comments/bulk",
        json={"action": "approve", "ids": [comment_id]},
        headers=cms,
    )
    api.call(
        "POST",
        f"{moderation}/comments/bulk",
        json={"action": "approve", "ids": [True]},
        headers=cms,
    )
    api.call("PATCH", f"{moderation}/articles/the-story", json={"open": False}, headers=cms)
    ban = api.call(
        "POST", f"{moderation}/bans", json={"kind": "email", "value": "a@b.example"}, headers=cms
    )
    api.call("GET", f"{moderation}/bans?all=1", headers=cms)
    api.call("DELETE", f"{moderation}/bans/{ban.json['id']}", headers=cms)
    api.call("DELETE", f"{moderation}/bans/99999", headers=cms)
    api.call("GET", f"{moderation}/audit?limit=2", headers=cms)
    api.call("GET", f"{moderation}/audit?before=abc", headers=cms)
    api.call("GET", f"{moderation}/search?q=thought", headers=cms)
    api.call("POST", f"{moderation}/commenters/export", json={"email": "a@b.example"}, headers=cms)
    api.call("POST", f"{moderation}/commenters/erase", json={"email": "a@b.example"}, headers=cms)
    api.call("POST", f"{moderation}/commenters/erase", json={}, headers=cms)
    sign_in(api.client, subject="reader-7")
    api.call("POST", f"{moderation}/readers/history", json={"subject": "reader-7"}, headers=cms)
    api.call(
        "POST",
        f"{moderation}/readers/trust",
        json={"subject": "reader-7", "trust": "trusted", "reason": "regular"},
        headers=cms,
    )
    api.call("POST", f"{moderation}/readers/history", json={"subject": "nobody"}, headers=cms)


def webhook_answers(api: CheckedClient, app: Flask, cms: dict[str, str]) -> None:
    hooks = "/api/v1/moderation/webhooks"
    made = api.call(
        "POST",
        hooks,
        json={"url": "http://127.0.0.1:9/hook", "events": ["comment.created"]},
        headers=cms,
    )
    assert made.status_code == 201, made.json
    endpoint = made.json["endpoint"]["id"]
    api.call("POST", hooks, json={"url": "ftp://nowhere", "events": []}, headers=cms)
    api.call("GET", hooks, headers=cms)
    api.call("GET", f"{hooks}/{endpoint}", headers=cms)
    api.call("PATCH", f"{hooks}/{endpoint}", json={"enabled": False}, headers=cms)
    api.call("GET", f"{hooks}/{endpoint}/deliveries", headers=cms)
    api.call("POST", f"{hooks}/{endpoint}/deliveries/99/replay", headers=cms)
    api.call("POST", f"{hooks}/{endpoint}/rotate-secret", headers=cms)
    api.call("DELETE", f"{hooks}/{endpoint}", headers=cms)
    api.call("GET", f"{hooks}/{endpoint}", headers=cms)


def operators_answers(api: CheckedClient, app: Flask, cms: dict[str, str]) -> None:
    api.call("GET", "/healthz")
    api.call("GET", "/readyz")
    api.call("GET", "/metrics")
    token = builders.api_token(app, name="prometheus")
    api.call("GET", "/metrics", headers={"Authorization": f"Bearer {token}"})


TOURS = [
    readers_answers,
    readers_refusals,
    signed_in_readers_answers,
    the_cms_answers,
    moderators_answers,
    webhook_answers,
    operators_answers,
]


@pytest.mark.parametrize("tour", TOURS, ids=[tour.__name__ for tour in TOURS])
def test_answers_are_as_documented(
    tour: Any, api: CheckedClient, app: Flask, cms: dict[str, str]
) -> None:
    tour(api, app, cms)


def test_the_tours_call_every_documented_operation(
    api: CheckedClient, app: Flask, cms: dict[str, str]
) -> None:
    for tour in TOURS:
        tour(api, app, cms)
    assert sorted(api.documented_operations() - api.called) == []
