"""Moderator alerts: each moderator may ask for a mail when comments wait for a decision."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from engagement.comments.inputs import email as parse_email
from engagement.models import (
    DeliveryStatus,
    MailKind,
    Moderator,
    ModeratorAlert,
    OutgoingMail,
    Role,
)
from engagement.refusals import Refusal, invalid


def settings_of(db: Session, *, moderator: Moderator) -> ModeratorAlert | None:
    """The moderator's alert settings, or None if they never set any (alerts are off)."""
    return db.get(ModeratorAlert, moderator.id)


def choose(
    db: Session, *, moderator: Moderator, email: str | None, enabled: bool
) -> ModeratorAlert:
    """Set where the moderator's alerts go and whether they want them."""
    try:
        address = parse_email(email)
    except Refusal:
        raise invalid("email", "email: not an email address.") from None
    if enabled and address is None:
        raise invalid("email", "Give the address the alerts should go to.")
    found = settings_of(db, moderator=moderator)
    if found is None:
        found = ModeratorAlert(moderator_id=moderator.id, email=address or "", enabled=enabled)
        db.add(found)
    else:
        found.email = address or ""
        found.enabled = enabled
    db.flush()
    return found


def note_waiting(db: Session, *, now: datetime) -> None:
    """A comment started waiting: every moderator with alerts on has something to hear of."""
    db.execute(
        update(ModeratorAlert)
        .where(ModeratorAlert.enabled, ModeratorAlert.waiting_since.is_(None))
        .values(waiting_since=now)
        .execution_options(synchronize_session=False)
    )


def queue_due(db: Session, *, now: datetime, interval: timedelta) -> int:
    """Queue a summary for each moderator whose interval has passed since their last one;
    how many were queued."""
    due = db.scalars(
        select(ModeratorAlert)
        .join(Moderator, Moderator.id == ModeratorAlert.moderator_id)
        .where(
            ModeratorAlert.enabled,
            Moderator.active,
            ModeratorAlert.waiting_since.is_not(None),
            or_(
                ModeratorAlert.last_sent_at.is_(None), ModeratorAlert.last_sent_at <= now - interval
            ),
        )
        .with_for_update(skip_locked=True, of=ModeratorAlert)
    ).all()
    for alert in due:
        alert.waiting_since = None
        alert.last_sent_at = now
        db.add(
            OutgoingMail(
                kind=MailKind.ALERT,
                recipient=alert.email,
                language="en",
                data={"moderator_id": alert.moderator_id},
                status=DeliveryStatus.PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
    db.flush()
    return len(due)


def admin_addresses(db: Session) -> list[str]:
    """Where notices for admins go: the alert address of every active admin who gave one."""
    rows = db.scalars(
        select(ModeratorAlert.email)
        .join(Moderator, Moderator.id == ModeratorAlert.moderator_id)
        .where(Moderator.role == Role.ADMIN, Moderator.active, ModeratorAlert.email != "")
    )
    return sorted(set(rows))
