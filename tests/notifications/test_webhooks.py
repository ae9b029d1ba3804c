"""Signed webhooks through a real HTTP receiver: every event, signatures the
``standardwebhooks`` package verifies, retries with backoff, disabling, rotation, replay, and
the addresses refused."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from engagement import db as database
from engagement.models import (
    DeliveryStatus,
    ModerationAction,
    WebhookDelivery,
    WebhookEndpoint,
)
from engagement.notifications import events
from engagement.notifications.worker import Worker
from tests import builders
from tests.builders import SETUP
from tests.notifications.conftest import Clock, MailServer, Receiver, post


@pytest.fixture
def token(app: Flask) -> str:
    builders.article(app, url="https://magazine.example/the-story")
    return builders.api_token(app)


def api(client: FlaskClient, token: str, method: str, path: str, **body: Any) -> Any:
    return client.open(
        f"/api/v1/moderation{path}",
        method=method,
        json=body if body or method in ("POST", "PATCH") else None,
        headers={"Authorization": f"Bearer {token}"},
    )


def register(
    client: FlaskClient, token: str, url: str, events_: list[str] | None = None
) -> dict[str, Any]:
    answer = api(client, token, "POST", "/webhooks", url=url, events=events_ or list(events.EVENTS))
    assert answer.status_code == 201, answer.json
    return dict(answer.json)


def deliveries(app: Flask) -> list[WebhookDelivery]:
    with app.app_context():
        return list(database.session().query(WebhookDelivery).order_by(WebhookDelivery.id))


def test_an_event_arrives_signed_as_standard_webhooks_verifies(
    client: FlaskClient, token: str, worker: Worker, receiver: Receiver
) -> None:
    secret = register(client, token, receiver.url)["secret"]
    comment_id = post(client, text="Hello *there*").json["comment"]["id"]
    worker.drain()
    [received] = receiver.requests
    payload = Webhook(secret).verify(received.body, received.headers)
    assert payload["type"] == "comment.created"
    assert payload["data"]["comment"]["id"] == comment_id
    assert payload["data"]["comment"]["html"] == "<p>Hello <em>there</em></p>"
    assert payload["data"]["article"]["key"] == "the-story"
    assert received.headers["webhook-id"].startswith("msg_")


def test_a_signature_made_with_another_secret_does_not_verify(
    client: FlaskClient, token: str, worker: Worker, receiver: Receiver
) -> None:
    register(client, token, receiver.url)
    post(client)
    worker.drain()
    [received] = receiver.requests
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43).verify(received.body, received.headers)


def test_no_payload_carries_an_email_or_visitor(
    client: FlaskClient, token: str, worker: Worker, receiver: Receiver
) -> None:
    register(client, token, receiver.url)
    post(client, author_email="alice@example.com")
    worker.drain()
    body = receiver.requests[0].body.decode()
    assert "alice@example.com" not in body and "visitor" not in body


def test_every_door_emits_its_event(
    app: Flask, client: FlaskClient, token: str, worker: Worker, receiver: Receiver
) -> None:
    register(client, token, receiver.url)
    answer = post(client, text="First.")
    comment_id, edit_token = answer.json["comment"]["id"], answer.json["edit_token"]
    client.patch(
        f"/api/v1/comments/{comment_id}",
        json={"text": "First!"},
        headers={"X-Edit-Token": edit_token},
    )
    client.post(f"/api/v1/comments/{comment_id}/reports", json={"reason": "spam"})
    api(client, token, "POST", f"/comments/{comment_id}/reject")
    api(client, token, "POST", f"/comments/{comment_id}/approve")
    api(client, token, "POST", f"/comments/{comment_id}/delete")
    api(client, token, "PATCH", "/articles/the-story", open=False)
    api(client, token, "PATCH", "/articles/the-story", open=True)
    worker.drain()
    assert receiver.types() == [
        "comment.created",
        "comment.edited",
        "comment.reported",
        "comment.rejected",
        "comment.approved",
        "comment.deleted",
        "article.closed",
        "article.opened",
    ]


def test_an_endpoint_receives_only_the_events_it_chose(
    client: FlaskClient, token: str, worker: Worker, receiver: Receiver
) -> None:
    register(client, token, receiver.url, ["article.closed"])
    post(client)
    api(client, token, "PATCH", "/articles/the-story", open=False)
    worker.drain()
    assert receiver.types() == ["article.closed"]


def test_a_failing_receiver_is_retried_with_growing_waits_until_it_recovers(
    app: Flask, client: FlaskClient, token: str, worker: Worker, receiver: Receiver, clock: Clock
) -> None:
    register(client, token, receiver.url)
    receiver.answers = [500, 503, 502]
    post(client)
    worker.drain()
    waits = []
    for _ in range(3):
        [delivery] = deliveries(app)
        assert delivery.status is DeliveryStatus.PENDING
        assert delivery.next_attempt_at is not None and delivery.last_attempt_at is not None
        waits.append(delivery.next_attempt_at - delivery.last_attempt_at)
        worker.drain()
        assert len(receiver.requests) == len(waits)  # not due yet: nothing sent
        clock.advance(seconds=waits[-1].total_seconds() + 1)
        worker.drain()
    assert [wait.total_seconds() for wait in waits] == [5, 300, 1800]
    [delivery] = deliveries(app)
    assert delivery.status is DeliveryStatus.DELIVERED and delivery.attempts == 4
    assert delivery.response_status == 200
    assert len(set(receiver.ids())) == 1  # the same webhook-id on every attempt


def test_a_receiver_down_for_over_a_day_gets_its_endpoint_disabled_and_admins_told(
    app: Flask,
    client: FlaskClient,
    token: str,
    worker: Worker,
    receiver: Receiver,
    clock: Clock,
    smtp: MailServer,
) -> None:
    from engagement.models import Role
    from engagement.moderation import accounts
    from engagement.notifications import alerts

    with app.app_context():
        db = database.session()
        admin = accounts.create(
            db, actor=SETUP, username="ada", password="correct horse battery", role=Role.ADMIN
        )
        alerts.choose(db, moderator=admin, email="ada@magazine.example", enabled=False)
        db.commit()
    endpoint_id = register(client, token, receiver.url)["endpoint"]["id"]
    receiver.default = 500
    post(client)
    for _ in range(12):
        worker.drain()
        clock.advance(hours=5, seconds=1)
    [delivery] = deliveries(app)
    assert delivery.status is DeliveryStatus.FAILED and delivery.attempts == 8
    assert delivery.last_attempt_at - delivery.created_at >= __import__("datetime").timedelta(
        hours=24
    )
    with app.app_context():
        endpoint = database.session().get(WebhookEndpoint, endpoint_id)
        assert endpoint is not None and not endpoint.enabled
        assert "failed 8 times" in (endpoint.disabled_reason or "")
        logged = database.session().query(ModerationAction).filter_by(action="webhook.disable")
        assert logged.count() == 1
    [notice] = smtp.inbox.to("ada@magazine.example")
    assert receiver.url in notice["Subject"]


def test_deliveries_wait_while_the_receiver_is_down_and_go_out_once_it_is_up(
    app: Flask, client: FlaskClient, token: str, worker: Worker, receiver: Receiver, clock: Clock
) -> None:
    register(client, token, receiver.url)
    port = receiver.server.server_port if receiver.server else 0
    receiver.stop()
    for text in ("one", "two", "three"):
        post(client, text=text)
    worker.drain()
    assert {d.status for d in deliveries(app)} == {DeliveryStatus.PENDING}
    assert all(d.response_status is None and d.last_error for d in deliveries(app))
    revived = Receiver()
    revived.start_on(port)
    try:
        clock.advance(seconds=6)
        worker.drain()
        assert sorted(r.json["data"]["comment"]["text"] for r in revived.requests) == [
            "one",
            "three",
            "two",
        ]
    finally:
        revived.stop()


def test_after_a_rotation_both_secrets_verify_for_a_day(
    app: Flask, client: FlaskClient, token: str, worker: Worker, receiver: Receiver, clock: Clock
) -> None:
    created = register(client, token, receiver.url)
    old = created["secret"]
    rotated = api(client, token, "POST", f"/webhooks/{created['endpoint']['id']}/rotate-secret")
    new = rotated.json["secret"]
    assert new != old and rotated.json["endpoint"]["previous_secret_until"]
    post(client)
    worker.drain()
    received = receiver.requests[-1]
    Webhook(old).verify(received.body, received.headers)
    Webhook(new).verify(received.body, received.headers)
    clock.advance(hours=24, seconds=1)
    post(client)
    worker.drain()
    received = receiver.requests[-1]
    Webhook(new).verify(received.body, received.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(received.body, received.headers)


def test_a_replay_sends_the_same_event_again_under_the_same_id(
    app: Flask, client: FlaskClient, token: str, worker: Worker, receiver: Receiver
) -> None:
    endpoint_id = register(client, token, receiver.url)["endpoint"]["id"]
    post(client)
    worker.drain()
    log = api(client, token, "GET", f"/webhooks/{endpoint_id}/deliveries").json["deliveries"]
    assert log[0]["status"] == "delivered" and log[0]["response_status"] == 200
    again = api(client, token, "POST", f"/webhooks/{endpoint_id}/deliveries/{log[0]['id']}/replay")
    assert again.status_code == 202 and again.json["replay_of"] == log[0]["id"]
    worker.drain()
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body


def test_deliveries_queued_for_a_disabled_endpoint_wait_until_it_is_enabled(
    app: Flask, client: FlaskClient, token: str, worker: Worker, receiver: Receiver
) -> None:
    endpoint_id = register(client, token, receiver.url)["endpoint"]["id"]
    post(client)
    with app.app_context():
        worker.fan_out()  # the delivery is queued while the endpoint is enabled
    api(client, token, "PATCH", f"/webhooks/{endpoint_id}", enabled=False)
    worker.drain()
    assert receiver.requests == []
    api(client, token, "PATCH", f"/webhooks/{endpoint_id}", enabled=True)
    worker.drain()
    assert receiver.types() == ["comment.created"]


def test_events_while_an_endpoint_is_disabled_are_not_queued_for_it(
    app: Flask, client: FlaskClient, token: str, worker: Worker, receiver: Receiver
) -> None:
    endpoint_id = register(client, token, receiver.url)["endpoint"]["id"]
    api(client, token, "PATCH", f"/webhooks/{endpoint_id}", enabled=False)
    post(client)
    worker.drain()
    api(client, token, "PATCH", f"/webhooks/{endpoint_id}", enabled=True)
    worker.drain()
    assert receiver.requests == [] and deliveries(app) == []


def test_the_secret_is_shown_once(client: FlaskClient, token: str, receiver: Receiver) -> None:
    created = register(client, token, receiver.url)
    assert created["secret"].startswith("whsec_")
    listed = api(client, token, "GET", "/webhooks").json
    assert created["secret"] not in str(listed)
    assert "secret" not in api(client, token, "GET", f"/webhooks/{created['endpoint']['id']}").json


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8600/hooks",
        "http://localhost/hooks",
        "http://10.1.2.3/hooks",
        "http://192.168.0.10/hooks",
        "http://172.16.5.4/hooks",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hooks",
        "http://[fe80::1]/hooks",
        "http://0.0.0.0/hooks",
    ],
)
@pytest.mark.parametrize("settings", [{}], ids=["default-settings"])
def test_loopback_private_and_link_local_addresses_are_refused(
    app: Flask, client: FlaskClient, token: str, url: str
) -> None:
    answer = api(client, token, "POST", "/webhooks", url=url, events=["comment.created"])
    assert answer.status_code == 400
    assert answer.json["error"] == {
        "code": "url_not_allowed",
        "message": answer.json["error"]["message"],
        "field": "url",
    }
    with app.app_context():
        assert database.session().query(WebhookEndpoint).count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.com/", "events": ["comment.created"]}, "url"),
        ({"url": "http://user:pw@127.0.0.1/", "events": ["comment.created"]}, "url"),
        ({"url": "http://127.0.0.1/", "events": []}, "events"),
        ({"url": "http://127.0.0.1/", "events": ["comment.liked"]}, "events.0"),
        ({"url": "http://127.0.0.1/", "events": ["comment.created"], "colour": "red"}, "colour"),
        ({"events": ["comment.created"]}, "url"),
    ],
)
def test_a_bad_endpoint_is_refused_with_its_field(
    client: FlaskClient, token: str, body: dict[str, Any], field: str
) -> None:
    answer = api(client, token, "POST", "/webhooks", **body)
    assert answer.status_code == 400
    assert answer.json["error"]["field"] == field


def test_an_unknown_endpoint_is_404(client: FlaskClient, token: str) -> None:
    assert api(client, token, "GET", "/webhooks/99").status_code == 404
    assert api(client, token, "POST", "/webhooks/99/rotate-secret").status_code == 404


def test_posting_never_waits_for_a_receiver(
    client: FlaskClient, token: str, receiver: Receiver
) -> None:
    register(client, token, receiver.url)
    receiver.delay = 5
    import time

    started = time.monotonic()
    assert post(client).status_code == 201
    assert time.monotonic() - started < 4  # the receiver takes 5 s to answer


def test_nothing_is_recorded_while_nothing_listens(app: Flask, client: FlaskClient) -> None:
    from engagement.models import OutboxEvent

    builders.article(app)
    app.config["SMTP_HOST"] = ""
    post(client)
    with app.app_context():
        assert database.session().query(OutboxEvent).count() == 0


def test_an_event_rolls_back_with_its_change(
    app: Flask, client: FlaskClient, token: str, receiver: Receiver
) -> None:
    from engagement.comments import service as comments
    from engagement.models import OutboxEvent

    register(client, token, receiver.url)
    comment_id = post(client).json["comment"]["id"]
    with app.app_context():
        db = database.session()
        db.query(OutboxEvent).delete()
        db.commit()
        comment = comments.get(db, comment_id=comment_id)
        assert comment is not None
        comments.delete(db, comment=comment)
        assert db.query(OutboxEvent).count() == 1
        db.rollback()
        assert db.query(OutboxEvent).count() == 0


def test_the_openapi_document_describes_every_webhook(client: FlaskClient) -> None:
    document = client.get("/api/openapi.json").json
    assert sorted(document["webhooks"]) == sorted(events.EVENTS)
    created = document["webhooks"]["comment.created"]["post"]
    assert created["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CommentEvent"
    }
    assert {"CommentEvent", "ArticleEvent", "WebhookIn"} <= set(document["components"]["schemas"])


def test_an_erased_commenters_text_is_not_sent_after_the_erasure(
    app: Flask, client: FlaskClient, token: str, worker: Worker, receiver: Receiver
) -> None:
    register(client, token, receiver.url, ["comment.created"])
    post(client, text="My secret words.", author_email="alice@example.com", author_name="Alice")
    api(client, token, "POST", "/commenters/erase", email="alice@example.com")
    worker.drain()
    [received] = receiver.requests
    assert b"My secret words." not in received.body and b"Alice" not in received.body
