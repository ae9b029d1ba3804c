"""A commenter's data through the moderation API (token scope ``moderation``)."""

from __future__ import annotations

from flask import Flask

from engagement.models import TokenScope
from tests import builders
from tests.portability.threads import outline

ADA = "ada@example.org"


def bearer(app: Flask, *scopes: TokenScope) -> dict[str, str]:
    return {"Authorization": f"Bearer {builders.api_token(app, scopes=scopes)}"}


def test_a_moderation_token_exports_a_commenters_data(app: Flask) -> None:
    builders.comment(app, "my-story", "Ada's view", email=ADA)
    builders.comment(app, "my-story", "Someone else", visitor="visitor-2")
    response = app.test_client().post(
        "/api/v1/moderation/commenters/export",
        json={"email": "ADA@example.org"},
        headers=bearer(app, TokenScope.MODERATION),
    )
    assert response.status_code == 200
    assert [c["text"] for c in response.get_json()["comments"]] == ["Ada's view"]


def test_a_moderation_token_erases_a_commenter(app: Flask) -> None:
    first, _ = builders.comment(app, "my-story", "Ada's view", email=ADA)
    builders.comment(app, "my-story", "Reply", parent_id=first, visitor="visitor-2")
    response = app.test_client().post(
        "/api/v1/moderation/commenters/erase",
        json={"email": ADA},
        headers=bearer(app, TokenScope.MODERATION),
    )
    assert response.get_json() == {"comments": 1, "bans_kept": 0}
    assert outline(app, "my-story") == [("(deleted)", [("Reply", [])])]
    assert builders.counters(app, "my-story") == (1, 0)


def test_an_articles_token_may_not_erase_anyone(app: Flask) -> None:
    builders.comment(app, "my-story", "Ada's view", email=ADA)
    response = app.test_client().post(
        "/api/v1/moderation/commenters/erase",
        json={"email": ADA},
        headers=bearer(app, TokenScope.ARTICLES),
    )
    assert response.status_code == 403
    assert builders.counters(app, "my-story") == (1, 0)


def test_an_address_that_is_not_one_is_a_400_naming_the_field(app: Flask) -> None:
    response = app.test_client().post(
        "/api/v1/moderation/commenters/export",
        json={"email": "nobody"},
        headers=bearer(app, TokenScope.MODERATION),
    )
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "email"
