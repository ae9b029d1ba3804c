"""What the queue pages' scripts call: queue counts, a comment's thread context, actions as
JSON."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from engagement.models import CommentStatus
from tests import builders
from tests.moderation.conftest import comment_row, csrf_token

JSON = {"Accept": "application/json"}


def test_queue_counts_as_json(app: Flask, moderator: FlaskClient) -> None:
    story = builders.article(app).id
    comment_row(app, story, status=CommentStatus.PENDING)
    comment_row(app, story, status=CommentStatus.SPAM)
    response = moderator.get("/moderation/queues.json")
    assert response.json == {"pending": 1, "reported": 0, "spam": 1}
    assert response.headers["Cache-Control"] == "no-store"


def test_queue_counts_need_a_login(client: FlaskClient) -> None:
    assert client.get("/moderation/queues.json").status_code == 401


def test_an_action_asked_as_json_answers_json_and_flashes_nothing(
    app: Flask, moderator: FlaskClient
) -> None:
    story = builders.article(app).id
    waiting = comment_row(app, story, status=CommentStatus.PENDING)
    response = moderator.post(
        f"/moderation/comments/{waiting}/approve",
        data={"csrf_token": csrf_token(moderator, "/moderation/")},
        headers=JSON,
    )
    assert response.status_code == 200
    assert response.json == {
        "id": waiting,
        "action": "approve",
        "status": "approved",
        "message": f"Comment {waiting}: approve done.",
    }
    assert "approve done" not in moderator.get("/moderation/").get_data(as_text=True)


def test_a_refused_action_asked_as_json_answers_the_error_shape(
    app: Flask, moderator: FlaskClient
) -> None:
    story = builders.article(app).id
    approved = comment_row(app, story, status=CommentStatus.APPROVED)
    response = moderator.post(
        f"/moderation/comments/{approved}/not-spam",
        data={"csrf_token": csrf_token(moderator, "/moderation/")},
        headers=JSON,
    )
    assert response.status_code == 409
    assert response.json["error"]["code"] == "not_spam"


def test_an_action_without_the_csrf_token_is_refused_even_as_json(
    app: Flask, moderator: FlaskClient
) -> None:
    story = builders.article(app).id
    waiting = comment_row(app, story, status=CommentStatus.PENDING)
    response = moderator.post(f"/moderation/comments/{waiting}/approve", headers=JSON)
    assert response.status_code == 400


def test_the_context_gives_the_parent_and_the_nearest_siblings(
    app: Flask, moderator: FlaskClient
) -> None:
    story = builders.article(app).id
    parent = comment_row(app, story, status=CommentStatus.APPROVED, text="Parent")
    replies = [
        comment_row(app, story, status=CommentStatus.APPROVED, text=f"Reply {n}", parent_id=parent)
        for n in range(9)
    ]
    comment_row(app, story, status=CommentStatus.APPROVED, text="Elsewhere")
    middle = replies[4]
    found = moderator.get(f"/moderation/comments/{middle}/context").json
    assert found["comment"]["id"] == middle
    assert found["parent"]["text"] == "Parent"
    assert [s["id"] for s in found["siblings"]] == replies[1:4] + replies[5:8]


def test_a_top_level_comment_has_top_level_siblings(app: Flask, moderator: FlaskClient) -> None:
    story = builders.article(app).id
    first = comment_row(app, story, status=CommentStatus.APPROVED, text="First")
    second = comment_row(app, story, status=CommentStatus.PENDING, text="Second")
    comment_row(app, story, status=CommentStatus.APPROVED, text="A reply", parent_id=first)
    found = moderator.get(f"/moderation/comments/{second}/context").json
    assert found["parent"] is None
    assert [s["id"] for s in found["siblings"]] == [first]


def test_the_pages_may_fetch_from_their_own_origin_only(moderator: FlaskClient) -> None:
    policy = moderator.get("/moderation/").headers["Content-Security-Policy"]
    assert "connect-src 'self'" in policy and "script-src 'self'" in policy
