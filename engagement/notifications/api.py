"""Webhook endpoints through the moderation API (``/api/v1/moderation/webhooks``, API token
with the scope ``moderation``), and the webhook payloads the OpenAPI document describes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from flask import Blueprint, current_app, g, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from engagement import db as database
from engagement import openapi, tokens
from engagement.http import json_body, validated
from engagement.models import TokenScope, WebhookDelivery, WebhookEndpoint
from engagement.moderation import audit
from engagement.moderation.audit import Actor
from engagement.notifications import events, webhooks

bp = Blueprint("webhooks_api", __name__, url_prefix="/api/v1/moderation/webhooks")

EventType = Literal[
    "comment.created",
    "comment.approved",
    "comment.rejected",
    "comment.deleted",
    "comment.edited",
    "comment.reported",
    "article.closed",
    "article.opened",
]
assert set(EventType.__args__) == set(events.EVENTS)  # type: ignore[attr-defined]


@bp.before_request
def _authenticate() -> None:
    tokens.require_token(TokenScope.MODERATION)


def _actor() -> Actor:
    return Actor.token(g.api_token)


# --- shapes -----------------------------------------------------------------------------------


@openapi.schema
class WebhookIn(BaseModel):
    """A new webhook endpoint."""

    model_config = ConfigDict(extra="forbid")

    url: StrictStr = Field(description="http(s) address; private addresses are refused.")
    events: list[EventType] = Field(min_length=1, description="The events it receives.")
    description: StrictStr | None = Field(default=None, max_length=webhooks.DESCRIPTION_MAX)
    enabled: StrictBool = True


@openapi.schema
class WebhookPatch(BaseModel):
    """Changes to an endpoint; every field optional."""

    model_config = ConfigDict(extra="forbid")

    url: StrictStr | None = None
    events: list[EventType] | None = Field(default=None, min_length=1)
    description: StrictStr | None = Field(default=None, max_length=webhooks.DESCRIPTION_MAX)
    enabled: StrictBool | None = None


@openapi.schema
class WebhookOut(BaseModel):
    id: int
    url: str
    description: str
    events: list[str]
    enabled: bool
    disabled_reason: str | None = Field(
        description="Why it was disabled (by an admin or after a delivery failed for over a day)."
    )
    previous_secret_until: datetime | None = Field(
        description="After a rotation, until when the previous secret signs too."
    )
    created_at: datetime


@openapi.schema
class WebhookWithSecret(BaseModel):
    endpoint: WebhookOut
    secret: str = Field(description="`whsec_...`, for verifying signatures; shown only here.")


@openapi.schema
class WebhookList(BaseModel):
    endpoints: list[WebhookOut]


@openapi.schema
class DeliveryOut(BaseModel):
    id: int
    message_id: str = Field(description="The `webhook-id` header: equal on retries and replays.")
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    response_status: int | None = Field(description="The receiver's last answer code.")
    duration_ms: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    replay_of: int | None
    created_at: datetime


@openapi.schema
class DeliveryList(BaseModel):
    deliveries: list[DeliveryOut]


class EventArticle(BaseModel):
    key: str
    title: str
    url: str | None
    open: bool


class EventComment(BaseModel):
    id: int
    parent_id: int | None
    status: Literal["pending", "approved", "rejected", "spam"]
    deleted: bool
    text: str = Field(description="The Markdown source.")
    html: str = Field(description="The sanitized rendering readers see.")
    author_name: str | None
    author_website: str | None
    avatar: str
    created_at: datetime
    edited_at: datetime | None


class CommentEventData(BaseModel):
    comment: EventComment
    article: EventArticle


class ArticleEventData(BaseModel):
    article: EventArticle


@openapi.schema
class CommentEvent(BaseModel):
    """The body of every `comment.*` webhook. No email, address or visitor hash, ever."""

    type: Literal[
        "comment.created",
        "comment.approved",
        "comment.rejected",
        "comment.deleted",
        "comment.edited",
        "comment.reported",
    ]
    timestamp: datetime = Field(description="When it happened (not when it was sent).")
    data: CommentEventData


@openapi.schema
class ArticleEvent(BaseModel):
    """The body of the `article.closed` and `article.opened` webhooks."""

    type: Literal["article.closed", "article.opened"]
    timestamp: datetime
    data: ArticleEventData


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def endpoint_json(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """An endpoint as the API shows it: never its secret."""
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "description": endpoint.description,
        "events": endpoint.event_list,
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "previous_secret_until": _iso(endpoint.previous_secret_until),
        "created_at": _iso(endpoint.created_at),
    }


def delivery_json(delivery: WebhookDelivery) -> dict[str, Any]:
    """One entry of an endpoint's delivery log."""
    return {
        "id": delivery.id,
        "message_id": delivery.message_id,
        "event_type": delivery.event_type,
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "response_status": delivery.response_status,
        "duration_ms": delivery.duration_ms,
        "last_error": delivery.last_error,
        "next_attempt_at": _iso(delivery.next_attempt_at),
        "last_attempt_at": _iso(delivery.last_attempt_at),
        "replay_of": delivery.replay_of,
        "created_at": _iso(delivery.created_at),
    }


