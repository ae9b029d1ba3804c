"""Editors switch an article's moderation mode and close or open its thread; all logged."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engagement import db as database
from engagement.models import ModerationAction
from tests import builders
from tests.moderation.conftest import post_form


def log_of(app: Flask) -> list[ModerationAction]:
    with app.app_context():
        return list(
            database.session().scalars(
                select(ModerationAction).where(ModerationAction.actor != "setup").order_by("id")
            )
        )


def test_switching_an_article_to_pre_moderation_shows_in_the_api(
    app: Flask, moderator: FlaskClient
) -> None:
    builders.article(app)
    response = post_form(
        moderator, "/moderation/articles/the-story", moderation="pre", reason="heated"
    )
    assert response.status_code == 303
    assert moderator.get("/api/v1/articles/the-story").json["moderation"] == "pre"
    (entry,) = log_of(app)
    assert (entry.action, entry.actor, entry.reason) == ("article.moderation", "mia", "heated")
    assert entry.before == {"open": True, "moderation": None, "commenting": None}
    assert entry.after == {"open": True, "moderation": "pre", "commenting": None}


def test_back_to_the_site_default(app: Flask, moderator: FlaskClient) -> None:
    builders.article(app, moderation=None)
    post_form(moderator, "/moderation/articles/the-story", moderation="pre")
    post_form(moderator, "/moderation/articles/the-story", moderation="")
    assert moderator.get("/api/v1/articles/the-story").json["moderation"] == "post"
    assert [entry.after["moderation"] for entry in log_of(app)] == ["pre", None]


def test_closing_and_reopening_a_thread(app: Flask, moderator: FlaskClient) -> None:
    builders.article(app)
    post_form(moderator, "/moderation/articles/the-story", open="0")
    assert moderator.get("/api/v1/articles/the-story").json["open"] is False
    post_form(moderator, "/moderation/articles/the-story", open="1")
    assert moderator.get("/api/v1/articles/the-story").json["open"] is True
    assert [entry.action for entry in log_of(app)] == ["article.close", "article.open"]


def test_an_unchanged_setting_logs_nothing(app: Flask, moderator: FlaskClient) -> None:
    builders.article(app)
    post_form(moderator, "/moderation/articles/the-story", open="1")
    assert log_of(app) == []


def test_an_unknown_mode_is_400_and_changes_nothing(app: Flask, moderator: FlaskClient) -> None:
    builders.article(app)
    response = post_form(moderator, "/moderation/articles/the-story", moderation="anarchy")
    assert response.status_code == 400
    assert moderator.get("/api/v1/articles/the-story").json["moderation"] == "post"


def test_the_articles_page_finds_by_key_or_title(app: Flask, moderator: FlaskClient) -> None:
    builders.article(app, "budget-2027", title="The budget")
    builders.article(app, "election", title="Who votes")
    page = moderator.get("/moderation/articles?q=budget").get_data(as_text=True)
    assert "budget-2027" in page and "election" not in page


def test_the_api_switches_the_mode_and_closes_the_thread(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    secret = builders.api_token(app, "cms")
    response = client.patch(
        "/api/v1/moderation/articles/the-story",
        json={"moderation": "first-time", "open": False, "reason": "trolls"},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 200
    assert response.json["moderation"] == "first-time" and response.json["open"] is False
    entries = log_of(app)
    assert [(e.action, e.actor, e.reason) for e in entries] == [
        ("article.moderation", "token:cms", "trolls"),
        ("article.close", "token:cms", "trolls"),
    ]


def test_the_api_refuses_an_unknown_field(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    secret = builders.api_token(app)
    response = client.patch(
        "/api/v1/moderation/articles/the-story",
        json={"closed": True},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 400
    assert response.json["error"]["field"] == "closed"
    assert log_of(app) == []


def test_the_api_answers_404_for_an_unknown_article(app: Flask, client: FlaskClient) -> None:
    secret = builders.api_token(app)
    response = client.patch(
        "/api/v1/moderation/articles/nope",
        json={"open": False},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 404
    assert response.json["error"]["code"] == "article_not_found"
