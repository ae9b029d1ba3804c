"""The audit log is browsable and filterable, on the pages and through the API."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from engagement import db as database
from engagement.moderation import audit
from engagement.moderation.audit import Actor
from tests import builders


def log(app: Flask, action: str, actor: str = "mia", article_id: int | None = None) -> None:
    with app.app_context():
        db = database.session()
        audit.record(db, actor=Actor(name=actor), action=action, article_id=article_id)
        db.commit()


def test_the_log_filters_by_action_actor_and_article(app: Flask, client: FlaskClient) -> None:
    story = builders.article(app)
    other = builders.article(app, "other")
    log(app, "article.close", article_id=story.id)
    log(app, "article.close", "ada", article_id=other.id)
    log(app, "token.create", "ada")
    headers = {"Authorization": f"Bearer {builders.api_token(app)}"}

    def actions(query: str) -> list[tuple[str, str]]:
        body = client.get(f"/api/v1/moderation/audit?{query}", headers=headers).json
        # (The token's own creation is logged too, as the tests' set-up.)
        return [(e["action"], e["actor"]) for e in body["entries"] if e["actor"] != "setup"]

    assert actions("") == [
        ("token.create", "ada"),
        ("article.close", "ada"),
        ("article.close", "mia"),
    ]
    assert actions("action=article.close&actor=ada") == [("article.close", "ada")]
    assert actions("article=the-story") == [("article.close", "mia")]


def test_the_log_pages_newest_first(app: Flask, client: FlaskClient) -> None:
    for index in range(3):
        log(app, f"step.{index}")
    headers = {"Authorization": f"Bearer {builders.api_token(app)}"}
    first = client.get("/api/v1/moderation/audit?actor=mia&limit=2", headers=headers).json
    assert [entry["action"] for entry in first["entries"]] == ["step.2", "step.1"]
    rest = client.get(
        f"/api/v1/moderation/audit?actor=mia&before={first['next_before']}", headers=headers
    ).json
    assert [entry["action"] for entry in rest["entries"]] == ["step.0"]
    assert rest["next_before"] is None


def test_the_log_page_shows_and_filters_entries(app: Flask, moderator: FlaskClient) -> None:
    story = builders.article(app)
    log(app, "article.close", article_id=story.id)
    log(app, "token.create", "ada")
    page = moderator.get("/moderation/audit?action=article.close").get_data(as_text=True)
    assert "article.close" in page and "<td><code>token.create</code></td>" not in page
    assert "the-story" in page


def test_a_cms_closing_a_thread_is_in_the_log_with_its_token(
    app: Flask, client: FlaskClient
) -> None:
    builders.article(app)
    headers = {"Authorization": f"Bearer {builders.api_token(app, name='cms')}"}
    response = client.put(
        "/api/v1/articles/the-story", json={"open": False, "moderation": "pre"}, headers=headers
    )
    assert response.status_code == 200
    assert response.json["open"] is False and response.json["moderation"] == "pre"
    entries = client.get("/api/v1/moderation/audit", headers=headers).json["entries"]
    assert [(entry["action"], entry["actor"]) for entry in entries] == [
        ("article.moderation", "token:cms"),
        ("article.close", "token:cms"),
        ("token.create", "setup"),
    ]


def test_a_cms_changing_only_the_title_writes_no_log_entry(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    headers = {"Authorization": f"Bearer {builders.api_token(app)}"}
    client.put(
        "/api/v1/articles/the-story", json={"title": "New title", "open": True}, headers=headers
    )
    entries = client.get("/api/v1/moderation/audit", headers=headers).json["entries"]
    assert [entry["action"] for entry in entries] == ["token.create"]  # the token's, nothing more
