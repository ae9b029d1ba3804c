"""The author's edit and delete, with the secret handed back at creation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engagement import db as database
from engagement.models import Comment, CommentStatus, ModerationMode
from tests import builders

URL = "/api/v1/articles/the-story/comments"


def posted(client: FlaskClient, text: str = "Teh story") -> tuple[int, str]:
    body = client.post(URL, json={"text": text}).json
    return body["comment"]["id"], body["edit_token"]


def edit(client: FlaskClient, comment_id: int, token: str | None, text: str = "The story"):  # type: ignore[no-untyped-def]
    headers = {"X-Edit-Token": token} if token is not None else {}
    return client.patch(f"/api/v1/comments/{comment_id}", json={"text": text}, headers=headers)


def delete(client: FlaskClient, comment_id: int, token: str | None):  # type: ignore[no-untyped-def]
    headers = {"X-Edit-Token": token} if token is not None else {}
    return client.delete(f"/api/v1/comments/{comment_id}", headers=headers)


def stored(app: Flask, comment_id: int) -> dict[str, Any]:
    with app.app_context():
        comment = database.session().get(Comment, comment_id)
        assert comment is not None
        return {
            "text": comment.text,
            "html": comment.html,
            "edited_at": comment.edited_at,
            "deleted_at": comment.deleted_at,
            "status": comment.status,
            "edit_token_hash": comment.edit_token_hash,
        }


def age(app: Flask, comment_id: int, minutes: int) -> None:
    with app.app_context():
        db = database.session()
        comment = db.get(Comment, comment_id)
        assert comment is not None
        comment.created_at = comment.created_at - timedelta(minutes=minutes)
        db.commit()


def test_author_edits_text_and_it_is_rerendered(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    comment_id, token = posted(client)
    response = edit(client, comment_id, token, "The *story*")
    assert response.status_code == 200
    comment = response.json["comment"]
    assert comment["text"] == "The *story*"
    assert comment["html"] == "<p>The <em>story</em></p>"
    assert comment["edited_at"] is not None
    (shown,) = client.get(URL).json["comments"]
    assert shown["html"] == "<p>The <em>story</em></p>" and shown["edited_at"]


def test_author_deletes_and_the_counter_follows(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    comment_id, token = posted(client)
    assert delete(client, comment_id, token).status_code == 204
    assert client.get(URL).json["comments"] == []
    assert builders.counters(app, "the-story") == (0, 0)


def test_deleting_a_comment_with_replies_keeps_the_thread_shape(
    app: Flask, client: FlaskClient
) -> None:
    builders.article(app)
    comment_id, token = posted(client)
    reply, _ = builders.comment(app, parent_id=comment_id)
    delete(client, comment_id, token)
    (placeholder,) = client.get(URL).json["comments"]
    assert placeholder["deleted"] is True and placeholder["html"] == ""
    assert [r["id"] for r in placeholder["replies"]] == [reply]
    assert builders.counters(app, "the-story") == (1, 0)


def test_secret_is_stored_hashed(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    comment_id, token = posted(client)
    assert token not in str(stored(app, comment_id))
    assert len(stored(app, comment_id)["edit_token_hash"]) == 64


@pytest.mark.parametrize("who", ["missing", "wrong", "other comment's", "truncated"])
def test_edit_and_delete_without_the_right_secret_are_refused(
    app: Flask, client: FlaskClient, who: str
) -> None:
    builders.article(app)
    comment_id, token = posted(client)
    _, other_token = posted(client, "Another")
    token_for = {
        "missing": None,
        "wrong": "x" * 43,
        "other comment's": other_token,
        "truncated": token[:-1],
    }[who]
    before = stored(app, comment_id)
    for response in (edit(client, comment_id, token_for), delete(client, comment_id, token_for)):
        assert response.status_code == 403
        assert response.json["error"]["code"] == "invalid_edit_token"
        assert response.json["error"]["field"] == "X-Edit-Token"
    assert stored(app, comment_id) == before
    assert builders.counters(app, "the-story") == (2, 0)


def test_secret_in_the_url_is_not_accepted(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    comment_id, token = posted(client)
    response = client.delete(f"/api/v1/comments/{comment_id}?edit_token={token}")
    assert response.status_code == 403
    assert stored(app, comment_id)["deleted_at"] is None


def test_edit_and_delete_after_the_window_are_refused(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    comment_id, token = posted(client)
    age(app, comment_id, 16)
    before = stored(app, comment_id)
    for response in (edit(client, comment_id, token), delete(client, comment_id, token)):
        assert response.status_code == 403
        assert response.json["error"]["code"] == "edit_window_closed"
    assert stored(app, comment_id) == before


def test_edit_window_is_configurable(app: Flask, client: FlaskClient) -> None:
    app.config["COMMENT_EDIT_WINDOW_MINUTES"] = 60
    builders.article(app)
    comment_id, token = posted(client)
    age(app, comment_id, 30)
    assert edit(client, comment_id, token).status_code == 200


def test_edit_of_a_deleted_comment_is_404(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    comment_id, token = posted(client)
    delete(client, comment_id, token)
    response = edit(client, comment_id, token)
    assert response.status_code == 404
    assert response.json["error"]["code"] == "comment_not_found"


def test_author_cannot_edit_a_comment_a_moderator_removed(app: Flask, client: FlaskClient) -> None:
    from engagement.comments import service

    builders.article(app)
    comment_id, token = posted(client)
    with app.app_context():
        db = database.session()
        comment = service.get(db, comment_id=comment_id)
        assert comment is not None
        service.set_status(db, comment=comment, status=CommentStatus.SPAM)
        db.commit()
    response = edit(client, comment_id, token)
    assert response.status_code == 403
    assert response.json["error"]["code"] == "not_editable"


def test_edit_under_pre_moderation_goes_back_to_the_queue(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    comment_id, token = posted(client)
    builders.article(app, moderation=ModerationMode.PRE)
    response = edit(client, comment_id, token, "Now with a link to https://spam.example.com")
    assert response.json["comment"]["status"] == "pending"
    assert client.get(URL).json["comments"] == []
    assert builders.counters(app, "the-story") == (0, 0)


def test_unknown_comment_is_404(app: Flask, client: FlaskClient) -> None:
    for response in (
        edit(client, 424242, "token"),
        delete(client, 424242, "token"),
        client.post("/api/v1/comments/424242/likes"),
        client.post("/api/v1/comments/424242/reports", json={"reason": "spam"}),
    ):
        assert response.status_code == 404
        assert response.json["error"]["code"] == "comment_not_found"


def test_comment_id_past_its_column_is_400_not_500(client: FlaskClient) -> None:
    response = client.delete(
        "/api/v1/comments/99999999999999999999999", headers={"X-Edit-Token": "x"}
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid"
    assert response.json["error"]["field"] == "id"
