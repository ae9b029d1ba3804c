"""Signed-in readers on the moderation pages: trust marks from the queue, history, staff replies."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engagement import db as database
from engagement.models import ModerationMode, Moderator
from tests import builders
from tests.identity.tokens import SSO_SETTINGS, bearer, sign_in
from tests.moderation.conftest import post_form

URL = "/api/v1/articles/the-story/comments"


@pytest.fixture
def settings() -> dict[str, Any]:
    return dict(SSO_SETTINGS)


def reader_comment(app: Flask, text: str = "Held for a look.") -> int:
    reader = app.test_client()
    response = reader.post(URL, json={"text": text}, headers=bearer(sign_in(reader)))
    return int(response.json["comment"]["id"])


def test_the_queue_marks_a_signed_in_author_trusted(app: Flask, moderator: FlaskClient) -> None:
    builders.article(app, moderation=ModerationMode.PRE)
    comment_id = reader_comment(app)
    page = moderator.get("/moderation/queues/pending").get_data(as_text=True)
    assert "signed in" in page and "Trust author" in page
    response = post_form(
        moderator,
        "/moderation/readers/trust",
        subject="reader-42",
        trust="trusted",
        next="/moderation/queues/pending",
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/moderation/queues/pending")
    page = moderator.get("/moderation/queues/pending").get_data(as_text=True)
    assert "status-trusted" in page
    reader = app.test_client()
    again = reader.post(URL, json={"text": "Trusted now."}, headers=bearer(sign_in(reader)))
    assert again.status_code == 201
    assert comment_id


def test_a_guest_comment_offers_no_trust_mark(app: Flask, moderator: FlaskClient) -> None:
    builders.article(app, moderation=ModerationMode.PRE)
    builders.comment(app, email="typed@anyone.example")
    page = moderator.get("/moderation/queues/pending").get_data(as_text=True)
    assert "Trust author" not in page


def test_the_readers_page_shows_their_history(app: Flask, moderator: FlaskClient) -> None:
    builders.article(app)
    reader_comment(app, "First words.")
    reader_comment(app, "Second words.")
    page = moderator.get("/moderation/readers?subject=reader-42")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Ada Lovelace" in text and "First words." in text and "Second words." in text


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/moderation/readers", 404),
        ("/moderation/readers?subject=" + "x" * 201, 400),
        ("/moderation/readers?subject=nobody", 404),
    ],
)
def test_bad_reader_pages(app: Flask, moderator: FlaskClient, path: str, status: int) -> None:
    assert moderator.get(path).status_code == status


def test_a_bad_trust_value_is_400(app: Flask, moderator: FlaskClient) -> None:
    builders.article(app)
    reader_comment(app)
    response = post_form(moderator, "/moderation/readers/trust", subject="reader-42", trust="x")
    assert response.status_code == 400


def test_a_moderator_replies_under_their_display_name(
    app: Flask, client: FlaskClient, moderator: FlaskClient
) -> None:
    builders.article(app)
    parent, _ = builders.comment(app, text="Why was this story changed?")
    with app.app_context():
        db = database.session()
        mia = db.query(Moderator).filter_by(username="mia").one()
        mia.display_name = "The Editors"
        db.commit()
    page = moderator.get(f"/moderation/comments/{parent}").get_data(as_text=True)
    assert "Reply as The Editors" in page
    response = post_form(
        moderator, f"/moderation/comments/{parent}/reply", text="We corrected a date."
    )
    assert response.status_code == 303
    (comment,) = client.get(URL).json["comments"]
    (reply,) = comment["replies"]
    assert reply["author_name"] == "The Editors" and reply["author_staff"] is True
    assert builders.counters(app, "the-story")[0] == 2


def test_an_empty_staff_reply_changes_nothing(app: Flask, moderator: FlaskClient) -> None:
    builders.article(app)
    parent, _ = builders.comment(app)
    response = post_form(moderator, f"/moderation/comments/{parent}/reply", text="   ")
    assert response.status_code == 303
    assert builders.counters(app, "the-story")[0] == 1


def test_the_api_replies_as_the_newsroom(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    parent, _ = builders.comment(app)
    token = builders.api_token(app)
    headers = {"Authorization": f"Bearer {token}"}
    response = client.post(
        f"/api/v1/moderation/comments/{parent}/replies",
        json={"text": "Thanks, fixed.", "author_name": "Desk"},
        headers=headers,
    )
    assert response.status_code == 201
    assert response.json["author_staff"] is True and response.json["parent_id"] == parent
    for body in ({}, {"text": "x"}, {"text": "", "author_name": "Desk"}, {"text": 1}):
        bad = client.post(
            f"/api/v1/moderation/comments/{parent}/replies", json=body, headers=headers
        )
        assert bad.status_code == 400
    missing = client.post(
        "/api/v1/moderation/comments/999999/replies",
        json={"text": "x", "author_name": "Desk"},
        headers=headers,
    )
    assert missing.status_code == 404


def test_the_articles_page_sets_who_may_comment(
    app: Flask, client: FlaskClient, moderator: FlaskClient
) -> None:
    builders.article(app)
    page = moderator.get("/moderation/articles").get_data(as_text=True)
    assert "Who may comment" in page
    response = post_form(moderator, "/moderation/articles/the-story", commenting="subscribers")
    assert response.status_code == 303
    assert client.get("/api/v1/articles/the-story").json["commenting"] == "subscribers"
    bad = post_form(moderator, "/moderation/articles/the-story", commenting="everyone")
    assert bad.status_code == 400


def test_a_guest_cannot_take_a_moderators_display_name(
    app: Flask, client: FlaskClient, moderator: FlaskClient
) -> None:
    builders.article(app)
    post_form(moderator, "/moderation/account/name", display_name="The Editors")
    response = client.post(URL, json={"text": "Official!", "author_name": "the editors"})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "name_reserved"
