"""Searching every comment: text with stemming and accents, filters, cursors, safe excerpts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engagement.models import CommentStatus
from tests import builders
from tests.moderation.conftest import comment_row

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def search(client: FlaskClient, app: Flask, expect: int = 200, **args: Any) -> Any:
    secret = builders.api_token(app)
    response = client.get(
        "/api/v1/moderation/search",
        query_string=args,
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == expect, response.json
    return response.json


def found(client: FlaskClient, app: Flask, **args: Any) -> list[int]:
    return [hit["id"] for hit in search(client, app, **args)["comments"]]


def spanish_story(app: Flask) -> int:
    return builders.article(app, "historia", title="Historia", language="es").id


def test_a_word_finds_the_comments_that_carry_it(app: Flask, client: FlaskClient) -> None:
    story = builders.article(app).id
    match = comment_row(app, story, text="The referee was wrong about that goal.")
    comment_row(app, story, text="Lovely weather today.")
    assert found(client, app, q="referee") == [match]


def test_spanish_words_match_their_other_forms(app: Flask, client: FlaskClient) -> None:
    story = spanish_story(app)
    plural = comment_row(app, story, text="Las canciones del disco son preciosas.")
    comment_row(app, story, text="Nada que ver con la música.")
    assert found(client, app, q="canción") == [plural]


def test_accents_are_ignored_both_ways(app: Flask, client: FlaskClient) -> None:
    story = spanish_story(app)
    accented = comment_row(app, story, text="El árbol del parque se cayó.")
    plain = comment_row(app, story, text="Otro arbol, sin tilde.")
    assert found(client, app, q="arbol") == [plain, accented]
    assert found(client, app, q="árbol") == [plain, accented]


def test_english_words_match_their_other_forms(app: Flask, client: FlaskClient) -> None:
    story = builders.article(app, "story", language="en").id
    match = comment_row(app, story, text="She keeps running the numbers.")
    assert found(client, app, q="runs") == [match]


def test_every_word_must_match(app: Flask, client: FlaskClient) -> None:
    story = builders.article(app).id
    both = comment_row(app, story, text="Budget cuts at the hospital")
    comment_row(app, story, text="Budget talks")
    assert found(client, app, q="budget hospital") == [both]


def test_the_excerpt_marks_matches_and_escapes_everything_else(
    app: Flask, client: FlaskClient
) -> None:
    story = builders.article(app).id
    comment_row(app, story, text=f"{HOSTILE} the mayor resigned <b>today</b>")
    excerpt = search(client, app, q="mayor")["comments"][0]["excerpt"]
    assert "<mark>mayor</mark>" in excerpt
    assert "<script" not in excerpt and "<img" not in excerpt and "<b>" not in excerpt
    assert excerpt.replace("<mark>", "").replace("</mark>", "").count("<") == 0


@pytest.mark.parametrize(
    "query",
    [
        HOSTILE,
        '"unbalanced',
        "NEAR(a b) OR * AND -x ^y",
        "col:value {a b}",
        "' OR 1=1 --",
        "!!! :* & | ()",
        "ñ" * 200,
    ],
)
def test_hostile_queries_are_plain_words(app: Flask, client: FlaskClient, query: str) -> None:
    story = builders.article(app).id
    comment_row(app, story, text="Nothing to see here.")
    assert search(client, app, q=query)["comments"] == []


def test_a_query_may_be_read_as_words_from_its_syntax(app: Flask, client: FlaskClient) -> None:
    story = builders.article(app).id
    match = comment_row(app, story, text="The value of the column is small")
    assert found(client, app, q="column:value") == [match]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"q": "x" * 201}, "q"),
        ({"q": "a\x00b"}, "q"),
        ({"status": "deleted"}, "status"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-02-30"}, "since"),
        ({"since": "2026-03-02", "until": "2026-03-01"}, "until"),
        ({"signal": "nonsense"}, "signal"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1000"}, "limit"),
        ({"article": "../etc"}, "article"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "WyJ4IiwxXQ"}, "cursor"),
    ],
)
def test_bad_arguments_are_refused_naming_the_field(
    app: Flask, client: FlaskClient, args: dict[str, str], field: str
) -> None:
    error = search(client, app, 400, **args)["error"]
    assert error["field"] == field


def test_filters_by_article(app: Flask, client: FlaskClient) -> None:
    one = builders.article(app, "one").id
    two = builders.article(app, "two").id
    comment_row(app, one, text="Same words")
    wanted = comment_row(app, two, text="Same words")
    assert found(client, app, q="words", article="two") == [wanted]


def test_filters_by_author_name_in_any_case_and_by_email(app: Flask, client: FlaskClient) -> None:
    story = builders.article(app).id
    named = comment_row(app, story, author_name="María López")
    mailed = comment_row(app, story, author_email="ana@example.org")
    comment_row(app, story, author_name="Someone else")
    assert found(client, app, author="maría lópez") == [named]
    assert found(client, app, author="ANA@example.org") == [mailed]


def test_filters_by_identity(app: Flask, client: FlaskClient) -> None:
    story = builders.article(app).id
    theirs = comment_row(app, story, visitor="a" * 64)
    comment_row(app, story, visitor="b" * 64)
    assert found(client, app, identity="a" * 64) == [theirs]


def test_filters_by_status(app: Flask, client: FlaskClient) -> None:
    story = builders.article(app).id
    spam = comment_row(app, story, status=CommentStatus.SPAM)
    pending = comment_row(app, story, status=CommentStatus.PENDING)
    comment_row(app, story, status=CommentStatus.APPROVED)
    assert found(client, app, status=["spam", "pending"]) == [pending, spam]


def test_filters_by_days_inclusive(app: Flask, client: FlaskClient) -> None:
    story = builders.article(app).id
    comment_row(app, story, created_at=datetime(2026, 3, 1, 23, 59, tzinfo=UTC))
    inside = comment_row(app, story, created_at=datetime(2026, 3, 2, 0, 0, tzinfo=UTC))
    last = comment_row(app, story, created_at=datetime(2026, 3, 3, 23, 59, tzinfo=UTC))
    comment_row(app, story, created_at=datetime(2026, 3, 4, 0, 0, tzinfo=UTC))
    assert found(client, app, since="2026-03-02", until="2026-03-03") == [last, inside]


def test_filters_by_spam_signal(app: Flask, client: FlaskClient) -> None:
    story = builders.article(app).id
    links = comment_row(app, story, spam_reasons=["links: 4 links (+3)"])
    comment_row(app, story, spam_reasons=["blocklist: casino (+5)"])
    comment_row(app, story)
    assert found(client, app, signal="links") == [links]


def test_pages_follow_each_other_newest_first_without_repeats(
    app: Flask, client: FlaskClient
) -> None:
    story = builders.article(app).id
    moment = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    # Equal timestamps: the cursor's id breaks the tie.
    made = [comment_row(app, story, text="Tie", created_at=moment) for _ in range(5)]
    first = search(client, app, q="tie", limit=2)
    second = search(client, app, q="tie", limit=2, cursor=first["next_cursor"])
    third = search(client, app, q="tie", limit=2, cursor=second["next_cursor"])
    pages = [[hit["id"] for hit in page["comments"]] for page in (first, second, third)]
    assert [ident for page in pages for ident in page] == sorted(made, reverse=True)
    assert third["next_cursor"] is None


def test_an_edited_comment_is_found_by_its_new_words_only(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    comment_id, token = builders.comment(app, text="First draft about trains")
    response = client.patch(
        f"/api/v1/comments/{comment_id}",
        json={"text": "Now about buses"},
        headers={"X-Edit-Token": token},
    )
    assert response.status_code == 200, response.json
    assert found(client, app, q="trains") == []
    assert found(client, app, q="buses") == [comment_id]


def test_a_changed_article_language_changes_its_comments_stemming(
    app: Flask, client: FlaskClient
) -> None:
    story = builders.article(app, "historia").id
    comment_row(app, story, text="Hablamos de las elecciones")
    builders.article(app, "historia", language="es")
    assert len(found(client, app, q="elección")) == 1


def test_search_needs_the_moderation_scope(app: Flask, client: FlaskClient) -> None:
    from engagement.models import TokenScope

    secret = builders.api_token(app, scopes=[TokenScope.ARTICLES])
    response = client.get(
        "/api/v1/moderation/search?q=x", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 403


def test_matches_older_than_the_newest_comments_are_found_too(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engagement.moderation import search as searching

    monkeypatch.setattr(searching, "RECENT_WINDOW", 4)
    story = builders.article(app).id
    moment = datetime(2026, 3, 1, tzinfo=UTC)
    old = comment_row(app, story, text="A rare word: zarzuela", created_at=moment)
    common = [
        comment_row(app, story, text=f"Common {n}", created_at=moment.replace(day=2 + n))
        for n in range(8)
    ]
    assert found(client, app, q="zarzuela") == [old]
    first = search(client, app, q="common", limit=3)
    assert [hit["id"] for hit in first["comments"]] == common[::-1][:3]
    rest = search(client, app, q="common", limit=10, cursor=first["next_cursor"])
    assert [hit["id"] for hit in rest["comments"]] == common[::-1][3:]
    assert found(client, app, status="pending", until="2026-03-01") == [old]


def test_an_author_rare_among_the_newest_comments_is_found_with_other_filters(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engagement.moderation import search as searching

    monkeypatch.setattr(searching, "RECENT_WINDOW", 2)
    story = builders.article(app).id
    moment = datetime(2026, 3, 1, tzinfo=UTC)
    theirs = comment_row(app, story, author_name="Rare Name", created_at=moment)
    comment_row(app, story, author_name="Rare Name", status=CommentStatus.APPROVED)
    for n in range(4):
        comment_row(app, story, author_name="Someone", created_at=moment.replace(day=2 + n))
    assert found(client, app, author="rare name", status="pending") == [theirs]
    assert found(client, app, identity="v" * 64, author="rare name", until="2026-03-01") == [theirs]
