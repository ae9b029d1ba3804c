"""Recording views: de-duplicated per visitor and window, never lost under concurrency."""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Dialect, delete
from sqlalchemy.orm import Session

from engagement.db import RawConnection
from engagement.models import DailyViews, ViewMark

# One counted view in this many also deletes expired de-duplication marks.
PRUNE_ONE_IN = 1000


@dataclass(frozen=True)
class ViewResult:
    comments: int
    views: int
    counted: bool


# PostgreSQL records a view in one statement: one round trip, and one transaction of its own.
# The mark decides: the counter and the day's views rise only when the mark was inserted or
# renewed. How durable its commit is belongs to the connection (see ``db.init_app``).
_POSTGRES_VIEW = """
WITH article AS (
    SELECT id, comment_count, view_count FROM articles WHERE key = %(key)s::varchar
), mark AS (
    INSERT INTO view_marks (article_id, visitor, seen_at)
    SELECT article.id, %(visitor)s::varchar, %(now)s::timestamptz FROM article
    ON CONFLICT (article_id, visitor) DO UPDATE SET seen_at = excluded.seen_at
        WHERE view_marks.seen_at <= %(window_start)s::timestamptz
    RETURNING article_id
), bump AS (
    UPDATE articles SET view_count = articles.view_count + 1
    FROM mark WHERE articles.id = mark.article_id
    RETURNING articles.comment_count, articles.view_count
), daily AS (
    INSERT INTO daily_views (article_id, day, views)
    SELECT article_id, %(day)s::date, 1 FROM mark
    ON CONFLICT (article_id, day) DO UPDATE SET views = daily_views.views + 1
)
SELECT comment_count, view_count, true FROM bump
UNION ALL
SELECT comment_count, view_count, false FROM article WHERE NOT EXISTS (SELECT FROM mark)
"""

# SQLite runs in-process: three statements in one IMMEDIATE transaction cost less than one
# round trip. The article is found by key inside the INSERT, with no lookup of its own.
_SQLITE_MARK = """
INSERT INTO view_marks (article_id, visitor, seen_at)
SELECT id, ?, ? FROM articles WHERE key = ?
ON CONFLICT (article_id, visitor) DO UPDATE SET seen_at = excluded.seen_at
    WHERE view_marks.seen_at <= ?
RETURNING article_id
"""
_SQLITE_BUMP = """
UPDATE articles SET view_count = view_count + 1 WHERE id = ?
RETURNING comment_count, view_count
"""
_SQLITE_DAILY = """
INSERT INTO daily_views (article_id, day, views) VALUES (?, ?, 1)
ON CONFLICT (article_id, day) DO UPDATE SET views = views + 1
"""
_SQLITE_COUNTERS = "SELECT comment_count, view_count FROM articles WHERE key = ?"


@functools.lru_cache(maxsize=8)
def _sqlite_binders(dialect: Dialect) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """How SQLAlchemy stores a timestamp and a date on SQLite, so raw SQL compares alike."""
    timestamp = ViewMark.seen_at.type.dialect_impl(dialect).bind_processor(dialect)
    day = DailyViews.day.type.dialect_impl(dialect).bind_processor(dialect)
    assert timestamp is not None and day is not None
    return timestamp, day


def record_view(
    conn: RawConnection,
    *,
    key: str,
    visitor: str,
    now: datetime,
    window: timedelta,
) -> ViewResult | None:
    """Count a view unless this visitor was counted on this article within ``window``.

    None when no article has this key.
    """
    if conn.postgres:
        row = conn.execute(
            _POSTGRES_VIEW,
            {
                "key": key,
                "visitor": visitor,
                "now": now,
                "window_start": now - window,
                "day": now.date(),
            },
        ).fetchone()
        if row is None:
            return None
        if row[2] and random.randrange(PRUNE_ONE_IN) == 0:
            conn.execute(
                "DELETE FROM view_marks WHERE seen_at <= %(before)s::timestamptz",
                {"before": now - window},
            )
        return ViewResult(comments=row[0], views=row[1], counted=bool(row[2]))

    timestamp, day = _sqlite_binders(conn.dialect)
    marked = conn.execute(
        _SQLITE_MARK, (visitor, timestamp(now), key, timestamp(now - window))
    ).fetchone()
    if marked is None:  # already counted in the window, or no such article
        found = conn.execute(_SQLITE_COUNTERS, (key,)).fetchone()
        if found is None:
            return None
        return ViewResult(comments=found[0], views=found[1], counted=False)
    comments, views = conn.execute(_SQLITE_BUMP, (marked[0],)).fetchone()
    conn.execute(_SQLITE_DAILY, (marked[0], day(now.date())))
    if random.randrange(PRUNE_ONE_IN) == 0:
        conn.execute("DELETE FROM view_marks WHERE seen_at <= ?", (timestamp(now - window),))
    return ViewResult(comments=comments, views=views, counted=True)


def prune_marks(db: Session, *, before: datetime) -> int:
    """Delete de-duplication marks that can no longer stop a view; returns how many."""
    result = db.execute(delete(ViewMark).where(ViewMark.seen_at <= before))
    return int(result.rowcount)  # type: ignore[attr-defined]
