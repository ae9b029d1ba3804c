"""Readers the magazine signed in: their record, their reserved name, the trust they earned.

Trust rules, in the order ``comments.posting.initial_status`` applies them after the spam
screening: a reader a moderator marked untrusted always waits; under post-moderation
everyone else is seen at once; a reader marked trusted, a staff reader, and a regular (at
least ``TRUST_AFTER_APPROVED`` approved comments and none rejected or marked spam by a
moderator in the last ``TRUST_CLEAN_DAYS`` days) are approved at once under pre- and
first-time moderation too; first-time moderation approves a signed-in reader who has one
approved comment, and a guest whose email was confirmed through the reply notifications and
who posts as the same visitor as their approved comment. A typed email alone proves nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engagement import db as database
from engagement.identity.signin import SignIn
from engagement.models import Comment, CommentStatus, Moderator, Reader, Trust, utcnow
from engagement.refusals import Conflict, NotFound

SUBJECT_MAX = 200


def name_key(name: str | None) -> str | None:
    """A name as compared for reservation: case-folded, inner spaces collapsed."""
    if not name:
        return None
    return " ".join(name.casefold().split())[:100] or None


def as_json(reader: Reader) -> dict[str, Any]:
    """A signed-in reader's record, as moderators and data-protection exports see it."""
    return {
        "subject": reader.subject,
        "name": reader.name,
        "email": reader.email,
        "staff": reader.staff,
        "trust": reader.trust.value if reader.trust else None,
        "created_at": reader.created_at.isoformat(),
        "last_seen_at": reader.last_seen_at.isoformat(),
    }


def get(db: Session, *, subject: str) -> Reader | None:
    """The reader with this subject, or None."""
    return db.scalar(select(Reader).where(Reader.subject == subject))


def require(db: Session, *, subject: str) -> Reader:
    """The reader with this subject; else ``NotFound``."""
    reader = get(db, subject=subject)
    if reader is None:
        raise NotFound("reader_not_found", "No signed-in reader with that subject.", "subject")
    return reader


def record_sign_in(db: Session, *, sign_in: SignIn, now: datetime | None = None) -> Reader:
    """Create or refresh the reader's record from what the magazine says about them now."""
    moment = now or utcnow()
    insert = database.insert(db)
    db.execute(
        insert(Reader)
        .values(subject=sign_in.subject, staff=False, created_at=moment, last_seen_at=moment)
        .on_conflict_do_nothing(index_elements=["subject"])
    )
    reader = get(db, subject=sign_in.subject)
    assert reader is not None, "inserted just before"
    reader.name = sign_in.name
    reader.name_key = name_key(sign_in.name)
    reader.email = sign_in.email
    reader.staff = "staff" in sign_in.roles
    reader.last_seen_at = moment
    db.flush()
    return reader


def check_guest_name(db: Session, *, name: str | None) -> None:
    """Refuse (``Conflict``, ``name_reserved``) a guest who posts under a signed-in reader's
    name or a moderator's display name."""
    key = name_key(name)
    if key is None:
        return
    taken = db.scalar(select(Reader.id).where(Reader.name_key == key).limit(1))
    if taken is None:
        # The newsroom's names too: a guest may not pass for a moderator's staff replies.
        taken = db.scalar(
            select(Moderator.id).where(func.lower(Moderator.display_name) == key).limit(1)
        )
    if taken is not None:
        raise Conflict(
            "name_reserved",
            "That name belongs to a signed-in reader: sign in, or choose another name.",
            "author_name",
        )


def set_trust(
    db: Session, *, reader: Reader, trust: Trust | None, actor: str, now: datetime | None = None
) -> None:
    """Mark the reader trusted or untrusted (None: back to the rules)."""
    reader.trust = trust
    reader.trust_set_by = actor
    reader.trust_set_at = now or utcnow()
    db.flush()


@dataclass(frozen=True)
class Standing:
    """What a reader's record says about them, for the trust rules and moderators."""

    approved: int
    recent_rejections: int


def standing(
    db: Session, *, subject: str, clean_days: int, now: datetime | None = None
) -> Standing:
    """How many of the reader's comments are approved, and how many a moderator rejected or
    marked spam in the last ``clean_days`` days."""
    since = (now or utcnow()) - timedelta(days=clean_days)
    approved, rejected = db.execute(
        select(
            func.count().filter(Comment.status == CommentStatus.APPROVED),
            func.count().filter(
                Comment.status.in_([CommentStatus.REJECTED, CommentStatus.SPAM]),
                Comment.moderated_at.is_not(None),
                Comment.moderated_at >= since,
            ),
        ).where(Comment.author_subject == subject)
    ).one()
    return Standing(approved=int(approved), recent_rejections=int(rejected))


def is_regular(
    db: Session, *, subject: str, after: int, clean_days: int, now: datetime | None = None
) -> bool:
    """Whether the reader earned approval at once: ``after`` approved comments (0: the rule is
    off) and no rejection in ``clean_days`` days."""
    if after <= 0:
        return False
    found = standing(db, subject=subject, clean_days=clean_days, now=now)
    return found.approved >= after and found.recent_rejections == 0
