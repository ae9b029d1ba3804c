"""Claiming work: a worker leases due rows so that concurrent workers never take the same.

Due rows are selected ``FOR UPDATE SKIP LOCKED`` (concurrent workers take disjoint rows), then
marked as this worker's until the lease ends, and committed at once: a worker killed mid-batch
leaves its rows leased, and once the lease runs out another worker takes them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from engagement.models import DeliveryStatus, OutgoingMail, WebhookDelivery, WebhookEndpoint

Row = TypeVar("Row", WebhookDelivery, OutgoingMail)


class Lease:
    """What this worker took last, and until when it is the worker's alone."""

    def __init__(self, *, clock: Callable[[], datetime], length: timedelta, batch: int) -> None:
        self.clock = clock
        self.length = length
        self.batch = batch
        self._ends = clock()

    def claim(self, db: Session, model: type[Row]) -> list[int]:
        """Lease up to a batch of due rows of ``model`` to this worker; their ids."""
        now = self.clock()
        query = (
            select(model.id)
            .where(
                model.status == DeliveryStatus.PENDING,
                model.next_attempt_at <= now,
                or_(model.claimed_until.is_(None), model.claimed_until < now),
            )
            .order_by(model.next_attempt_at, model.id)
            .limit(self.batch)
        )
        if model is WebhookDelivery:  # a disabled endpoint's deliveries wait for it
            query = query.join(
                WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id
            ).where(WebhookEndpoint.enabled)
        ids = list(db.scalars(query.with_for_update(skip_locked=True, of=model)))
        self._ends = now + self.length
        if ids:
            db.execute(
                update(model)
                .where(model.id.in_(ids))
                .values(claimed_until=self._ends)
                .execution_options(synchronize_session=False)
            )
        db.commit()
        return ids

    def holds(self) -> bool:
        """Whether the last claim still holds: past it, another worker may have taken the rest
        of the batch, which must then not be sent twice."""
        return self.clock() < self._ends
