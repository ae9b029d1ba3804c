"""Banning: the author of a comment from the queue, or any email, visitor, network or name."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engagement import db as database
from engagement.models import Ban, ModerationAction, ModerationMode
from tests import builders
from tests.moderation.conftest import post_form
from tests.moderation.test_actions import Cms

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0"


@pytest.fixture
def cms(app: Flask, client: FlaskClient) -> Cms:
    return Cms(app, client)


def post_as_reader(client: FlaskClient, text: str, **fields: Any) -> Any:
    return client.post(
        "/api/v1/articles/the-story/comments",
        json={"text": text, **fields},
        headers={"User-Agent": BROWSER},
    )


def stored_bans(app: Flask) -> list[Ban]:
    with app.app_context():
        return list(database.session().scalars(select(Ban).order_by(Ban.id)))


def test_banning_the_author_bans_visitor_and_email_and_rejects_the_comment(
    app: Flask, client: FlaskClient, cms: Cms
) -> None:
    builders.article(app, moderation=ModerationMode.PRE)
    posted = post_as_reader(client, "Buy pills", author_email="Spammer@Example.com")
    comment_id = posted.json["comment"]["id"]
    response = cms.act(comment_id, "ban-author", reason="pills", days=30)
    assert response.status_code == 200
    assert response.json["status"] == "rejected"
    assert cms.queue("pending") == []
    kinds = [(ban.kind.value, ban.value, ban.reason) for ban in stored_bans(app)]
    assert kinds[1] == ("email", "spammer@example.com", "pills")
    assert kinds[0][0] == "visitor" and kinds[0][2] == "pills"
    assert all(ban.expires_at is not None for ban in stored_bans(app))


def test_a_banned_author_cannot_post_again(app: Flask, client: FlaskClient, cms: Cms) -> None:
    builders.article(app)
    first = post_as_reader(client, "Rude words").json["comment"]["id"]
    cms.act(first, "ban-author")
    again = post_as_reader(client, "More rude words")
    assert again.status_code == 403
    assert again.json["error"]["code"] == "banned"


def test_the_ban_is_in_the_audit_log_with_the_ban_ids(
    app: Flask, client: FlaskClient, cms: Cms
) -> None:
    builders.article(app)
    comment_id = post_as_reader(client, "Rude").json["comment"]["id"]
    cms.act(comment_id, "ban-author", reason="rude")
    with app.app_context():
        entry = (
            database.session()
            .scalars(select(ModerationAction).where(ModerationAction.actor != "setup"))
            .one()
        )
    assert entry.action == "comment.ban-author" and entry.reason == "rude"
    assert entry.after["bans"] == [ban.id for ban in stored_bans(app)]  # type: ignore[index]
    assert entry.after["status"] == "rejected"  # type: ignore[index]


def test_banning_the_author_of_a_visible_comment_takes_it_out_of_the_count(
    app: Flask, client: FlaskClient, cms: Cms
) -> None:
    builders.article(app)
    comment_id = post_as_reader(client, "Rude").json["comment"]["id"]
    assert builders.counters(app, "the-story") == (1, 0)
    cms.act(comment_id, "ban-author")
    assert builders.counters(app, "the-story") == (0, 0)


def test_a_comment_with_nothing_to_ban_by_is_409(app: Flask, cms: Cms) -> None:
    comment_id, _ = builders.comment(app, visitor="not-a-hash")
    response = cms.act(comment_id, "ban-author")
    assert response.status_code == 409
    assert response.json["error"]["code"] == "nothing_to_ban"
    assert stored_bans(app) == []


def test_the_api_bans_a_network_lists_it_and_lifts_it(app: Flask, cms: Cms) -> None:
    made = cms.client.post(
        "/api/v1/moderation/bans",
        json={"kind": "network", "value": "203.0.113.7/24", "reason": "flood", "days": 1},
        headers=cms.headers,
    )
    assert made.status_code == 201
    assert made.json["value"] == "203.0.113.0/24" and made.json["active"] is True
    listed = cms.client.get("/api/v1/moderation/bans", headers=cms.headers).json["bans"]
    assert [ban["id"] for ban in listed] == [made.json["id"]]
    lifted = cms.client.delete(f"/api/v1/moderation/bans/{made.json['id']}", headers=cms.headers)
    assert lifted.status_code == 200 and lifted.json["active"] is False
    assert cms.client.get("/api/v1/moderation/bans", headers=cms.headers).json["bans"] == []
    everything = cms.client.get("/api/v1/moderation/bans?all=1", headers=cms.headers).json
    assert len(everything["bans"]) == 1
    with app.app_context():
        actions = (
            database.session()
            .scalars(select(ModerationAction.action).where(ModerationAction.actor != "setup"))
            .all()
        )
    assert actions == ["ban.create", "ban.lift"]


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "network", "value": "0.0.0.0/0"},
        {"kind": "email", "value": "not an email"},
        {"kind": "planet", "value": "mars"},
        {"kind": "name", "value": "troll", "days": 0},
    ],
)
def test_a_bad_ban_is_400_and_bans_nothing(app: Flask, cms: Cms, body: dict[str, Any]) -> None:
    response = cms.client.post("/api/v1/moderation/bans", json=body, headers=cms.headers)
    assert response.status_code == 400
    assert stored_bans(app) == []


def test_lifting_an_unknown_ban_is_404(cms: Cms) -> None:
    response = cms.client.delete("/api/v1/moderation/bans/4242", headers=cms.headers)
    assert response.status_code == 404
    assert response.json["error"]["code"] == "ban_not_found"


def test_the_bans_page_adds_and_lifts_a_ban(app: Flask, moderator: FlaskClient) -> None:
    response = post_form(
        moderator, "/moderation/bans", kind="name", value="The Troll", days="7", reason="x"
    )
    assert response.status_code == 303
    (ban,) = stored_bans(app)
    assert ban.value == "the troll" and ban.created_by == "mia"
    page = moderator.get("/moderation/bans").get_data(as_text=True)
    assert "the troll" in page
    post_form(moderator, f"/moderation/bans/{ban.id}/lift")
    assert "the troll" not in moderator.get("/moderation/bans").get_data(as_text=True)


def test_ban_author_from_the_queue_page(
    app: Flask, client: FlaskClient, moderator: FlaskClient
) -> None:
    builders.article(app, moderation=ModerationMode.PRE)
    comment_id = post_as_reader(client, "Spam spam").json["comment"]["id"]
    response = post_form(
        moderator,
        f"/moderation/comments/{comment_id}/ban-author",
        next="/moderation/queues/pending",
    )
    assert response.status_code == 303
    assert len(stored_bans(app)) == 1
    assert "Spam spam" not in moderator.get("/moderation/queues/pending").get_data(as_text=True)


def test_the_comment_page_says_when_its_author_is_banned(
    app: Flask, client: FlaskClient, moderator: FlaskClient, cms: Cms
) -> None:
    builders.article(app)
    comment_id = post_as_reader(client, "Rude").json["comment"]["id"]
    page = moderator.get(f"/moderation/comments/{comment_id}").get_data(as_text=True)
    assert 'id="author-banned"' not in page
    cms.act(comment_id, "ban-author", reason="rude", days=3)
    page = moderator.get(f"/moderation/comments/{comment_id}").get_data(as_text=True)
    assert 'id="author-banned"' in page and "rude" in page
