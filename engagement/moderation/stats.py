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


def views_per_day(
    db: Session, *, today: date, days: int = 30, article_id: int | None = None
) -> list[DayCount]:
    """Counted views per day (of one article, or of all), oldest first, days without views as
    zero."""
    first = today - timedelta(days=days - 1)
    query = (
        select(DailyViews.day, func.sum(DailyViews.views))
        .where(DailyViews.day >= first, DailyViews.day <= today)
        .group_by(DailyViews.day)
    )
    if article_id is not None:
        query = query.where(DailyViews.article_id == article_id)
    return _fill({day: int(total) for day, total in db.execute(query)}, today, days)


def _utc_day(db: Session) -> object:
    # The day of a timestamp in UTC: PostgreSQL would otherwise use the session's time zone.
    if database.is_postgres(db):
        return cast(func.timezone("UTC", Comment.created_at), Date)
    return func.date(Comment.created_at)


def comments_per_day(
    db: Session, *, today: date, days: int = 30, article_id: int | None = None
) -> list[DayCount]:
    """Comments received per day (of one article, or of all; whatever became of them), oldest
    first."""
    since = datetime.combine(today - timedelta(days=days - 1), time.min, tzinfo=UTC)
    until = datetime.combine(today + timedelta(days=1), time.min, tzinfo=UTC)
    day = _utc_day(db)
    query = select(day, func.count()).where(  # type: ignore[call-overload]
        Comment.created_at >= since, Comment.created_at < until
    )
    if article_id is not None:
        query = query.where(Comment.article_id == article_id)
    rows = db.execute(query.group_by(day))
    found: dict[date, int] = {}
    for raw, count in rows:
        found[raw if isinstance(raw, date) else date.fromisoformat(raw)] = int(count)
    return _fill(found, today, days)


@dataclass(frozen=True)
class Trend:
    """One article's views and comments per day, oldest first, the same days in both."""

    views: list[DayCount]
    comments: list[DayCount]


def article_trend(db: Session, *, article_id: int, today: date, days: int = 30) -> Trend:
    """Views and comments per day of one article over the ``days`` days up to ``today``."""
    return Trend(
        views=views_per_day(db, today=today, days=days, article_id=article_id),
        comments=comments_per_day(db, today=today, days=days, article_id=article_id),
    )


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
class Tick:
    """A label on an axis, at ``at`` along it (x for days, y for counts)."""

    label: str
    at: float


@dataclass(frozen=True)
class Chart:
    """A bar chart laid out for an inline SVG: bars in the plot box from (left, top) to
    (left + plot_width, top + plot_height), a count axis on the left and a day axis below."""

    title: str
    unit: str  # what one bar counts, singular: "view", "comment"
    bars: list[Bar]
    width: int
    height: int
    left: int
    top: int
    plot_width: int
    plot_height: int
    bar_width: float
    peak: int
    total: int
    y_ticks: list[Tick]
    x_ticks: list[Tick]

    @property
    def bottom(self) -> int:
        return self.top + self.plot_height

    @property
    def right(self) -> int:
        return self.left + self.plot_width


def nice_ceiling(peak: int) -> tuple[int, int]:
    """The top of the count axis and the step between its ticks: a 1, 2 or 5 times a power of
    ten step, at most four steps."""
    if peak <= 0:
        return 1, 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            candidate = step * factor
            if candidate * 4 >= peak:
                top = -(-peak // candidate) * candidate
                return top, candidate
        step *= 10


def bar_chart(
    title: str,
    series: list[DayCount],
    *,
    unit: str = "",
    width: int = 640,
    height: int = 220,
    left: int = 56,
    top: int = 12,
    bottom: int = 40,
    right: int = 12,
) -> Chart:
    """Lay ``series`` out as bars on a count axis from 0 to a round number above the highest
    day, with a labelled tick every few days."""
    peak = max((point.count for point in series), default=0)
    ceiling, step = nice_ceiling(peak)
    plot_width, plot_height = width - left - right, height - top - bottom
    slot = plot_width / max(len(series), 1)
    bars = []
    for index, point in enumerate(series):
        bar_height = round(point.count / ceiling * plot_height, 1)
        bars.append(
            Bar(
                day=point.day,
                count=point.count,
                x=round(left + index * slot + slot * 0.1, 1),
                y=round(top + plot_height - bar_height, 1),
                height=bar_height,
            )
        )
    y_ticks = [
        Tick(label=f"{value:,}", at=round(top + plot_height - value / ceiling * plot_height, 1))
        for value in range(0, ceiling + 1, step)
    ]
    every = max(1, len(series) // 5)
    x_ticks = [
        Tick(label=point.day.strftime("%d %b"), at=round(left + (index + 0.5) * slot, 1))
        for index, point in enumerate(series)
        if (len(series) - 1 - index) % every == 0
    ]
    return Chart(
        title=title,
        unit=unit,
        bars=bars,
        width=width,
        height=height,
        left=left,
        top=top,
        plot_width=plot_width,
        plot_height=plot_height,
        bar_width=round(slot * 0.8, 1),
        peak=peak,
        total=sum(point.count for point in series),
        y_ticks=y_ticks,
        x_ticks=x_ticks,
    )


def plural(count: int, word: str) -> str:
    """``1 view``, ``2 views``, ``0 comments``: a count with its word, thousands separated."""
    return f"{count:,} {word if count == 1 else word + 's'}"
