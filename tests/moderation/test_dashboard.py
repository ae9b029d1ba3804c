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
    chart = stats.bar_chart("Views", series, width=200, height=104, top=0, bottom=4)
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
    assert "Views per day: 12 views in 30 days" in page
    assert 'data-queue="pending">1<' in page


def test_the_count_axis_ends_on_a_round_number_above_the_busiest_day() -> None:
    assert stats.nice_ceiling(0) == (1, 1)
    assert stats.nice_ceiling(3) == (3, 1)
    assert stats.nice_ceiling(7) == (8, 2)
    assert stats.nice_ceiling(12) == (15, 5)
    assert stats.nice_ceiling(130) == (150, 50)


def test_charts_carry_labelled_axes_with_their_figures(app: Flask, moderator: FlaskClient) -> None:
    story = builders.article(app)
    add_views(app, story.id, 0, 12)
    page = moderator.get("/moderation/").get_data(as_text=True)
    assert "Day (UTC)" in page and "Views per day</text>" in page
    assert re.search(r'class="tick tick-y"[^>]*>15<', page)
    assert re.search(r'class="tick tick-x"[^>]*>\d\d [A-Z][a-z]{2}<', page)


def test_counts_say_1_view_and_2_views(app: Flask, moderator: FlaskClient) -> None:
    one = builders.article(app, "one", title="One")
    two = builders.article(app, "two", title="Two")
    add_views(app, one.id, 1, 1)
    add_views(app, two.id, 1, 2)
    page = moderator.get("/moderation/").get_data(as_text=True)
    assert ">1 view<" in page and ">2 views<" in page
    assert "1 views" not in page


def test_the_article_page_charts_its_own_views_and_comments(
    app: Flask, moderator: FlaskClient
) -> None:
    story = builders.article(app, title="The story")
    other = builders.article(app, "other")
    add_views(app, story.id, 0, 5)
    add_views(app, other.id, 0, 50)
    comment_row(app, story.id, created_at=datetime.now(UTC))
    page = moderator.get("/moderation/articles/the-story").get_data(as_text=True)
    assert "Views per day: 5 views in 30 days" in page
    assert "Comments per day: 1 comment in 30 days" in page
    assert page.count("<svg") == 2


def test_an_unknown_article_page_is_404(moderator: FlaskClient) -> None:
    assert moderator.get("/moderation/articles/nobody").status_code == 404
