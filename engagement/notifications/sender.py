"""Sending a webhook: the signed POST of an event's JSON, per Standard Webhooks.

Each delivery carries the headers ``webhook-id`` (the same on every retry and replay, so
receivers can drop repeats), ``webhook-timestamp`` and ``webhook-signature``, made by the
``standardwebhooks`` package: ``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``. For a day
after a rotation the old secret signs too, so receivers can switch secrets without losing a
delivery. The connection goes to the address ``addresses.resolve`` checked, and is kept for the
next delivery to the same receiver within a batch.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from standardwebhooks.webhooks import Webhook

from engagement.models import WebhookEndpoint
from engagement.notifications.addresses import AddressRefused, resolve

MAX_ANSWER_BYTES = 64 * 1024
USER_AGENT = "engagement-webhooks/1"

# A receiver connection: https or not, host, port, and the address checked for the host.
_Key = tuple[bool, str, int, str]


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
        self._connections: dict[_Key, http.client.HTTPConnection] = {}

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
        headers = _headers(endpoint, message_id=message_id, body=body, now=now)
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

    def _exchange(self, key: _Key, path: str, body: bytes, headers: dict[str, str]) -> int:
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

    def _drop(self, key: _Key) -> None:
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


def _headers(
    endpoint: WebhookEndpoint, *, message_id: str, body: str, now: datetime
) -> dict[str, str]:
    # The header's timestamp is the wall clock's: receivers compare it with theirs.
    sent_at = datetime.now(UTC)
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signature(
            endpoint, message_id=message_id, timestamp=sent_at, body=body, now=now
        ),
    }
