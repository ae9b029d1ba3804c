"""The dashboard: queue sizes, views and comments per day as charts, top articles."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient

from engagement import db as database
from engagement.models import CommentStatus, DailyViews
from engagement.moderation import stats
from tests import builders
from tests.moderation.conftest import comment_row


def add_views(app: Flask, article_id: int, days_ago: int, views: int) -> None:
    with app.app_context():
        db = database.session()
        day = datetime.now(UTC).date() - timedelta(days=days_ago)
        db.add(DailyViews(article_id=article_id, day=day, views=views))
        db.commit()


def test_views_per_day_covers_30_days_with_zeros(app: Flask, db: database.Session) -> None:
    story = builders.article(app)
    add_views(app, story.id, 0, 7)
    add_views(app, story.id, 2, 3)
    add_views(app, story.id, 40, 100)
    today = datetime.now(UTC).date()
    series = stats.views_per_day(db, today=today)
    assert len(series) == 30
    assert series[-1].count == 7 and series[-3].count == 3
    assert sum(point.count for point in series) == 10


def test_comments_per_day_counts_every_comment_received(app: Flask, db: database.Session) -> None:
    story = builders.article(app)
    now = datetime.now(UTC)
    comment_row(app, story.id, created_at=now)
    comment_row(app, story.id, status=CommentStatus.SPAM, created_at=now)
    comment_row(app, story.id, created_at=now - timedelta(days=1))
    comment_row(app, story.id, created_at=now - timedelta(days=45))
    series = stats.comments_per_day(db, today=now.date())
    assert [point.count for point in series[-2:]] == [1, 2]
    assert sum(point.count for point in series) == 3


def test_most_read_and_most_discussed(app: Flask, db: database.Session) -> None:
    quiet = builders.article(app, "quiet", title="Quiet")
    loud = builders.article(app, "loud", title="Loud")
    add_views(app, quiet.id, 1, 50)
    add_views(app, loud.id, 1, 5)
    for _ in range(3):
        comment_row(app, loud.id, created_at=datetime.now(UTC))
    today = datetime.now(UTC).date()
    assert [(a.key, a.count) for a in stats.most_read(db, today=today)] == [
        ("quiet", 50),
        ("loud", 5),
    ]
    assert [(a.key, a.count) for a in stats.most_discussed(db, today=today)] == [("loud", 3)]


def test_bars_scale_to_the_busiest_day() -> None:
    today = datetime.now(UTC).date()
    series = [stats.DayCount(day=today - timedelta(days=1), count=5), stats.DayCount(today, 10)]
    chart = stats.bar_chart("Views", series, width=200, height=104)
    assert [bar.height for bar in chart.bars] == [50.0, 100.0]
    assert chart.peak == 10 and chart.total == 15


def test_the_dashboard_draws_two_charts_and_the_queue_sizes(
    app: Flask, moderator: FlaskClient
) -> None:
    story = builders.article(app)
    add_views(app, story.id, 0, 12)
    comment_row(app, story.id, created_at=datetime.now(UTC))
    page = moderator.get("/moderation/").get_data(as_text=True)
    assert page.count("<svg") == 2
    assert len(re.findall(r'<rect class="bar"', page)) == 60
    assert "Views per day: 12 in 30 days" in page
    assert 'data-queue="pending">1<' in page
