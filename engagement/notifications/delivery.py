"""The worker's webhook step: due deliveries are claimed, sent, and their outcome recorded.

Each outcome commits on its own, so a worker killed mid-batch repeats at most the delivery in
flight (under the same ``webhook-id``). A failed delivery is retried on Standard Webhooks'
schedule; when the last retry fails too, its endpoint is disabled, the audit log says why, and
the admins are mailed (when a mail server is set).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engagement.models import (
    DeliveryStatus,
    MailKind,
    OutgoingMail,
    WebhookDelivery,
    WebhookEndpoint,
)
from engagement.moderation import audit
from engagement.notifications import alerts
from engagement.notifications.leases import Lease
from engagement.notifications.sender import Attempt, Sender

log = logging.getLogger(__name__)

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


def deliver_due(
    db: Session,
    *,
    lease: Lease,
    clock: Callable[[], datetime],
    sender: Sender,
    mailing: bool,
) -> int:
    """Attempt every due delivery of enabled endpoints (a batch) with ``sender``; how many.
    ``mailing``: whether admins are mailed about an endpoint disabled after failing."""
    ids = lease.claim(db, WebhookDelivery)
    if not ids:
        return 0
    taken = db.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.id.in_(ids))
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
    ).all()
    wanted = {delivery.endpoint_id for delivery in taken}
    endpoints = {
        endpoint.id: endpoint
        for endpoint in db.scalars(select(WebhookEndpoint).where(WebhookEndpoint.id.in_(wanted)))
    }
    for delivery in taken:
        if not lease.holds():
            break
        endpoint = endpoints[delivery.endpoint_id]
        attempt = sender.post(
            endpoint, message_id=delivery.message_id, body=delivery.payload, now=clock()
        )
        now = clock()
        if record_attempt(delivery, attempt, now=now) and endpoint.enabled:
            disable(db, endpoint=endpoint, delivery=delivery, now=now, mailing=mailing)
        # Each outcome commits alone: a crash repeats at most the delivery in flight.
        db.commit()
    return len(taken)


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


def disable(
    db: Session,
    *,
    endpoint: WebhookEndpoint,
    delivery: WebhookDelivery,
    now: datetime,
    mailing: bool,
) -> None:
    """Disable an endpoint whose delivery gave up: audited, and the admins told by mail."""
    reason = (
        f"delivery {delivery.id} failed {delivery.attempts} times over "
        f"{_hours(now - delivery.created_at)} hours (last: {delivery.last_error})"
    )[:300]
    endpoint.enabled = False
    endpoint.disabled_reason = reason
    audit.record(
        db,
        actor=audit.Actor(name="worker"),
        action="webhook.disable",
        reason=reason,
        after={"id": endpoint.id, "url": endpoint.url},
    )
    log.warning("webhook endpoint %s disabled: %s", endpoint.id, reason)
    if not mailing:
        return
    for address in alerts.admin_addresses(db):
        db.add(
            OutgoingMail(
                kind=MailKind.NOTICE,
                recipient=address,
                language="en",
                data={"endpoint_id": endpoint.id, "url": endpoint.url, "reason": reason},
                status=DeliveryStatus.PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )


def _hours(span: timedelta) -> int:
    return int(span.total_seconds() // 3600)