def _networks() -> list[str]:
    return list(current_app.config["WEBHOOK_ALLOWED_NETWORKS"])


# --- routes -----------------------------------------------------------------------------------


@bp.get("")
def endpoint_list() -> ResponseReturnValue:
    """The registered endpoints.
    ---
    get:
      summary: List webhook endpoints
      security: [{bearer: []}]
      responses:
        200:
          description: Every endpoint (secrets are never shown again).
          content:
            application/json:
              schema: {$ref: "#/components/schemas/WebhookList"}
        401: {$ref: "#/components/responses/Error"}
        403: {$ref: "#/components/responses/Error"}
    """
    found = webhooks.all_endpoints(database.session())
    return jsonify(endpoints=[endpoint_json(endpoint) for endpoint in found])


@bp.post("")
def endpoint_create() -> ResponseReturnValue:
    """Register an endpoint.
    ---
    post:
      summary: Register a webhook endpoint; the answer carries its secret, this once
      description: >
        The URL must resolve to public addresses only (loopback, private and link-local ones
        are refused with 400 `url_not_allowed` unless ENGAGEMENT_WEBHOOK_ALLOWED_NETWORKS
        covers them).
      security: [{bearer: []}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/WebhookIn"}
      responses:
        201:
          description: Registered.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/WebhookWithSecret"}
        400: {$ref: "#/components/responses/Error"}
        401: {$ref: "#/components/responses/Error"}
        403: {$ref: "#/components/responses/Error"}
    """
    data = validated(WebhookIn, json_body())
    url = webhooks.check_url(data.url, _networks())
    description = webhooks.check_description(data.description)
    db = database.session()
    endpoint = webhooks.create(
        db,
        url=url,
        events=webhooks.check_events(list(data.events)),
        description=description,
        enabled=data.enabled,
        created_by=_actor().name,
    )
    audit.record(db, actor=_actor(), action="webhook.create", after={"id": endpoint.id, "url": url})
    db.commit()
    return jsonify(endpoint=endpoint_json(endpoint), secret=endpoint.secret), 201


@bp.get("/<int:endpoint_id>")
def endpoint_get(endpoint_id: int) -> ResponseReturnValue:
    """One endpoint.
    ---
    get:
      summary: A webhook endpoint
      security: [{bearer: []}]
      parameters:
        - {name: endpoint_id, in: path, required: true, schema: {type: integer}}
      responses:
        200:
          description: The endpoint.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/WebhookOut"}
        401: {$ref: "#/components/responses/Error"}
        404: {$ref: "#/components/responses/Error"}
    """
    return jsonify(endpoint_json(webhooks.get(database.session(), endpoint_id=endpoint_id)))


@bp.patch("/<int:endpoint_id>")
def endpoint_update(endpoint_id: int) -> ResponseReturnValue:
    """Change an endpoint.
    ---
    patch:
      summary: Change a webhook endpoint's URL, events, description or whether it is enabled
      security: [{bearer: []}]
      parameters:
        - {name: endpoint_id, in: path, required: true, schema: {type: integer}}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/WebhookPatch"}
      responses:
        200:
          description: The endpoint as it is now.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/WebhookOut"}
        400: {$ref: "#/components/responses/Error"}
        401: {$ref: "#/components/responses/Error"}
        404: {$ref: "#/components/responses/Error"}
    """
    data = validated(WebhookPatch, json_body())
    db = database.session()
    endpoint = webhooks.get(db, endpoint_id=endpoint_id)
    webhooks.update(
        db,
        endpoint=endpoint,
        url=webhooks.check_url(data.url, _networks()) if data.url is not None else None,
        events=webhooks.check_events(list(data.events)) if data.events is not None else None,
        description=(
            webhooks.check_description(data.description) if data.description is not None else None
        ),
        enabled=data.enabled,
    )
    audit.record(
        db,
        actor=_actor(),
        action="webhook.update",
        after={"id": endpoint.id, **data.model_dump(exclude_none=True)},
    )
    db.commit()
    return jsonify(endpoint_json(endpoint))


