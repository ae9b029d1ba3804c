"""The webhook API answers in the shapes its OpenAPI entries document, and the document states
the limits the API enforces."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engagement.notifications import events
from engagement.notifications.payloads import ArticleEvent, CommentEvent
from engagement.notifications.webhook_shapes import (
    DeliveryList,
    DeliveryOut,
    WebhookList,
    WebhookOut,
    WebhookWithSecret,
)
from engagement.notifications.worker import Worker
from tests import builders
from tests.notifications.conftest import Receiver, post

WEBHOOKS = "/api/v1/moderation/webhooks"


@pytest.fixture
def headers(app: Flask) -> dict[str, str]:
    builders.article(app, url="https://magazine.example/the-story")
    return {"Authorization": f"Bearer {builders.api_token(app)}"}


def test_every_answer_has_its_documented_shape(
    client: FlaskClient, headers: dict[str, str], worker: Worker, receiver: Receiver
) -> None:
    created = client.post(
        WEBHOOKS, json={"url": receiver.url, "events": ["comment.created"]}, headers=headers
    )
    assert created.status_code == 201
    WebhookWithSecret.model_validate(created.json)
    one = f"{WEBHOOKS}/{created.json['endpoint']['id']}"
    WebhookList.model_validate(client.get(WEBHOOKS, headers=headers).json)
    WebhookOut.model_validate(client.get(one, headers=headers).json)
    changed = client.patch(one, json={"events": list(events.EVENTS)}, headers=headers)
    WebhookOut.model_validate(changed.json)
    WebhookWithSecret.model_validate(client.post(f"{one}/rotate-secret", headers=headers).json)
    post(client)
    worker.drain()
    log = client.get(f"{one}/deliveries", headers=headers).json
    DeliveryList.model_validate(log)
    replayed = client.post(f"{one}/deliveries/{log['deliveries'][0]['id']}/replay", headers=headers)
    assert replayed.status_code == 202
    DeliveryOut.model_validate(replayed.json)
    assert client.delete(one, headers=headers).status_code == 204


def test_the_bodies_sent_have_their_documented_shapes(
    client: FlaskClient, headers: dict[str, str], worker: Worker, receiver: Receiver
) -> None:
    chosen = ["comment.created", "article.closed"]
    client.post(WEBHOOKS, json={"url": receiver.url, "events": chosen}, headers=headers)
    post(client)
    client.patch("/api/v1/moderation/articles/the-story", json={"open": False}, headers=headers)
    worker.drain()
    comment, article = (request.json for request in receiver.requests)
    CommentEvent.model_validate(comment)
    ArticleEvent.model_validate(article)


def _operation(client: FlaskClient, path: str, method: str) -> dict[str, Any]:
    return dict(client.get("/api/openapi.json").json["paths"][path][method])


def test_the_ids_in_the_path_are_bounded_by_their_columns(client: FlaskClient) -> None:
    replay = _operation(client, WEBHOOKS + "/{endpoint_id}/deliveries/{delivery_id}/replay", "post")
    bounds = {p["name"]: p["schema"] for p in replay["parameters"]}
    assert bounds == {
        "endpoint_id": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
        "delivery_id": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
    }


@pytest.mark.parametrize("path", ["", "/{endpoint_id}/rotate-secret"])
def test_the_webhook_routes_need_the_moderation_scope(client: FlaskClient, path: str) -> None:
    operation = _operation(client, WEBHOOKS + path, "post")
    assert operation["x-scope"] == "moderation"
    assert {"401", "403"} <= set(operation["responses"])


def test_an_id_past_its_column_is_a_404_as_documented(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    answer = client.get(f"{WEBHOOKS}/{2**31}", headers=headers)
    assert answer.status_code == 404
    assert answer.json["error"]["code"] == "webhook_not_found"


def test_a_url_longer_than_its_column_is_refused_at_the_documented_limit(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    limit = client.get("/api/openapi.json").json["components"]["schemas"]["WebhookIn"]
    assert limit["properties"]["url"]["maxLength"] == 2000
    url = "https://receiver.example/" + "a" * (2001 - len("https://receiver.example/"))
    answer = client.post(
        WEBHOOKS, json={"url": url, "events": ["comment.created"]}, headers=headers
    )
    assert answer.status_code == 400
    assert answer.json["error"] == {
        "code": "too_long",
        "message": "url: at most 2000 characters.",
        "field": "url",
    }
