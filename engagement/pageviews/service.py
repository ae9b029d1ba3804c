"""Recording views: de-duplicated per visitor and window, never lost under concurrency."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text, update
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


def relax_durability(db: Session) -> None:
    """On PostgreSQL, let this transaction commit without waiting for its WAL flush.

    A view is cheap to lose and expensive to wait for: with ``synchronous_commit`` off for
    the view's own transaction, a crash of the database server may forget the last fraction
    of a second of views, but never corrupts anything and never touches other writes.
    """
    if database.is_postgres(db):
        db.execute(text("SET LOCAL synchronous_commit TO OFF"))


def record_view(
    db: Session, *, article_id: int, visitor: str, now: datetime, window: timedelta
) -> ViewResult:
    """Count a view unless this visitor was counted on this article within ``window``."""
    insert = database.insert(db)
    mark = insert(ViewMark).values(article_id=article_id, visitor=visitor, seen_at=now)
    mark = mark.on_conflict_do_update(
        index_elements=["article_id", "visitor"],
        set_={"seen_at": mark.excluded.seen_at},
        where=ViewMark.seen_at <= now - window,
    ).returning(ViewMark.article_id)
    counted = db.execute(mark).first() is not None
    if not counted:
        comments, views = db.execute(
            select(Article.comment_count, Article.view_count).where(Article.id == article_id)
        ).one()
        return ViewResult(comments=comments, views=views, counted=False)

    comments, views = db.execute(
        update(Article)
        .where(Article.id == article_id)
        .values(view_count=Article.view_count + 1)
        .returning(Article.comment_count, Article.view_count)
    ).one()
    daily = insert(DailyViews).values(article_id=article_id, day=now.date(), views=1)
    db.execute(
        daily.on_conflict_do_update(
            index_elements=["article_id", "day"],
            set_={"views": DailyViews.views + 1},
        )
    )
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
