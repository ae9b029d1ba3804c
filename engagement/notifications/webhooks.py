"""Webhooks: endpoints admins register, and deliveries signed per Standard Webhooks.

Each delivery is a POST of the event's JSON with the headers ``webhook-id`` (the same on every
retry and replay, so receivers can drop repeats), ``webhook-timestamp`` and
``webhook-signature``, made by the ``standardwebhooks`` package: ``v1,<base64 HMAC-SHA256 of
"id.timestamp.body">``. For a day after a rotation the old secret signs too, so receivers can
switch secrets without losing a delivery.

Receivers are reached only at public addresses: a URL whose host resolves to a loopback,
private, link-local or otherwise non-global address is refused when registered and again at
each attempt (the connection goes to the very address checked), unless it lies in
``ENGAGEMENT_WEBHOOK_ALLOWED_NETWORKS``.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import json
import secrets
import socket
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from engagement.errors import ApiError, invalid
from engagement.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from engagement.notifications.events import EVENTS

SECRET_BYTES = 32
ROTATION_OVERLAP = timedelta(days=1)
URL_MAX = 2000
DESCRIPTION_MAX = 200
# Standard Webhooks' suggested schedule: the first attempt, then these waits. The last retry
# comes 27.5 hours after the first attempt; when it fails too the endpoint is disabled.
RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
MAX_ANSWER_BYTES = 64 * 1024
USER_AGENT = "engagement-webhooks/1"


class AddressRefused(Exception):
    """The URL's host resolves to an address webhooks may not be sent to."""


def new_secret() -> str:
    """A fresh signing secret in the Standard Webhooks form ``whsec_<base64>``."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


# --- addresses --------------------------------------------------------------------------------


def _allowed(address: str, allowed_networks: Iterable[str]) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in ipaddress.ip_network(net, strict=False) for net in allowed_networks):
        return True
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int, allowed_networks: Iterable[str]) -> str:
    """The address to connect to for ``host``; ``AddressRefused`` if any it resolves to is
    not allowed (a name with one private address among public ones is refused whole)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressRefused(f"{host} does not resolve: {exc}") from None
    addresses = [str(info[4][0]) for info in found]
    networks = list(allowed_networks)
    refused = [address for address in addresses if not _allowed(address, networks)]
    if refused or not addresses:
        raise AddressRefused(
            f"{host} resolves to {refused[0] if refused else 'nothing'}, which is loopback, "
            "private or link-local (see ENGAGEMENT_WEBHOOK_ALLOWED_NETWORKS)"
        )
    return addresses[0]


def check_url(raw: Any, allowed_networks: Iterable[str]) -> str:
    """A receiver URL as given, or a 400 naming what is wrong with it."""
    if not isinstance(raw, str) or not raw.strip():
        raise invalid("url", "url: the receiver's http:// or https:// address.")
    url = raw.strip()
    if len(url) > URL_MAX:
        raise ApiError(400, "too_long", f"url: at most {URL_MAX} characters.", "url")
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
        raise ApiError(400, "url_not_allowed", f"url: {exc}.", "url") from None
    return url


def check_events(raw: Any) -> list[str]:
    """Event types from a list, each known, at least one; or a 400."""
    if not isinstance(raw, list) or not raw or not all(isinstance(item, str) for item in raw):
        raise invalid("events", f"events: a list of one or more of {', '.join(EVENTS)}.")
    unknown = [item for item in raw if item not in EVENTS]
    if unknown:
        raise invalid("events", f"events: {unknown[0]!r} is not one of {', '.join(EVENTS)}.")
    return [event for event in EVENTS if event in raw]


def check_description(raw: Any) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str) or len(raw.strip()) > DESCRIPTION_MAX:
        raise invalid("description", f"description: text of at most {DESCRIPTION_MAX} characters.")
    return " ".join(raw.split())


# --- endpoints --------------------------------------------------------------------------------


