"""Webhook endpoints: what admins register, through the API and the moderation pages.

An endpoint is a receiver's URL, the events it wants, and the secret its deliveries are signed
with (``sender.py``); its delivery log keeps every attempt, and any entry can be replayed. A URL
is checked when it is registered (``check_url``): http(s), no credentials, and a host that
resolves to public addresses only (``addresses.py``).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from engagement.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, utcnow
from engagement.notifications.addresses import AddressRefused, resolve
from engagement.notifications.events import EVENTS
from engagement.parsing import column_length, column_max
from engagement.refusals import NotFound, invalid

SECRET_BYTES = 32
ROTATION_OVERLAP = timedelta(days=1)
URL_MAX = column_length(WebhookEndpoint.url)
DESCRIPTION_MAX = column_length(WebhookEndpoint.description)


def new_secret() -> str:
    """A fresh signing secret in the Standard Webhooks form ``whsec_<base64>``."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


# --- checks -----------------------------------------------------------------------------------


def check_url(raw: Any, allowed_networks: Iterable[str]) -> str:
    """A receiver URL as given, or the refusal naming what is wrong with it."""
    if not isinstance(raw, str) or not raw.strip():
        raise invalid("url", "url: the receiver's http:// or https:// address.")
    url = raw.strip()
    if len(url) > URL_MAX:
        raise invalid("url", f"url: at most {URL_MAX} characters.", "too_long")
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise invalid("url", "url: not a valid address.") from None
    if parts.scheme not in {"http", "https"} or not host:
        raise invalid("url", "url: the receiver's http:// or https:// address.")
    if parts.username or parts.password:
        raise invalid("url", "url: credentials do not belong in the address.")
    if any(char.isspace() for char in url):
        raise invalid("url", "url: spaces are not allowed.")
    try:
        resolve(host, port or (443 if parts.scheme == "https" else 80), allowed_networks)
    except AddressRefused as exc:
        raise invalid("url", f"url: {exc}.", "url_not_allowed") from None
    return url


def check_events(raw: Any) -> list[str]:
    """Event types from a list, each known, at least one; else a refusal."""
    if not isinstance(raw, list) or not raw or not all(isinstance(item, str) for item in raw):
        raise invalid("events", f"events: a list of one or more of {', '.join(EVENTS)}.")
    unknown = [item for item in raw if item not in EVENTS]
    if unknown:
        raise invalid("events", f"events: {unknown[0]!r} is not one of {', '.join(EVENTS)}.")
    return [event for event in EVENTS if event in raw]


def check_description(raw: Any) -> str:
    """A description on one line (empty when absent), or a refusal when it is too long."""
    if raw is None:
        return ""
    if not isinstance(raw, str) or len(raw.strip()) > DESCRIPTION_MAX:
        raise invalid("description", f"description: text of at most {DESCRIPTION_MAX} characters.")
    return " ".join(raw.split())


def _in_column(row_id: int, model: type[WebhookEndpoint] | type[WebhookDelivery]) -> bool:
    """Whether ``row_id`` can be a row's id at all (a larger one fails on PostgreSQL)."""
    return 0 < row_id <= column_max(model.id)


# --- endpoints --------------------------------------------------------------------------------


def all_endpoints(db: Session) -> list[WebhookEndpoint]:
    """Every registered endpoint, oldest first."""
    return list(db.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def get(db: Session, *, endpoint_id: int) -> WebhookEndpoint:
    """The endpoint with this id; else ``NotFound``."""
    found = (
        db.get(WebhookEndpoint, endpoint_id) if _in_column(endpoint_id, WebhookEndpoint) else None
    )
    if found is None:
        raise NotFound("webhook_not_found", f"No webhook endpoint with id {endpoint_id}.")
    return found


def create(
    db: Session,
    *,
    url: str,
    events: list[str],
    description: str = "",
    enabled: bool = True,
    created_by: str | None = None,
) -> WebhookEndpoint:
    """Register an endpoint (already checked); its secret is read once by the caller."""
    endpoint = WebhookEndpoint(
        url=url,
        events=" ".join(events),
        description=description,
        secret=new_secret(),
        enabled=enabled,
        created_by=created_by,
        created_at=utcnow(),
    )
    db.add(endpoint)
    db.flush()
    return endpoint


def update(
    db: Session,
    *,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    events: list[str] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
) -> WebhookEndpoint:
    """Change what is given; enabling clears the reason it was disabled."""
    if url is not None:
        endpoint.url = url
    if events is not None:
        endpoint.events = " ".join(events)
    if description is not None:
        endpoint.description = description
    if enabled is not None:
        endpoint.enabled = enabled
        endpoint.disabled_reason = None if enabled else "disabled by an admin"
    db.flush()
    return endpoint


def rotate_secret(
    db: Session, *, endpoint: WebhookEndpoint, now: datetime | None = None
) -> WebhookEndpoint:
    """A new secret; the old one keeps signing beside it for a day."""
    now = now or utcnow()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = now + ROTATION_OVERLAP
    endpoint.secret = new_secret()
    db.flush()
    return endpoint


def delete(db: Session, *, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint and its delivery log."""
    db.delete(endpoint)
    db.flush()


def deliveries(db: Session, *, endpoint: WebhookEndpoint, limit: int = 50) -> list[WebhookDelivery]:
    """The endpoint's latest deliveries, newest first."""
    return list(
        db.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


def replay(
    db: Session, *, endpoint: WebhookEndpoint, delivery_id: int, now: datetime | None = None
) -> WebhookDelivery:
    """Send a delivery again, as a new entry of the log with the same ``webhook-id``."""
    found = (
        db.get(WebhookDelivery, delivery_id) if _in_column(delivery_id, WebhookDelivery) else None
    )
    if found is None or found.endpoint_id != endpoint.id:
        raise NotFound("delivery_not_found", f"No delivery with id {delivery_id}.")
    now = now or utcnow()
    again = WebhookDelivery(
        endpoint_id=endpoint.id,
        message_id=found.message_id,
        event_type=found.event_type,
        payload=found.payload,
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        replay_of=found.id,
        created_at=now,
    )
    db.add(again)
    db.flush()
    return again
