"""The worker's mail step: due mails are claimed, sent and committed one by one.

The due replies to one reader go out together, as one digest. A mail server that cannot be
reached or fails for now is retried on ``MAIL_RETRY_DELAYS``; a permanent refusal (5xx) fails
the mail at once; a mail no longer wanted (its reply removed meanwhile) is dropped.
"""

from __future__ import annotations

import logging
import smtplib
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engagement.models import DeliveryStatus, MailKind, OutgoingMail
from engagement.notifications import mail, subscriptions
from engagement.notifications.compose import Composer
from engagement.notifications.leases import Lease

log = logging.getLogger(__name__)

MAIL_RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(hours=24),
    timedelta(hours=24),
)


def send_due(
    db: Session,
    *,
    lease: Lease,
    clock: Callable[[], datetime],
    out: mail.Mailer,
    composer: Composer,
) -> int:
    """Send every due mail (a batch) through ``out``; how many rows it settled or retried."""
    ids = lease.claim(db, OutgoingMail)
    if not ids:
        return 0
    rows = list(
        db.scalars(select(OutgoingMail).where(OutgoingMail.id.in_(ids)).order_by(OutgoingMail.id))
    )
    replies: dict[str, list[OutgoingMail]] = defaultdict(list)
    for row in rows:
        if row.kind is MailKind.REPLY:
            replies[row.recipient].append(row)
        elif lease.holds():
            _send(db, out, composer, [row], now=clock())
    for group in replies.values():
        if lease.holds():
            _send(db, out, composer, group, now=clock())
    return len(rows)


def _send(
    db: Session, out: mail.Mailer, composer: Composer, rows: list[OutgoingMail], *, now: datetime
) -> None:
    message = None
    try:
        message = composer.compose(db, rows)
        if message is not None:
            out.send(message)
    except mail.MailRefused as exc:
        _settle(rows, DeliveryStatus.FAILED, now, error=str(exc))
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("mail server unavailable, will retry: %s", exc)
        _retry(rows, now, error=f"{type(exc).__name__}: {exc}")
    else:
        if message is None:
            _settle(rows, DeliveryStatus.DROPPED, now)
        else:
            _settle(rows, DeliveryStatus.DELIVERED, now)
            if rows[0].kind is MailKind.REPLY:
                subscriber = subscriptions.subscriber(db, email=rows[0].recipient)
                if subscriber is not None:
                    subscriber.last_mailed_at = now
    db.commit()


def _retry(rows: list[OutgoingMail], now: datetime, *, error: str) -> None:
    for row in rows:
        row.attempts += 1
        row.claimed_until = None
        row.last_error = error[:300]
        if row.attempts > len(MAIL_RETRY_DELAYS):
            row.status = DeliveryStatus.FAILED
        else:
            row.next_attempt_at = now + MAIL_RETRY_DELAYS[row.attempts - 1]


def _settle(
    rows: list[OutgoingMail], status: DeliveryStatus, now: datetime, error: str | None = None
) -> None:
    for row in rows:
        row.claimed_until = None
        if row.status is not DeliveryStatus.PENDING:
            continue  # settled on its own while composing (a reply removed meanwhile)
        row.status = status
        row.attempts += 1
        row.last_error = error[:300] if error else None
        if status is DeliveryStatus.DELIVERED:
            row.sent_at = now
