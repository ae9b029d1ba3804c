"""The webhook API's shapes: what an admin sends, and the endpoints and delivery log it gets.

The classes validate the requests and document the answers; ``endpoint_json`` and
``delivery_json`` build those answers, field for field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from engagement import openapi
from engagement.models import WebhookDelivery, WebhookEndpoint
from engagement.notifications.payloads import EventType
from engagement.notifications.webhooks import DESCRIPTION_MAX
from engagement.parsing import fits


@openapi.schema
class WebhookIn(BaseModel):
    """A new webhook endpoint."""

    model_config = ConfigDict(extra="forbid")

    url: Annotated[StrictStr, fits(WebhookEndpoint.url)] = Field(
        description="http(s) address; private addresses are refused."
    )
    events: list[EventType] = Field(min_length=1, description="The events it receives.")
    description: StrictStr | None = Field(default=None, max_length=DESCRIPTION_MAX)
    enabled: StrictBool = True


@openapi.schema
class WebhookPatch(BaseModel):
    """Changes to an endpoint; every field optional."""

    model_config = ConfigDict(extra="forbid")

    url: Annotated[StrictStr, fits(WebhookEndpoint.url)] | None = None
    events: list[EventType] | None = Field(default=None, min_length=1)
    description: StrictStr | None = Field(default=None, max_length=DESCRIPTION_MAX)
    enabled: StrictBool | None = None


@openapi.schema
class WebhookOut(BaseModel):
    """A webhook endpoint, without its secret."""

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
    """An endpoint and its signing secret, shown this once."""

    endpoint: WebhookOut
    secret: str = Field(description="`whsec_...`, for verifying signatures; shown only here.")


@openapi.schema
class WebhookList(BaseModel):
    """Every endpoint (secrets are never shown again)."""

    endpoints: list[WebhookOut]


@openapi.schema
class DeliveryOut(BaseModel):
    """One entry of an endpoint's delivery log."""

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
    """The endpoint's latest deliveries, newest first."""

    deliveries: list[DeliveryOut]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def endpoint_json(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """An endpoint as the API shows it (``WebhookOut``): never its secret."""
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
    """One entry of an endpoint's delivery log (``DeliveryOut``)."""
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
