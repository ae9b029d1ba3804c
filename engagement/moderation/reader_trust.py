"""Signed-in readers as moderators see them: their record, their latest comments, and the
trust a moderator marks them with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engagement.identity import readers
from engagement.models import Comment, Reader, Trust
from engagement.moderation.audit import Actor, record
from engagement.moderation.items import QueueItem, items_for

LATEST = 50


def reader_state(reader: Reader) -> dict[str, Any]:
    """A reader's trust, for the audit log."""
    return {"subject": reader.subject, "trust": reader.trust.value if reader.trust else None}


def set_reader_trust(
    db: Session, *, actor: Actor, reader: Reader, trust: Trust | None, reason: str | None = None
) -> Reader:
    """Mark a signed-in reader trusted or untrusted (None: back to the rules), logged."""
    before = reader_state(reader)
    readers.set_trust(db, reader=reader, trust=trust, actor=actor.name)
    record(
        db,
        actor=actor,
        action="reader.trust",
        reason=reason,
        before=before,
        after=reader_state(reader),
    )
    return reader


@dataclass(frozen=True)
class ReaderHistory:
    reader: Reader
    standing: readers.Standing
    items: list[QueueItem]


def reader_history(
    db: Session,
    *,
    subject: str,
    clean_days: int,
    limit: int = LATEST,
) -> ReaderHistory:
    """A signed-in reader, their record and their latest comments (any status), newest first;
    ``clean_days`` is how far back rejections count (ENGAGEMENT_TRUST_CLEAN_DAYS)."""
    reader = readers.require(db, subject=subject)
    latest = list(
        db.scalars(
            select(Comment)
            .where(Comment.author_subject == subject)
            .order_by(Comment.created_at.desc(), Comment.id.desc())
            .limit(limit)
        )
    )
    return ReaderHistory(
        reader=reader,
        standing=readers.standing(db, subject=subject, clean_days=clean_days),
        items=items_for(db, comments=latest),
    )