def all_endpoints(db: Session) -> list[WebhookEndpoint]:
    return list(db.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def get(db: Session, *, endpoint_id: int) -> WebhookEndpoint:
    """The endpoint with this id, or a 404."""
    found = db.get(WebhookEndpoint, endpoint_id) if 0 < endpoint_id < 2**31 else None
    if found is None:
        raise ApiError(404, "webhook_not_found", f"No webhook endpoint with id {endpoint_id}.")
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
    found = db.get(WebhookDelivery, delivery_id) if 0 < delivery_id < 2**31 else None
    if found is None or found.endpoint_id != endpoint.id:
        raise ApiError(404, "delivery_not_found", f"No delivery with id {delivery_id}.")
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


# --- sending ----------------------------------------------------------------------------------


def body_of(event_type: str, created_at: datetime, data: dict[str, Any]) -> str:
    """The JSON body every delivery of an event carries."""
    timestamp = created_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return json.dumps(
        {"type": event_type, "timestamp": timestamp, "data": data},
        separators=(",", ":"),
        ensure_ascii=False,
    )


def signature(
    endpoint: WebhookEndpoint, *, message_id: str, timestamp: datetime, body: str, now: datetime
) -> str:
    """The ``webhook-signature`` header: one signature per secret in force."""
    keys = [endpoint.secret]
    until = endpoint.previous_secret_until
    if endpoint.previous_secret and until is not None and now < until:
        keys.append(endpoint.previous_secret)
    return " ".join(Webhook(key).sign(message_id, timestamp, body) for key in keys)


@dataclass(frozen=True)
class Attempt:
    """What one try at a delivery came to."""

    ok: bool
    status: int | None
    duration_ms: int
    error: str | None


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = _open(self._address, self.port, self.timeout)


def _open(address: str, port: int, timeout: float | None) -> socket.socket:
    sock = socket.create_connection((address, port), timeout)
    # As http.client does: no Nagle delay between a request and the next on a kept connection.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = _open(self._address, self.port, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class Sender:
    """POSTs deliveries, keeping one connection per receiver address for a batch."""

    def __init__(self, *, allowed_networks: Iterable[str], timeout: float) -> None:
        self.allowed_networks = list(allowed_networks)
        self.timeout = timeout
        self._connections: dict[tuple[bool, str, int, str], http.client.HTTPConnection] = {}

    def post(
        self, endpoint: WebhookEndpoint, *, message_id: str, body: str, now: datetime
    ) -> Attempt:
        """POST ``body`` to the endpoint, signed; never raises, never follows a redirect."""
        started = time.monotonic()

        def took() -> int:
            return int((time.monotonic() - started) * 1000)

        parts = urlsplit(endpoint.url)
        host = parts.hostname or ""
        https = parts.scheme == "https"
        port = parts.port or (443 if https else 80)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        # The header's timestamp is the wall clock's: receivers compare it with theirs.
        sent_at = datetime.now(UTC)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "webhook-id": message_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": signature(
                endpoint, message_id=message_id, timestamp=sent_at, body=body, now=now
            ),
        }
        try:
            # Resolved and checked on every attempt; a connection goes to the address checked.
            address = resolve(host, port, self.allowed_networks)
            status = self._exchange((https, host, port, address), path, body.encode(), headers)
        except AddressRefused as exc:
            return Attempt(ok=False, status=None, duration_ms=took(), error=str(exc)[:300])
        except (OSError, http.client.HTTPException) as exc:
            message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            return Attempt(ok=False, status=None, duration_ms=took(), error=message[:300])
        ok = 200 <= status < 300
        error = None if ok else f"answered {status}"
        return Attempt(ok=ok, status=status, duration_ms=took(), error=error)

    def _exchange(
        self, key: tuple[bool, str, int, str], path: str, body: bytes, headers: dict[str, str]
    ) -> int:
        connection = self._connections.get(key)
        reused = connection is not None
        if connection is None:
            https, host, port, address = key
            kind = _PinnedHTTPS if https else _PinnedHTTP
            connection = self._connections[key] = kind(host, port, address, self.timeout)
        try:
            connection.request("POST", path, body=body, headers=headers)
            answer = connection.getresponse()
            answer.read(MAX_ANSWER_BYTES)
            if answer.will_close or answer.length:  # closed, or more answer than we read
                self._drop(key)
            return answer.status
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self._drop(key)
            if not reused:
                raise
            # The receiver closed a kept-alive connection meanwhile: once more, afresh.
            return self._exchange(key, path, body, headers)
        except BaseException:
            self._drop(key)
            raise

    def _drop(self, key: tuple[bool, str, int, str]) -> None:
        connection = self._connections.pop(key, None)
        if connection is not None:
            connection.close()

    def close(self) -> None:
        for key in list(self._connections):
            self._drop(key)

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def record_attempt(delivery: WebhookDelivery, attempt: Attempt, *, now: datetime) -> bool:
    """Note an attempt's outcome and schedule the next; True when the delivery gave up."""
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.response_status = attempt.status
    delivery.duration_ms = attempt.duration_ms
    delivery.last_error = attempt.error
    delivery.claimed_until = None
    if attempt.ok:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.next_attempt_at = None
        return False
    if delivery.attempts > len(RETRY_DELAYS):
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        return True
    delivery.next_attempt_at = now + RETRY_DELAYS[delivery.attempts - 1]
    return False
