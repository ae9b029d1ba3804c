"""Bans made and lifted by moderators, each logged (the rules of a ban: ``abuse.bans``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from engagement.abuse import bans
from engagement.models import Ban, BanKind
from engagement.moderation.audit import Actor, record


def ban(
    db: Session,
    *,
    actor: Actor,
    kind: BanKind,
    value: str,
    days: int | None = None,
    reason: str | None = None,
) -> Ban:
    """Ban an email, visitor hash, network or name, for ``days`` or for good; logged."""
    made = bans.ban(
        db,
        kind=kind,
        value=value,
        reason=reason,
        expires_at=bans.expiry(days),
        created_by=actor.name,
    )
    record(db, actor=actor, action="ban.create", reason=reason, after=bans.as_json(made))
    return made


def lift_ban(db: Session, *, actor: Actor, ban_id: int, reason: str | None = None) -> Ban:
    """End a ban now; logged. ``ban_not_found`` if there is no such ban."""
    lifted = bans.lift(db, ban_id=ban_id)
    record(db, actor=actor, action="ban.lift", reason=reason, after=bans.as_json(lifted))
    return lifted
