"""Signed-in readers comment under their account; sites and articles say who may comment."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engagement.models import Commenting
from tests import builders
from tests.identity.tokens import bearer, exchange, hs256, sign_in

URL = "/api/v1/articles/the-story/comments"


def post(client: FlaskClient, session: str | None = None, **fields: Any) -> Any:
    body = {"text": "Well argued.", **fields}
    return client.post(URL, json=body, headers=bearer(session) if session else {})


def test_a_signed_in_reader_posts_under_the_magazines_name(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    answer = exchange(client, hs256(name="Ada Lovelace"))
    session, reader = answer.json["session"], answer.json["reader"]
    response = post(client, session, author_name="Someone Else", author_email="x@y.example")
    assert response.status_code == 201
    comment = response.json["comment"]
    assert comment["author_name"] == "Ada Lovelace"
    assert comment["author_verified"] is True and comment["author_staff"] is False
    assert comment["author_id"] == reader["id"]
    (shown,) = client.get(URL).json["comments"]
    assert (shown["author_verified"], shown["author_id"]) == (True, reader["id"])


def test_a_guest_comment_is_not_verified(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    comment = post(client, author_name="Guest").json["comment"]
    assert (comment["author_verified"], comment["author_staff"], comment["author_id"]) == (
        False,
        False,
        None,
    )


def test_staff_comments_carry_the_staff_badge(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    session = sign_in(client, "editor-7", name="The Editors", roles=["staff"])
    post(client, session)
    (shown,) = client.get(URL).json["comments"]
    assert shown["author_staff"] is True


def test_a_signed_in_readers_picture_is_their_avatar(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    session = sign_in(client, avatar="https://cdn.magazine.example/ada.jpg")
    assert post(client, session).json["comment"]["avatar"] == "https://cdn.magazine.example/ada.jpg"


def test_a_picture_that_is_not_https_is_not_shown(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    session = sign_in(client, avatar="javascript:alert(1)")
    assert len(post(client, session).json["comment"]["avatar"]) == 32


def test_a_guest_cannot_take_a_signed_in_readers_name(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    sign_in(client, name="Ada Lovelace")
    response = post(client, author_name="  ADA   lovelace ")
    assert response.status_code == 409
    assert response.json["error"] == {
        "code": "name_reserved",
        "message": "That name belongs to a signed-in reader: sign in, or choose another name.",
        "field": "author_name",
    }
    assert builders.counters(app, "the-story") == (0, 0)


def test_the_reader_edits_and_deletes_from_another_device(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    phone = sign_in(client)
    comment_id = post(client, phone).json["comment"]["id"]
    laptop = sign_in(client)  # a new sign-in, no edit secret
    edited = client.patch(
        f"/api/v1/comments/{comment_id}", json={"text": "Better said."}, headers=bearer(laptop)
    )
    assert edited.status_code == 200 and "Better said." in edited.json["comment"]["html"]
    deleted = client.delete(f"/api/v1/comments/{comment_id}", headers=bearer(laptop))
    assert deleted.status_code == 204
    assert builders.counters(app, "the-story") == (0, 0)


def test_a_reader_with_a_non_ascii_id_edits_their_comment(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    comment_id = post(client, sign_in(client, "lectora-ñandú")).json["comment"]["id"]
    response = client.delete(
        f"/api/v1/comments/{comment_id}", headers=bearer(sign_in(client, "lectora-ñandú"))
    )
    assert response.status_code == 204
    other = post(client, sign_in(client, "lector-2")).json["comment"]["id"]
    refused = client.delete(
        f"/api/v1/comments/{other}", headers=bearer(sign_in(client, "lectora-ñandú"))
    )
    assert refused.status_code == 403


def test_another_reader_cannot_edit_a_readers_comment(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    comment_id = post(client, sign_in(client, "reader-1")).json["comment"]["id"]
    other = sign_in(client, "reader-2", name="Mallory")
    response = client.patch(
        f"/api/v1/comments/{comment_id}", json={"text": "Hijacked."}, headers=bearer(other)
    )
    assert response.status_code == 403
    assert response.json["error"]["code"] == "invalid_edit_token"


def test_the_edit_window_binds_signed_in_readers_too(app: Flask, client: FlaskClient) -> None:
    from engagement import db as database
    from engagement.models import Comment

    builders.article(app)
    session = sign_in(client)
    comment_id = post(client, session).json["comment"]["id"]
    with app.app_context():
        db = database.session()
        comment = db.get(Comment, comment_id)
        assert comment is not None
        comment.created_at -= timedelta(minutes=16)
        db.commit()
    response = client.delete(f"/api/v1/comments/{comment_id}", headers=bearer(session))
    assert response.status_code == 403
    assert response.json["error"]["code"] == "edit_window_closed"


def test_a_forged_session_cannot_post(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    response = post(client, "eyJzdWIiOiJhZG1pbiJ9.forged.signature")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "session_invalid"
    assert builders.counters(app, "the-story") == (0, 0)


# --- who may comment ---------------------------------------------------------------------


def test_a_guest_is_told_to_sign_in_where_the_site_requires_it(
    app: Flask, client: FlaskClient
) -> None:
    app.config["COMMENTING"] = "signed-in"
    app.config["SSO_LOGIN_URL"] = "https://magazine.example/login"
    builders.article(app)
    response = post(client, author_name="Guest")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "sign_in_required"
    article = client.get("/api/v1/articles/the-story").json
    assert (article["commenting"], article["login_url"]) == (
        "signed-in",
        "https://magazine.example/login",
    )
    assert post(client, sign_in(client)).status_code == 201


@pytest.mark.parametrize(
    ("roles", "status"),
    [([], 403), (["subscriber"], 201), (["staff"], 201)],
)
def test_only_subscribers_comment_on_a_subscribers_article(
    app: Flask, client: FlaskClient, roles: list[str], status: int
) -> None:
    builders.article(app, commenting=Commenting.SUBSCRIBERS)
    assert post(client).json["error"]["code"] == "sign_in_required"
    response = post(client, sign_in(client, roles=roles))
    assert response.status_code == status
    if status == 403:
        assert response.json["error"]["code"] == "subscribers_only"


def test_an_article_may_open_comments_to_anyone_on_a_signed_in_site(
    app: Flask, client: FlaskClient
) -> None:
    app.config["COMMENTING"] = "signed-in"
    builders.article(app, commenting=Commenting.ANYONE)
    assert post(client).status_code == 201


def test_the_cms_sets_who_may_comment_on_an_article(app: Flask, client: FlaskClient) -> None:
    token = builders.api_token(app)
    response = client.put(
        "/api/v1/articles/the-story",
        json={"title": "Members only", "commenting": "subscribers"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201 and response.json["commenting"] == "subscribers"
    bad = client.put(
        "/api/v1/articles/the-story",
        json={"commenting": "everyone"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert bad.status_code == 400 and bad.json["error"]["field"] == "commenting"


def test_moderators_set_who_may_comment_through_the_api(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    token = builders.api_token(app)
    response = client.patch(
        "/api/v1/moderation/articles/the-story",
        json={"commenting": "signed-in", "reason": "pile-on"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200 and response.json["commenting"] == "signed-in"
    assert post(client).status_code == 401