@bp.delete("/<int:endpoint_id>")
def endpoint_delete(endpoint_id: int) -> ResponseReturnValue:
    """Remove an endpoint.
    ---
    delete:
      summary: Remove a webhook endpoint and its delivery log
      security: [{bearer: []}]
      parameters:
        - {name: endpoint_id, in: path, required: true, schema: {type: integer}}
      responses:
        204: {description: Removed.}
        401: {$ref: "#/components/responses/Error"}
        404: {$ref: "#/components/responses/Error"}
    """
    db = database.session()
    endpoint = webhooks.get(db, endpoint_id=endpoint_id)
    audit.record(
        db, actor=_actor(), action="webhook.delete", after={"id": endpoint.id, "url": endpoint.url}
    )
    webhooks.delete(db, endpoint=endpoint)
    db.commit()
    return "", 204


@bp.post("/<int:endpoint_id>/rotate-secret")
def endpoint_rotate(endpoint_id: int) -> ResponseReturnValue:
    """Rotate an endpoint's secret.
    ---
    post:
      summary: A new signing secret, shown once; the old one keeps signing for a day
      description: >
        For 24 hours every delivery carries two signatures in `webhook-signature`, one per
        secret, so the receiver can switch at its own pace.
      security: [{bearer: []}]
      parameters:
        - {name: endpoint_id, in: path, required: true, schema: {type: integer}}
      responses:
        200:
          description: The endpoint and its new secret.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/WebhookWithSecret"}
        401: {$ref: "#/components/responses/Error"}
        404: {$ref: "#/components/responses/Error"}
    """
    db = database.session()
    endpoint = webhooks.get(db, endpoint_id=endpoint_id)
    webhooks.rotate_secret(db, endpoint=endpoint)
    audit.record(db, actor=_actor(), action="webhook.rotate", after={"id": endpoint.id})
    db.commit()
    return jsonify(endpoint=endpoint_json(endpoint), secret=endpoint.secret)


@bp.get("/<int:endpoint_id>/deliveries")
def delivery_list(endpoint_id: int) -> ResponseReturnValue:
    """An endpoint's delivery log.
    ---
    get:
      summary: The endpoint's latest deliveries (50), newest first
      security: [{bearer: []}]
      parameters:
        - {name: endpoint_id, in: path, required: true, schema: {type: integer}}
      responses:
        200:
          description: The log.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/DeliveryList"}
        401: {$ref: "#/components/responses/Error"}
        404: {$ref: "#/components/responses/Error"}
    """
    db = database.session()
    endpoint = webhooks.get(db, endpoint_id=endpoint_id)
    return jsonify(
        deliveries=[delivery_json(d) for d in webhooks.deliveries(db, endpoint=endpoint)]
    )


@bp.post("/<int:endpoint_id>/deliveries/<int:delivery_id>/replay")
def delivery_replay(endpoint_id: int, delivery_id: int) -> ResponseReturnValue:
    """Replay a delivery.
    ---
    post:
      summary: Send a delivery again, with the same `webhook-id`, as a new log entry
      security: [{bearer: []}]
      parameters:
        - {name: endpoint_id, in: path, required: true, schema: {type: integer}}
        - {name: delivery_id, in: path, required: true, schema: {type: integer}}
      responses:
        202:
          description: Queued for the worker's next pass.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/DeliveryOut"}
        401: {$ref: "#/components/responses/Error"}
        404: {$ref: "#/components/responses/Error"}
    """
    db = database.session()
    endpoint = webhooks.get(db, endpoint_id=endpoint_id)
    again = webhooks.replay(db, endpoint=endpoint, delivery_id=delivery_id)
    db.commit()
    return jsonify(delivery_json(again)), 202


WEBHOOK_HEADERS = [
    {
        "name": "webhook-id",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "The event's id (`msg_...`): the same on every retry and replay.",
    },
    {
        "name": "webhook-timestamp",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "Seconds since the epoch when this attempt was sent.",
    },
    {
        "name": "webhook-signature",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "`v1,<base64 HMAC-SHA256>` of `id.timestamp.body`, one per secret in "
        "force, space-separated (two for a day after a rotation).",
    },
]


@openapi.section
def document_webhooks(document: dict[str, Any]) -> None:
    """Add the ``webhooks`` section (OpenAPI 3.1): one entry per event type."""
    section: dict[str, Any] = {}
    for event in events.EVENTS:
        schema = "ArticleEvent" if event.startswith("article.") else "CommentEvent"
        section[event] = {
            "post": {
                "summary": f"`{event}`, signed per Standard Webhooks",
                "parameters": WEBHOOK_HEADERS,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}
                    },
                },
                "responses": {
                    "2XX": {
                        "description": "Received. Any other answer (or none within "
                        "ENGAGEMENT_WEBHOOK_TIMEOUT_SECONDS) is retried."
                    }
                },
            }
        }
    document["webhooks"] = section
