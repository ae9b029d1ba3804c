from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from engagement.models import TokenScope
from engagement.moderation.audit import Actor
from tests import builders

SETUP = Actor(name="setup")


def put(client: FlaskClient, token: str, key: str = "the-story", **body: object):  # type: ignore[no-untyped-def]
    return client.put(
        f"/api/v1/articles/{key}", json=body, headers={"Authorization": f"Bearer {token}"}
    )


def test_cms_registers_an_article_with_a_token(app: Flask, client: FlaskClient) -> None:
    token = builders.api_token(app)
    response = put(
        client,
        token,
        title="The story",
        url="https://magazine.example/the-story",
        published_at="2026-11-20T08:00:00+01:00",
        moderation="pre",
        language="es",
    )
    assert response.status_code == 201
    assert response.json == {
        "key": "the-story",
        "title": "The story",
        "url": "https://magazine.example/the-story",
        "published_at": "2026-11-20T07:00:00+00:00",
        "comments": 0,
        "views": 0,
        "open": True,
        "moderation": "pre",
        "commenting": "anyone",
        "login_url": None,
        "edit_window_minutes": 15,
        "reply_notifications": False,
        "language": "es",
    }


def test_registering_again_updates_and_answers_200(app: Flask, client: FlaskClient) -> None:
    token = builders.api_token(app)
    put(client, token, title="Draft title")
    response = put(client, token, title="Final title", open=False)
    assert response.status_code == 200
    assert response.json["title"] == "Final title"
    assert response.json["open"] is False


def test_moderation_null_returns_to_site_default(app: Flask, client: FlaskClient) -> None:
    token = builders.api_token(app)
    put(client, token, moderation="pre")
    assert put(client, token, moderation=None).json["moderation"] == "post"


def test_register_without_token_is_401(client: FlaskClient) -> None:
    response = client.put("/api/v1/articles/the-story", json={"title": "x"})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert client.get("/api/v1/articles/the-story").status_code == 404


def test_a_token_without_the_articles_scope_registers_nothing(
    app: Flask, client: FlaskClient
) -> None:
    token = builders.api_token(app, scopes=[TokenScope.MODERATION])
    response = put(client, token, title="x")
    assert response.status_code == 403
    assert response.json["error"]["code"] == "insufficient_scope"
    assert "'articles'" in response.json["error"]["message"]
    assert client.get("/api/v1/articles/the-story").status_code == 404


def test_a_token_with_only_the_articles_scope_registers(app: Flask, client: FlaskClient) -> None:
    token = builders.api_token(app, scopes=[TokenScope.ARTICLES])
    assert put(client, token, title="x").status_code == 201


def test_register_with_unknown_token_is_401(client: FlaskClient) -> None:
    response = put(client, "eng_not-a-real-token", title="x")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_token"


def test_revoked_token_is_refused(app: Flask, client: FlaskClient) -> None:
    from engagement import db as database
    from engagement import tokens
    from engagement.models import ApiToken

    token = builders.api_token(app)
    with app.app_context():
        session = database.session()
        tokens.revoke(session, actor=SETUP, token=session.query(ApiToken).one())
        session.commit()
    assert put(client, token, title="x").status_code == 401


def test_tokens_are_stored_hashed(app: Flask) -> None:
    from engagement import db as database
    from engagement.models import ApiToken

    token = builders.api_token(app)
    with app.app_context():
        stored = database.session().query(ApiToken).one()
        assert token not in stored.token_hash


def test_read_article(app: Flask, client: FlaskClient) -> None:
    builders.article(app, title="Read me")
    response = client.get("/api/v1/articles/the-story")
    assert response.status_code == 200
    assert response.json["title"] == "Read me"
    assert response.json["moderation"] == "post"


def test_thread_closes_after_configured_days(app: Flask, client: FlaskClient) -> None:
    from datetime import timedelta

    from engagement.models import utcnow

    app.config["CLOSE_AFTER_DAYS"] = 7
    builders.article(app, "old", published_at=utcnow() - timedelta(days=8))
    builders.article(app, "new", published_at=utcnow() - timedelta(days=6))
    assert client.get("/api/v1/articles/old").json["open"] is False
    assert client.get("/api/v1/articles/new").json["open"] is True


def test_an_article_language_is_spanish_english_or_unknown(app: Flask, client: FlaskClient) -> None:
    token = builders.api_token(app)
    response = put(client, token, language="fr")
    assert response.status_code == 400
    assert response.json["error"]["field"] == "language"
    assert put(client, token, language=None).json["language"] is None
