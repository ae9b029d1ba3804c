"""The admins' webhook pages: register, see the secret once, the delivery log, replay."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from engagement import db as database
from engagement.models import Role, WebhookDelivery, WebhookEndpoint
from engagement.notifications.worker import Worker
from tests import builders
from tests.moderation.conftest import log_in, make_moderator, post_form
from tests.notifications.conftest import Receiver, post

SECRET = re.compile(r'id="new-secret">(whsec_[^<]+)<')
EVENTS = ["comment.created", "comment.approved"]


def admin(app: Flask, client: FlaskClient) -> FlaskClient:
    make_moderator(app, "ada", role=Role.ADMIN)
    assert log_in(client, "ada").status_code == 303
    return client


def add_endpoint(client: FlaskClient, url: str) -> str:
    page = post_form(client, "/moderation/webhooks", url=url, event=EVENTS, description="CRM")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_an_admin_registers_an_endpoint_and_sees_its_secret_once(
    app: Flask, client: FlaskClient, receiver: Receiver
) -> None:
    admin(app, client)
    page = add_endpoint(client, receiver.url)
    secret = SECRET.search(page)
    assert secret is not None
    with app.app_context():
        endpoint = database.session().query(WebhookEndpoint).one()
        assert endpoint.event_list == EVENTS and endpoint.secret == secret.group(1)
    again = client.get(f"/moderation/webhooks/{endpoint.id}").get_data(as_text=True)
    assert secret.group(1) not in again
    assert secret.group(1) not in client.get("/moderation/webhooks").get_data(as_text=True)


def test_a_refused_address_is_explained_and_nothing_is_stored(
    app: Flask, client: FlaskClient
) -> None:
    admin(app, client)
    app.config["WEBHOOK_ALLOWED_NETWORKS"] = []
    answer = post_form(client, "/moderation/webhooks", url="http://127.0.0.1:8699/", event=EVENTS)
    assert answer.status_code == 303
    page = client.get("/moderation/webhooks").get_data(as_text=True)
    assert "loopback, private or link-local" in page
    with app.app_context():
        assert database.session().query(WebhookEndpoint).count() == 0


def test_the_endpoint_page_lists_deliveries_and_replays_one(
    app: Flask, client: FlaskClient, receiver: Receiver, worker: Worker
) -> None:
    admin(app, client)
    builders.article(app)
    add_endpoint(client, receiver.url)
    post(client)
    worker.drain()
    with app.app_context():
        delivery = database.session().query(WebhookDelivery).one()
    page = client.get(f"/moderation/webhooks/{delivery.endpoint_id}").get_data(as_text=True)
    assert f'id="delivery-{delivery.id}" data-status="delivered"' in page
    answer = post_form(
        client, f"/moderation/webhooks/{delivery.endpoint_id}/deliveries/{delivery.id}/replay"
    )
    assert answer.status_code == 303
    worker.drain()
    assert len(receiver.requests) == 2


def test_rotating_shows_the_new_secret_once(
    app: Flask, client: FlaskClient, receiver: Receiver
) -> None:
    admin(app, client)
    first = SECRET.search(add_endpoint(client, receiver.url))
    with app.app_context():
        endpoint_id = database.session().query(WebhookEndpoint).one().id
    page = post_form(client, f"/moderation/webhooks/{endpoint_id}/rotate").get_data(as_text=True)
    second = SECRET.search(page)
    assert first and second and first.group(1) != second.group(1)
    assert "The previous secret signs too until" in page


def test_an_admin_disables_and_removes_an_endpoint(
    app: Flask, client: FlaskClient, receiver: Receiver
) -> None:
    admin(app, client)
    add_endpoint(client, receiver.url)
    with app.app_context():
        endpoint_id = database.session().query(WebhookEndpoint).one().id
    post_form(
        client, f"/moderation/webhooks/{endpoint_id}", url=receiver.url, event=EVENTS
    )  # the box "enabled" left unticked
    with app.app_context():
        endpoint = database.session().get(WebhookEndpoint, endpoint_id)
        assert endpoint is not None and not endpoint.enabled
    post_form(client, f"/moderation/webhooks/{endpoint_id}/delete")
    with app.app_context():
        assert database.session().query(WebhookEndpoint).count() == 0


def test_moderators_who_are_not_admins_cannot_see_webhooks(app: Flask, client: FlaskClient) -> None:
    make_moderator(app, "mia")
    log_in(client)
    assert client.get("/moderation/webhooks").status_code == 403
