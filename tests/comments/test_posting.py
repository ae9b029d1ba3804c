"""Posting comments and replies: what is stored, what is answered, who sees it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engagement.models import CommentStatus, ModerationMode
from tests import builders
from tests.conftest import ALLOWED_ORIGIN, empty_tables, make_app

URL = "/api/v1/articles/the-story/comments"


def post(client: FlaskClient, key: str = "the-story", **body: Any):  # type: ignore[no-untyped-def]
    body.setdefault("text", "A fine story.")
    return client.post(f"/api/v1/articles/{key}/comments", json=body)


def thread_ids(client: FlaskClient, key: str = "the-story") -> list[int]:
    return [
        comment["id"] for comment in client.get(f"/api/v1/articles/{key}/comments").json["comments"]
    ]


def test_comment_is_created_visible_with_an_edit_token(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    response = post(client, text="Hello *there*", author_name="Ann")
    assert response.status_code == 201
    comment = response.json["comment"]
    assert comment["html"] == "<p>Hello <em>there</em></p>"
    assert comment["text"] == "Hello *there*"
    assert comment["author_name"] == "Ann"
    assert comment["status"] == "approved"
    assert comment["parent_id"] is None
    assert len(response.json["edit_token"]) >= 43  # 256 bits in URL-safe base64
    assert thread_ids(client) == [comment["id"]]


def test_comment_raises_the_comment_counter(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    post(client)
    post(client)
    assert builders.counters(app, "the-story") == (2, 0)
    assert client.get("/api/v1/counters?keys=the-story").json["counters"]["the-story"] == {
        "comments": 2,
        "views": 0,
    }


def test_email_is_never_returned_only_an_avatar_hash(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    response = post(client, author_email="Reader@Mail.example")
    thread = client.get(URL)
    for body in (response.get_data(as_text=True), thread.get_data(as_text=True)):
        assert "mail.example" not in body.lower()
    avatar = response.json["comment"]["avatar"]
    assert len(avatar) == 32
    again = post(client, author_email="reader@mail.example", text="Same reader.")
    assert again.json["comment"]["avatar"] == avatar


def test_no_visitor_hash_or_token_hash_in_public_answers(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    post(client)
    comment = client.get(URL).json["comments"][0]
    assert set(comment) == {
        "id",
        "parent_id",
        "html",
        "author_name",
        "author_website",
        "author_verified",
        "author_staff",
        "author_id",
        "avatar",
        "likes",
        "status",
        "pinned",
        "deleted",
        "created_at",
        "edited_at",
        "reply_count",
        "replies",
    }


def test_website_is_kept_as_plain_text(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    response = post(client, author_website="https://ann.example/about?a=1&b=<2>")
    assert response.json["comment"]["author_website"] == "https://ann.example/about?a=1&b=<2>"


def test_name_is_plain_text_never_markup(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    response = post(client, author_name="<b>Ann</b>  the\u00a0Great")
    assert response.json["comment"]["author_name"] == "<b>Ann</b> the Great"


def test_text_is_normalized_to_nfc(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    response = post(client, text="Cafe\u0301\r\nok")
    assert response.json["comment"]["text"] == "Caf\u00e9\nok"


def test_reply_names_its_parent(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    parent = post(client).json["comment"]["id"]
    reply = post(client, text="I agree.", parent_id=parent)
    assert reply.status_code == 201
    assert reply.json["comment"]["parent_id"] == parent
    top = client.get(URL).json["comments"]
    assert [c["id"] for c in top] == [parent]
    assert [c["id"] for c in top[0]["replies"]] == [reply.json["comment"]["id"]]


def test_reply_to_a_parent_in_another_article_is_400(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    builders.article(app, "other-story")
    elsewhere = post(client, "other-story").json["comment"]["id"]
    response = post(client, parent_id=elsewhere)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_parent"
    assert response.json["error"]["field"] == "parent_id"
    assert builders.counters(app, "the-story") == (0, 0)


def test_reply_to_an_unknown_parent_is_400(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    response = post(client, parent_id=999_999)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_parent"


def test_reply_to_a_pending_comment_is_400(app: Flask, client: FlaskClient) -> None:
    from engagement.models import CommentStatus

    builders.article(app)
    pending, _ = builders.comment(app, status=CommentStatus.PENDING)
    assert post(client, parent_id=pending).json["error"]["code"] == "invalid_parent"


def test_unknown_fields_are_ignored_nobody_approves_their_own_comment(
    app: Flask, client: FlaskClient
) -> None:
    builders.article(app, moderation=ModerationMode.PRE)
    response = post(client, status="approved", pinned=True, likes=1000, id=5)
    assert response.status_code == 202
    comment = response.json["comment"]
    assert (comment["status"], comment["pinned"], comment["likes"]) == ("pending", False, 0)


def test_pre_moderation_answers_202_and_hides_the_comment(app: Flask, client: FlaskClient) -> None:
    builders.article(app, moderation=ModerationMode.PRE)
    response = post(client)
    assert response.status_code == 202
    assert response.json["comment"]["status"] == "pending"
    assert thread_ids(client) == []
    assert builders.counters(app, "the-story") == (0, 0)


def test_site_default_pre_moderation_applies(client: FlaskClient, app: Flask) -> None:
    app.config["MODERATION"] = "pre"
    builders.article(app)
    assert post(client).status_code == 202


def test_first_time_never_trusts_a_typed_email(app: Flask, client: FlaskClient) -> None:
    from engagement.models import CommentStatus

    builders.article(app, moderation=ModerationMode.FIRST_TIME)
    first = post(client, author_email="regular@reader.example")
    assert first.status_code == 202
    with app.app_context():
        from engagement import db as database
        from engagement.comments import service

        db = database.session()
        comment = service.get(db, comment_id=first.json["comment"]["id"])
        assert comment is not None
        service.set_status(db, comment=comment, status=CommentStatus.APPROVED)
        db.commit()
    again = post(client, author_email="regular@reader.example")
    assert again.status_code == 202, "anyone can type that address: it earns no trust"


def test_closed_thread_refuses_comments_with_403(app: Flask, client: FlaskClient) -> None:
    builders.article(app, comments_open=False)
    response = post(client)
    assert response.status_code == 403
    assert response.json["error"]["code"] == "thread_closed"
    assert builders.counters(app, "the-story") == (0, 0)
    assert client.get(URL).json["article"]["open"] is False


def test_thread_closed_by_age_refuses_comments(app: Flask, client: FlaskClient) -> None:
    from datetime import timedelta

    from engagement.models import utcnow

    app.config["CLOSE_AFTER_DAYS"] = 7
    builders.article(app, published_at=utcnow() - timedelta(days=8))
    assert post(client).json["error"]["code"] == "thread_closed"


def test_unknown_article_is_404_and_not_created(client: FlaskClient) -> None:
    response = post(client, "nobody-registered-this")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "article_not_found"
    assert client.get("/api/v1/articles/nobody-registered-this").status_code == 404


def test_unknown_article_from_an_allowed_origin_is_registered(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/articles/fresh-story/comments",
        json={"text": "First!"},
        headers={"Origin": ALLOWED_ORIGIN},
    )
    assert response.status_code == 201
    assert client.get("/api/v1/articles/fresh-story").json["comments"] == 1


def test_a_first_comment_registers_its_article_with_the_page_title_url_and_language(
    client: FlaskClient,
) -> None:
    page = {
        "article_title": "La crónica",
        "article_url": "https://magazine.example/cronica",
        "article_lang": "es-MX",
    }
    response = client.post(
        "/api/v1/articles/cronica/comments",
        json={"text": "Primero.", **page},
        headers={"Origin": ALLOWED_ORIGIN},
    )
    assert response.status_code == 201
    article = client.get("/api/v1/articles/cronica").json
    assert (article["title"], article["url"], article["language"]) == (
        "La crónica",
        "https://magazine.example/cronica",
        "es",
    )


def test_unusable_page_details_register_the_article_without_them(client: FlaskClient) -> None:
    page = {"article_title": " ", "article_url": "javascript:alert(1)", "article_lang": "fr"}
    response = client.post(
        "/api/v1/articles/plain/comments",
        json={"text": "First!", **page},
        headers={"Origin": ALLOWED_ORIGIN},
    )
    assert response.status_code == 201
    article = client.get("/api/v1/articles/plain").json
    assert (article["title"], article["url"], article["language"]) == ("", None, None)


def test_page_details_never_change_a_registered_article(app: Flask, client: FlaskClient) -> None:
    builders.article(app, "the-story", title="The story")
    post(client, "the-story", article_title="Something else")
    assert client.get("/api/v1/articles/the-story").json["title"] == "The story"


@pytest.mark.parametrize("mode", [ModerationMode.POST, ModerationMode.PRE])
def test_create_answer_is_not_cacheable(
    app: Flask, client: FlaskClient, mode: ModerationMode
) -> None:
    builders.article(app, moderation=mode)
    assert "no-store" in post(client).headers["Cache-Control"]


def test_a_post_reads_everything_before_its_write_transaction(
    sqlite_url: str, tmp_path: Path
) -> None:
    """SQLite admits one writer at a time: a post's lookups (article, parent, bans, duplicate
    texts) run before it takes the write lock, which then covers only its two writes."""
    app = make_app(sqlite_url, tmp_path)
    try:
        builders.article(app)
        parent, _ = builders.comment(
            app, "the-story", "The first comment", status=CommentStatus.APPROVED
        )
        with builders.recorded_statements(app) as statements:
            response = post(app.test_client(), text="A reply", parent_id=parent)
        assert response.status_code == 201
        sql = [statement for statement, _ in statements]
        lock = sql.index("BEGIN IMMEDIATE")
        assert any("FROM bans" in statement for statement in sql[:lock])
        assert [statement.split()[0] for statement in sql[lock + 1 :]] == ["INSERT", "UPDATE"]
    finally:
        empty_tables(app)


def test_the_duplicate_check_finds_texts_through_an_index(sqlite_url: str, tmp_path: Path) -> None:
    """However many comments the site holds, a post compares its text with few rows."""
    app = make_app(sqlite_url, tmp_path)
    try:
        builders.article(app)
        with builders.recorded_statements(app) as statements:
            post(app.test_client(), text="Long enough to be checked for duplicates.")
        engine = app.extensions["engagement.engine"]
        with engine.connect() as conn:
            plans = [
                " ".join(row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", args))
                for sql, args in statements
                if sql.startswith("SELECT") and "comments" in sql
            ]
        assert plans, "the post ran no query on comments"
        assert not [plan for plan in plans if "SCAN comments" in plan], plans
    finally:
        empty_tables(app)
