"""Routes: webhook endpoints through the moderation API (``/api/v1/moderation/webhooks``, an
API token with the scope ``moderation``), and the webhooks the service sends, documented."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from engagement import db as database
from engagement import openapi, tokens
from engagement.http import json_body, validated
from engagement.models import TokenScope, WebhookDelivery, WebhookEndpoint
from engagement.moderation import audit
from engagement.moderation.requests import actor
from engagement.notifications import payloads, webhooks
from engagement.notifications.webhook_shapes import (
    DeliveryList,
    DeliveryOut,
    WebhookIn,
    WebhookList,
    WebhookOut,
    WebhookPatch,
    WebhookWithSecret,
    delivery_json,
    endpoint_json,
)
from engagement.parsing import column_max

bp = Blueprint("webhooks_api", __name__, url_prefix="/api/v1/moderation/webhooks")

openapi.path_parameter(
    "endpoint_id",
    {"type": "integer", "minimum": 1, "maximum": column_max(WebhookEndpoint.id)},
    "The webhook endpoint's id.",
)
openapi.path_parameter(
    "delivery_id",
    {"type": "integer", "minimum": 1, "maximum": column_max(WebhookDelivery.id)},
    "The delivery's id, from the endpoint's log.",
)
# The webhooks themselves, beside the routes that manage their endpoints.
openapi.section(payloads.document_webhooks)

SCOPE = "moderation"


@bp.before_request
def _authenticate() -> None:
    tokens.require_token(TokenScope.MODERATION)


def _endpoint(endpoint_id: int) -> tuple[Session, WebhookEndpoint]:
    """The request's session and the endpoint the URL names (else 404)."""
    db = database.session()
    return db, webhooks.get(db, endpoint_id=endpoint_id)


def _checked(data: WebhookIn | WebhookPatch) -> dict[str, Any]:
    """The fields given, checked as the service wants them: the URL against the allowed
    networks (``ENGAGEMENT_WEBHOOK_ALLOWED_NETWORKS``), the description on one line."""
    checked: dict[str, Any] = {}
    if data.url is not None:
        networks = list(current_app.config["WEBHOOK_ALLOWED_NETWORKS"])
        checked["url"] = webhooks.check_url(data.url, networks)
    if data.events is not None:
        checked["events"] = webhooks.check_events(list(data.events))
    if data.description is not None:
        checked["description"] = webhooks.check_description(data.description)
    return checked


def _commit_audited(db: Session, action: str, after: dict[str, Any]) -> None:
    audit.record(db, actor=actor(), action=action, after=after)
    db.commit()


def _with_secret(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {"endpoint": endpoint_json(endpoint), "secret": endpoint.secret}


@bp.get("")
@openapi.operation({200: WebhookList}, scope=SCOPE)
def endpoint_list() -> ResponseReturnValue:
    """List webhook endpoints."""
    found = webhooks.all_endpoints(database.session())
    return jsonify(endpoints=[endpoint_json(endpoint) for endpoint in found])


@bp.post("")
@openapi.operation(
    {201: openapi.Answer(WebhookWithSecret, "Registered.")}, body=WebhookIn, scope=SCOPE
)
def endpoint_create() -> ResponseReturnValue:
    """Register a webhook endpoint; the answer carries its secret, this once.

    The URL must resolve to public addresses only (loopback, private and link-local ones are
    refused with 400 `url_not_allowed` unless ENGAGEMENT_WEBHOOK_ALLOWED_NETWORKS covers them).
    """
    data = validated(WebhookIn, json_body())
    db = database.session()
    endpoint = webhooks.create(db, **_checked(data), enabled=data.enabled, created_by=actor().name)
    _commit_audited(db, "webhook.create", {"id": endpoint.id, "url": endpoint.url})
    return jsonify(_with_secret(endpoint)), 201


@bp.get("/<int:endpoint_id>")
@openapi.operation({200: openapi.Answer(WebhookOut, "The endpoint.")}, scope=SCOPE)
def endpoint_get(endpoint_id: int) -> ResponseReturnValue:
    """A webhook endpoint."""
    _db, endpoint = _endpoint(endpoint_id)
    return jsonify(endpoint_json(endpoint))


@bp.patch("/<int:endpoint_id>")
@openapi.operation(
    {200: openapi.Answer(WebhookOut, "The endpoint as it is now.")}, body=WebhookPatch, scope=SCOPE
)
def endpoint_update(endpoint_id: int) -> ResponseReturnValue:
    """Change a webhook endpoint's URL, events, description or whether it is enabled."""
    data = validated(WebhookPatch, json_body())
    db, endpoint = _endpoint(endpoint_id)
    webhooks.update(db, endpoint=endpoint, **_checked(data), enabled=data.enabled)
    after = {"id": endpoint.id, **data.model_dump(exclude_none=True)}
    _commit_audited(db, "webhook.update", after)
    return jsonify(endpoint_json(endpoint))


@bp.delete("/<int:endpoint_id>")
@openapi.operation({204: "Removed."}, scope=SCOPE)
def endpoint_delete(endpoint_id: int) -> ResponseReturnValue:
    """Remove a webhook endpoint and its delivery log."""
    db, endpoint = _endpoint(endpoint_id)
    audit.record(
        db, actor=actor(), action="webhook.delete", after={"id": endpoint.id, "url": endpoint.url}
    )
    webhooks.delete(db, endpoint=endpoint)
    db.commit()
    return "", 204


@bp.post("/<int:endpoint_id>/rotate-secret")
@openapi.operation(
    {200: openapi.Answer(WebhookWithSecret, "The endpoint and its new secret.")}, scope=SCOPE
)
def endpoint_rotate(endpoint_id: int) -> ResponseReturnValue:
    """A new signing secret, shown once; the old one keeps signing for a day.

    For 24 hours every delivery carries two signatures in `webhook-signature`, one per secret,
    so the receiver can switch at its own pace.
    """
    db, endpoint = _endpoint(endpoint_id)
    webhooks.rotate_secret(db, endpoint=endpoint)
    _commit_audited(db, "webhook.rotate", {"id": endpoint.id})
    return jsonify(_with_secret(endpoint))


@bp.get("/<int:endpoint_id>/deliveries")
@openapi.operation({200: openapi.Answer(DeliveryList, "The log.")}, scope=SCOPE)
def delivery_list(endpoint_id: int) -> ResponseReturnValue:
    """The endpoint's latest deliveries (50), newest first."""
    db, endpoint = _endpoint(endpoint_id)
    found = webhooks.deliveries(db, endpoint=endpoint)
    return jsonify(deliveries=[delivery_json(delivery) for delivery in found])


@bp.post("/<int:endpoint_id>/deliveries/<int:delivery_id>/replay")
@openapi.operation(
    {202: openapi.Answer(DeliveryOut, "Queued for the worker's next pass.")}, scope=SCOPE
)
def delivery_replay(endpoint_id: int, delivery_id: int) -> ResponseReturnValue:
    """Send a delivery again, with the same `webhook-id`, as a new log entry."""
    db, endpoint = _endpoint(endpoint_id)
    again = webhooks.replay(db, endpoint=endpoint, delivery_id=delivery_id)
    db.commit()
    return jsonify(delivery_json(again)), 202
