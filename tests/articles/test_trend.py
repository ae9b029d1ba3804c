"""An article's views and comments per day, for the CMS (scope ``articles``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engagement.models import CommentStatus, TokenScope
from tests import builders
from tests.moderation.conftest import comment_row
from tests.moderation.test_dashboard import add_views


def trend(client: FlaskClient, secret: str, path: str = "/api/v1/articles/the-story/trend"):  # type: ignore[no-untyped-def]
    return client.get(path, headers={"Authorization": f"Bearer {secret}"})


def test_trend_gives_views_and_comments_of_each_day_oldest_first(
    app: Flask, client: FlaskClient
) -> None:
    story = builders.article(app)
    other = builders.article(app, "other")
    add_views(app, story.id, 0, 7)
    add_views(app, story.id, 2, 3)
    add_views(app, other.id, 0, 100)
    now = datetime.now(UTC)
    comment_row(app, story.id, created_at=now)
    comment_row(app, story.id, status=CommentStatus.SPAM, created_at=now - timedelta(days=2))
    comment_row(app, other.id, created_at=now)
    answer = trend(client, builders.api_token(app)).json
    assert answer["key"] == "the-story"
    days = answer["days"]
    assert len(days) == 30
    assert days[-1] == {"day": now.date().isoformat(), "views": 7, "comments": 1}
    assert days[-3]["views"] == 3 and days[-3]["comments"] == 1
    assert sum(day["views"] for day in days) == 10


def test_trend_covers_the_days_asked_for(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    path = "/api/v1/articles/the-story/trend?days=7"
    assert len(trend(client, builders.api_token(app), path).json["days"]) == 7


@pytest.mark.parametrize("days", ["0", "366", "-1", "seven", "99999999999999999999"])
def test_trend_refuses_a_bad_number_of_days(app: Flask, client: FlaskClient, days: str) -> None:
    builders.article(app)
    response = trend(
        client, builders.api_token(app), f"/api/v1/articles/the-story/trend?days={days}"
    )
    assert response.status_code == 400
    assert response.json["error"]["field"] == "days"


def test_trend_needs_the_articles_scope(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    assert trend(client, "").status_code == 401
    moderation_only = builders.api_token(app, scopes=[TokenScope.MODERATION])
    assert trend(client, moderation_only).status_code == 403


def test_trend_of_an_unknown_article_is_404(app: Flask, client: FlaskClient) -> None:
    response = trend(client, builders.api_token(app), "/api/v1/articles/nobody/trend")
    assert response.status_code == 404
