"""Recording views: de-duplicated per visitor and window, never lost under concurrency."""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from engagement import db as database
from engagement.models import Article, DailyViews, ViewMark

# One counted view in this many also deletes expired de-duplication marks.
PRUNE_ONE_IN = 1000


@dataclass(frozen=True)
class ViewResult:
    comments: int
    views: int
    counted: bool


@dataclass(frozen=True)
class _Statements:
    mark: Any
    bump: Any
    daily: Any
    counters: Any


@functools.cache
def _statements(dialect: str) -> _Statements:
    """The view's statements, built once per dialect: a view is the hottest write there is."""
    insert = database.insert_for(dialect)
    # The article is found by key inside the INSERT: no separate lookup on the common path.
    mark = insert(ViewMark).from_select(
        ["article_id", "visitor", "seen_at"],
        select(
            Article.id,
            bindparam("visitor", type_=ViewMark.visitor.type),
            bindparam("now", type_=ViewMark.seen_at.type),
        ).where(Article.key == bindparam("key")),
    )
    mark = mark.on_conflict_do_update(
        index_elements=["article_id", "visitor"],
        set_={"seen_at": mark.excluded.seen_at},
        where=ViewMark.seen_at <= bindparam("window_start", type_=ViewMark.seen_at.type),
    ).returning(ViewMark.article_id)
    bump = (
        update(Article)
        .where(Article.id == bindparam("article_id"))
        .values(view_count=Article.view_count + 1)
        .returning(Article.comment_count, Article.view_count)
    )
    daily = insert(DailyViews).values(
        article_id=bindparam("article_id"), day=bindparam("day"), views=1
    )
    daily = daily.on_conflict_do_update(
        index_elements=["article_id", "day"], set_={"views": DailyViews.views + 1}
    )
    counters = select(Article.comment_count, Article.view_count).where(
        Article.key == bindparam("key")
    )
    return _Statements(mark=mark, bump=bump, daily=daily, counters=counters)


def relax_durability(db: Session) -> None:
    """On PostgreSQL, let this transaction commit without waiting for its WAL flush.

    A view is cheap to lose and expensive to wait for: with ``synchronous_commit`` off for
    the view's own transaction, a crash of the database server may forget the last fraction
    of a second of views, but never corrupts anything and never touches other writes.
    """
    if database.is_postgres(db):
        db.connection().exec_driver_sql("SET LOCAL synchronous_commit TO OFF")


def record_view(
    db: Session, *, key: str, visitor: str, now: datetime, window: timedelta
) -> ViewResult | None:
    """Count a view unless this visitor was counted on this article within ``window``.

    None when no article has this key.
    """
    # Core statements on the session's own connection and transaction: the ORM's per-statement
    # bookkeeping would cost more than the statements themselves.
    conn = db.connection()
    statements = _statements(conn.dialect.name)
    article_id = conn.execute(
        statements.mark,
        {"key": key, "visitor": visitor, "now": now, "window_start": now - window},
    ).scalar()
    if article_id is None:  # already counted in the window, or no such article
        found = conn.execute(statements.counters, {"key": key}).first()
        if found is None:
            return None
        return ViewResult(comments=found[0], views=found[1], counted=False)

    comments, views = conn.execute(statements.bump, {"article_id": article_id}).one()
    conn.execute(statements.daily, {"article_id": article_id, "day": now.date()})
    if random.randrange(PRUNE_ONE_IN) == 0:
        prune_marks(db, before=now - window)
    return ViewResult(comments=comments, views=views, counted=True)


def prune_marks(db: Session, *, before: datetime) -> int:
    """Delete de-duplication marks that can no longer stop a view; returns how many."""
    result = db.execute(delete(ViewMark).where(ViewMark.seen_at <= before))
    return int(result.rowcount)  # type: ignore[attr-defined]


def daily_views(db: Session, *, article_id: int, since: datetime) -> list[tuple[str, int]]:
    """Views per day of one article since a date, oldest first."""
    rows = db.execute(
        select(DailyViews.day, DailyViews.views)
        .where(DailyViews.article_id == article_id, DailyViews.day >= since.date())
        .order_by(DailyViews.day)
    )
    return [(day.isoformat(), views) for day, views in rows]
