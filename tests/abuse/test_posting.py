"""Screening through the API: caught comments never reach readers, and the answer tells no one."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from engagement import db as database
from engagement.abuse import bans
from engagement.models import BanKind, Comment, CommentStatus, ModerationMode
from tests import builders

URL = "/api/v1/articles/the-story/comments"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"
ORDINARY = "I grew up near that harbour and the piece gets the smell of it exactly right."
LINKED = "The council minutes say otherwise: [see p. 4](https://city.example/minutes.pdf)"


@pytest.fixture
def settings() -> dict[str, Any]:
    return {"SPAM_BLOCKLIST": ["casino"]}


def post(
    client: FlaskClient, text: str = ORDINARY, user_agent: str = BROWSER, **body: Any
) -> TestResponse:
    return client.post(URL, json={"text": text, **body}, headers={"User-Agent": user_agent})


def stored(app: Flask, response: TestResponse) -> tuple[CommentStatus, list[str] | None]:
    assert response.json is not None
    with app.app_context():
        comment = database.session().get(Comment, response.json["comment"]["id"])
        assert comment is not None
        return comment.status, comment.spam_reasons


def thread_ids(client: FlaskClient) -> list[int]:
    return [comment["id"] for comment in client.get(URL).json["comments"]]  # type: ignore[index]


def ban(app: Flask, kind: BanKind, value: str) -> None:
    with app.app_context():
        db = database.session()
        bans.ban(db, kind=kind, value=value, reason="test")
        db.commit()


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ({"url": "http://bots.example"}, CommentStatus.SPAM, "honeypot: "),
        ({"text": "a https://a.example b https://b.example c https://c.example"}, None, "links: "),
        ({"text": "The best casino in town, open all night for readers"}, None, "blocklist: "),
        ({"author_name": "Casino Bonus"}, None, "blocklist: "),
    ],
)
def test_each_signal_keeps_the_comment_from_readers_with_its_reason(
    app: Flask,
    client: FlaskClient,
    body: dict[str, str],
    status: CommentStatus | None,
    reason: str,
) -> None:
    builders.article(app)
    response = post(client, **body)
    assert response.status_code == 202
    stored_status, reasons = stored(app, response)
    assert stored_status is (status or CommentStatus.PENDING)
    assert reasons is not None and reasons[0].startswith(reason)
    assert thread_ids(client) == []
    assert builders.counters(app, "the-story") == (0, 0)


def test_with_the_honeypot_off_the_field_is_ignored(app: Flask, client: FlaskClient) -> None:
    app.config["SPAM_HONEYPOT"] = False
    builders.article(app)
    response = post(client, url="http://bots.example")
    assert response.status_code == 201
    assert stored(app, response) == (CommentStatus.APPROVED, None)


def test_the_same_text_twice_from_one_visitor_holds_the_second(
    app: Flask, client: FlaskClient
) -> None:
    builders.article(app)
    first = post(client)
    again = post(client)
    assert (first.status_code, again.status_code) == (201, 202)
    assert stored(app, again)[1] == [
        "duplicate_visitor: same text by this visitor within 60 min (+3)"
    ]
    assert thread_ids(client) == [first.json["comment"]["id"]]  # type: ignore[index]


def test_the_same_text_from_another_visitor_is_held(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    post(client, user_agent=BROWSER + " one")
    copied = post(client, user_agent=BROWSER + " two")
    assert copied.status_code == 202
    assert stored(app, copied)[1] == [
        "duplicate_site: same text by another visitor within 60 min (+5)"
    ]


def test_an_ordinary_comment_with_one_link_is_published(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    response = post(client, LINKED, author_website="https://ann.example")
    assert response.status_code == 201
    assert stored(app, response) == (CommentStatus.APPROVED, None)
    assert thread_ids(client) == [response.json["comment"]["id"]]  # type: ignore[index]


def test_caught_comments_get_the_same_answer_as_any_awaiting_moderation(
    app: Flask, client: FlaskClient
) -> None:
    builders.article(app, "the-story")
    builders.article(app, "premoderated", moderation=ModerationMode.PRE)
    caught = post(client, url="http://bots.example")
    waiting = client.post(
        "/api/v1/articles/premoderated/comments",
        json={"text": "An ordinary remark on this story."},
        headers={"User-Agent": BROWSER},
    )
    assert caught.status_code == waiting.status_code == 202
    assert caught.json is not None and waiting.json is not None
    assert caught.json.keys() == waiting.json.keys()
    assert caught.json["comment"].keys() == waiting.json["comment"].keys()
    assert caught.json["comment"]["status"] == waiting.json["comment"]["status"] == "pending"
    assert "spam" not in caught.get_data(as_text=True)


def test_a_banned_email_is_refused_with_403_and_nothing_is_stored(
    app: Flask, client: FlaskClient
) -> None:
    builders.article(app)
    ban(app, BanKind.EMAIL, "troll@example.com")
    response = post(client, author_email="Troll@Example.com")
    assert response.status_code == 403
    assert response.json is not None
    assert response.json["error"]["code"] == "banned"
    with app.app_context():
        assert database.session().query(Comment).count() == 0


def test_a_banned_network_is_refused_by_client_address(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    ban(app, BanKind.NETWORK, "203.0.113.0/24")
    refused = client.post(
        URL, json={"text": ORDINARY}, environ_base={"REMOTE_ADDR": "203.0.113.40"}
    )
    allowed = client.post(
        URL, json={"text": "Another remark."}, environ_base={"REMOTE_ADDR": "198.51.100.1"}
    )
    assert (refused.status_code, allowed.status_code) == (403, 201)


def test_a_shadow_banned_poster_is_answered_normally_and_filed_as_spam(
    app: Flask, client: FlaskClient
) -> None:
    app.config["BAN_RESPONSE"] = "shadow"
    builders.article(app)
    ban(app, BanKind.NAME, "Troll")
    response = post(client, author_name="TROLL")
    assert response.status_code == 202
    status, reasons = stored(app, response)
    assert status is CommentStatus.SPAM
    assert reasons is not None and reasons[0].startswith("banned: name ban #")


def test_an_edit_that_adds_links_holds_a_visible_comment(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    created = post(client)
    assert created.json is not None
    edited = client.patch(
        f"/api/v1/comments/{created.json['comment']['id']}",
        json={"text": "now see https://a.example https://b.example https://c.example"},
        headers={"X-Edit-Token": created.json["edit_token"]},
    )
    assert edited.status_code == 200
    assert edited.json is not None and edited.json["comment"]["status"] == "pending"
    assert thread_ids(client) == []
    assert builders.counters(app, "the-story") == (0, 0)


def test_editing_a_caught_comment_is_answered_like_any_edit_and_stays_caught(
    app: Flask, client: FlaskClient
) -> None:
    builders.article(app)
    caught = post(client, url="http://bots.example")
    assert caught.json is not None
    edited = client.patch(
        f"/api/v1/comments/{caught.json['comment']['id']}",
        json={"text": "Perfectly innocent words now."},
        headers={"X-Edit-Token": caught.json["edit_token"]},
    )
    assert edited.status_code == 200
    assert edited.json is not None and edited.json["comment"]["status"] == "pending"
    assert stored(app, caught)[0] is CommentStatus.SPAM
