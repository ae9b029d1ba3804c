"""The audit log: every moderation action with who, what, when, why, and the state around it."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from typing import Any, TypeVarTuple

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from engagement.models import ApiToken, Article, ModerationAction, Moderator

PAGE_SIZE = 50
# Why a moderator acted: stored as text of any length, bounded here for the log's sake.
MAX_REASON = 1000
Row = TypeVarTuple("Row")


@dataclass(frozen=True)
class Actor:
    """Who acts: a logged-in moderator, an API token, or the command line."""

    name: str
    moderator_id: int | None = None
    token_id: int | None = None

    @classmethod
    def moderator(cls, moderator: Moderator) -> Actor:
        return cls(name=moderator.username, moderator_id=moderator.id)

    @classmethod
    def token(cls, token: ApiToken) -> Actor:
        return cls(name=f"token:{token.name}", token_id=token.id)

    @classmethod
    def command_line(cls) -> Actor:
        """The person at the command line, named by their operating-system account."""
        try:
            user = getpass.getuser()
        except (OSError, KeyError):  # a container's user with no name
            user = f"uid{os.getuid()}"
        return cls(name=f"cli:{user}")


def record(
    db: Session,
    *,
    actor: Actor,
    action: str,
    comment_id: int | None = None,
    article_id: int | None = None,
    reason: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> ModerationAction:
    """Write one entry of the audit log."""
    entry = ModerationAction(
        actor=actor.name,
        moderator_id=actor.moderator_id,
        token_id=actor.token_id,
        action=action,
        comment_id=comment_id,
        article_id=article_id,
        reason=reason or None,
        before=before,
        after=after,
    )
    db.add(entry)
    db.flush()
    return entry


@dataclass(frozen=True)
class AuditFilter:
    """What the log is narrowed to; every field optional."""

    action: str | None = None
    actor: str | None = None
    article_key: str | None = None
    comment_id: int | None = None


@dataclass(frozen=True)
class AuditPage:
    entries: list[tuple[ModerationAction, str | None]]
    next_before: int | None


def _filtered(query: Select[*Row], wanted: AuditFilter) -> Select[*Row]:
    if wanted.action:
        query = query.where(ModerationAction.action == wanted.action)
    if wanted.actor:
        query = query.where(ModerationAction.actor == wanted.actor)
    if wanted.article_key:
        query = query.where(Article.key == wanted.article_key)
    if wanted.comment_id is not None:
        query = query.where(ModerationAction.comment_id == wanted.comment_id)
    return query


def entries(
    db: Session,
    *,
    wanted: AuditFilter = AuditFilter(),
    before_id: int | None = None,
    limit: int = PAGE_SIZE,
) -> AuditPage:
    """Log entries, newest first, with the key of the article each concerns.

    Pages are keyed by id (``before_id``): ids grow with time, and a page stays the same
    while new entries arrive.
    """
    query = select(ModerationAction, Article.key).outerjoin(
        Article, Article.id == ModerationAction.article_id
    )
    query = _filtered(query, wanted)
    if before_id is not None:
        query = query.where(ModerationAction.id < before_id)
    query = query.order_by(ModerationAction.id.desc()).limit(limit + 1)
    rows: list[tuple[ModerationAction, str | None]] = [(e, k) for e, k in db.execute(query)]
    next_before = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_before = rows[-1][0].id
    return AuditPage(entries=rows, next_before=next_before)


def actions_seen(db: Session) -> list[str]:
    """The distinct action names in the log, for the filter's choices."""
    return list(db.scalars(select(ModerationAction.action).distinct().order_by("action")))


def as_json(entry: ModerationAction, article_key: str | None) -> dict[str, Any]:
    """One log entry as the moderation API shows it."""
    return {
        "id": entry.id,
        "actor": entry.actor,
        "action": entry.action,
        "comment_id": entry.comment_id,
        "article": article_key,
        "reason": entry.reason,
        "before": entry.before,
        "after": entry.after,
        "created_at": entry.created_at.isoformat(),
    }
