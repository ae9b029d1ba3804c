"""What the dashboard shows: views and comments per day, the most read and discussed articles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Date, cast, func, select
from sqlalchemy.orm import Session

from engagement import db as database
from engagement.models import Article, Comment, DailyViews


@dataclass(frozen=True)
class DayCount:
    day: date
    count: int


@dataclass(frozen=True)
class ArticleFigure:
    key: str
    title: str
    count: int


def days_ending(today: date, days: int) -> list[date]:
    """The ``days`` dates up to and including ``today``, oldest first."""
    return [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def _fill(found: dict[date, int], today: date, days: int) -> list[DayCount]:
    return [DayCount(day=day, count=found.get(day, 0)) for day in days_ending(today, days)]


def views_per_day(db: Session, *, today: date, days: int = 30) -> list[DayCount]:
    """Counted views of all articles per day, oldest first, days without views as zero."""
    first = today - timedelta(days=days - 1)
    rows = db.execute(
        select(DailyViews.day, func.sum(DailyViews.views))
        .where(DailyViews.day >= first, DailyViews.day <= today)
        .group_by(DailyViews.day)
    )
    return _fill({day: int(total) for day, total in rows}, today, days)


def _utc_day(db: Session) -> object:
    # The day of a timestamp in UTC: PostgreSQL would otherwise use the session's time zone.
    if database.is_postgres(db):
        return cast(func.timezone("UTC", Comment.created_at), Date)
    return func.date(Comment.created_at)


def comments_per_day(db: Session, *, today: date, days: int = 30) -> list[DayCount]:
    """Comments received per day (whatever became of them), oldest first."""
    since = datetime.combine(today - timedelta(days=days - 1), time.min, tzinfo=UTC)
    day = _utc_day(db)
    rows = db.execute(
        select(day, func.count()).where(Comment.created_at >= since).group_by(day)  # type: ignore[call-overload]
    )
    found: dict[date, int] = {}
    for raw, count in rows:
        found[raw if isinstance(raw, date) else date.fromisoformat(raw)] = int(count)
    return _fill(found, today, days)


def most_read(db: Session, *, today: date, days: int = 30, limit: int = 10) -> list[ArticleFigure]:
    """The articles with the most views over the last ``days`` days."""
    first = today - timedelta(days=days - 1)
    total = func.sum(DailyViews.views).label("total")
    rows = db.execute(
        select(Article.key, Article.title, total)
        .join(DailyViews, DailyViews.article_id == Article.id)
        .where(DailyViews.day >= first)
        .group_by(Article.id, Article.key, Article.title)
        .order_by(total.desc(), Article.key)
        .limit(limit)
    )
    return [ArticleFigure(key=key, title=title, count=int(count)) for key, title, count in rows]


def most_discussed(
    db: Session, *, today: date, days: int = 30, limit: int = 10
) -> list[ArticleFigure]:
    """The articles that received the most comments over the last ``days`` days."""
    since = datetime.combine(today - timedelta(days=days - 1), time.min, tzinfo=UTC)
    total = func.count(Comment.id).label("total")
    rows = db.execute(
        select(Article.key, Article.title, total)
        .join(Comment, Comment.article_id == Article.id)
        .where(Comment.created_at >= since)
        .group_by(Article.id, Article.key, Article.title)
        .order_by(total.desc(), Article.key)
        .limit(limit)
    )
    return [ArticleFigure(key=key, title=title, count=int(count)) for key, title, count in rows]


@dataclass(frozen=True)
class Bar:
    day: date
    count: int
    x: float
    y: float
    height: float


@dataclass(frozen=True)
class Chart:
    """A bar chart laid out for an inline SVG: bars in a ``width`` x ``height`` box."""

    title: str
    bars: list[Bar]
    width: int
    height: int
    bar_width: float
    peak: int
    total: int


def bar_chart(title: str, series: list[DayCount], *, width: int = 600, height: int = 160) -> Chart:
    """Lay ``series`` out as bars scaled to the highest day."""
    peak = max((point.count for point in series), default=0)
    slot = width / max(len(series), 1)
    bars = []
    for index, point in enumerate(series):
        bar_height = 0.0 if peak == 0 else round(point.count / peak * (height - 4), 1)
        bars.append(
            Bar(
                day=point.day,
                count=point.count,
                x=round(index * slot + slot * 0.1, 1),
                y=round(height - bar_height, 1),
                height=bar_height,
            )
        )
    return Chart(
        title=title,
        bars=bars,
        width=width,
        height=height,
        bar_width=round(slot * 0.8, 1),
        peak=peak,
        total=sum(point.count for point in series),
    )
