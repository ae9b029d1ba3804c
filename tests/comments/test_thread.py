"""Reading a thread: nesting, depth cap, sorts, pagination, constant queries, caching."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engagement import db as database
from engagement.comments import likes, service
from engagement.models import CommentStatus
from tests import builders
from tests.conftest import committing, make_app

URL = "/api/v1/articles/the-story/comments"


def read(client: FlaskClient, query: str = "", key: str = "the-story") -> dict[str, Any]:
    response = client.get(f"/api/v1/articles/{key}/comments{query}")
    assert response.status_code == 200, response.json
    return response.json  # type: ignore[no-any-return]


def ids(comments: list[dict[str, Any]]) -> list[int]:
    return [comment["id"] for comment in comments]


def count_all(comments: list[dict[str, Any]]) -> int:
    return sum(1 + count_all(c["replies"]) for c in comments if not c["deleted"]) + sum(
        count_all(c["replies"]) for c in comments if c["deleted"]
    )


def like(app: Flask, comment_id: int, times: int) -> None:
    with app.app_context():
        db = database.session()
        comment = service.get(db, comment_id=comment_id)
        assert comment is not None
        for visitor in range(times):
            likes.like(db, comment=comment, visitor=f"liker-{visitor}")
        db.commit()


def test_empty_thread_reads_with_its_article(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    body = read(client)
    assert body["comments"] == [] and body["next_cursor"] is None
    assert body["article"]["key"] == "the-story"
    assert body["article"]["open"] is True


def test_unknown_article_thread_is_404(client: FlaskClient) -> None:
    response = client.get("/api/v1/articles/nothing-here/comments")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "article_not_found"


def test_replies_are_nested_under_their_parents_oldest_first(
    app: Flask, client: FlaskClient
) -> None:
    builders.article(app)
    first, _ = builders.comment(app)
    second, _ = builders.comment(app)
    reply_a, _ = builders.comment(app, parent_id=first)
    reply_b, _ = builders.comment(app, parent_id=first)
    nested, _ = builders.comment(app, parent_id=reply_a)
    comments = read(client)["comments"]
    assert ids(comments) == [first, second]
    assert ids(comments[0]["replies"]) == [reply_a, reply_b]
    assert ids(comments[0]["replies"][0]["replies"]) == [nested]
    assert comments[0]["reply_count"] == 3
    assert comments[1]["reply_count"] == 0


def test_ten_level_chain_reads_back_at_the_depth_cap(app: Flask, client: FlaskClient) -> None:
    app.config["COMMENT_MAX_DEPTH"] = 3
    builders.article(app)
    chain = builders.chain(app, 10)
    level = read(client)["comments"]
    assert ids(level) == [chain[0]]
    for depth in (1, 2):
        level = level[0]["replies"]
        assert ids(level) == [chain[depth]]
    capped = level[0]["replies"]
    assert ids(capped) == chain[3:], "replies deeper than the cap are shown at the cap"
    assert [c["parent_id"] for c in capped] == chain[2:9], "each still names its own parent"
    assert all(c["replies"] == [] for c in capped)
    assert count_all(read(client)["comments"]) == 10 == builders.counters(app, "the-story")[0]


def test_depth_one_shows_every_reply_under_its_top_level_comment(
    app: Flask, client: FlaskClient
) -> None:
    app.config["COMMENT_MAX_DEPTH"] = 1
    builders.article(app)
    chain = builders.chain(app, 4)
    (top,) = read(client)["comments"]
    assert ids(top["replies"]) == chain[1:]
    assert top["reply_count"] == 3


def test_sort_oldest_newest_and_top(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    first, _ = builders.comment(app)
    second, _ = builders.comment(app)
    third, _ = builders.comment(app)
    like(app, second, 2)
    like(app, third, 1)
    assert ids(read(client)["comments"]) == [first, second, third]
    assert ids(read(client, "?sort=oldest")["comments"]) == [first, second, third]
    assert ids(read(client, "?sort=newest")["comments"]) == [third, second, first]
    assert ids(read(client, "?sort=top")["comments"]) == [second, third, first]


def test_pinned_comments_come_first_in_every_sort(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    first, _ = builders.comment(app)
    second, _ = builders.comment(app)
    third, _ = builders.comment(app)
    like(app, first, 3)
    builders.pin(app, second)
    assert ids(read(client, "?sort=oldest")["comments"]) == [second, first, third]
    assert ids(read(client, "?sort=newest")["comments"]) == [second, third, first]
    assert ids(read(client, "?sort=top")["comments"]) == [second, first, third]


def test_cursor_walks_every_top_level_comment_once(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    made = [builders.comment(app)[0] for _ in range(7)]
    builders.comment(app, parent_id=made[0])
    like(app, made[4], 2)
    builders.pin(app, made[6])
    for sort in ("oldest", "newest", "top"):
        seen: list[int] = []
        cursor = ""
        pages = 0
        while True:
            body = read(client, f"?sort={sort}&limit=3{cursor}")
            seen.extend(ids(body["comments"]))
            pages += 1
            if body["next_cursor"] is None:
                break
            cursor = f"&cursor={body['next_cursor']}"
        assert sorted(seen) == sorted(made), sort
        assert seen == ids(read(client, f"?sort={sort}&limit=100")["comments"]), sort
        assert pages == 3


def test_cursor_of_another_sort_is_400(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    for _ in range(3):
        builders.comment(app)
    cursor = read(client, "?limit=1")["next_cursor"]
    response = client.get(f"{URL}?sort=top&cursor={cursor}")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_cursor"


def test_thread_of_1000_comments_reads_in_as_many_queries_as_3(
    app: Flask, client: FlaskClient
) -> None:
    """The comment queries are counted; the article row (one query) is read outside the
    listener, on the DBAPI connection."""
    builders.article(app, "small")
    builders.article(app, "large")
    builders.big_thread(app, 3, key="small")
    builders.big_thread(app, 1000, key="large")
    with builders.recorded_statements(app) as small:
        small_body = read(client, "?limit=1000", key="small")
    with builders.recorded_statements(app) as large:
        large_body = read(client, "?limit=1000", key="large")
    assert count_all(small_body["comments"]) == 3
    assert count_all(large_body["comments"]) == 1000
    assert len(large) == len(small)
    selects = [s for s, _ in large if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert len(selects) == 2, "the page of top-level comments, then all their replies"


def test_cached_thread_reads_no_comment(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    builders.big_thread(app, 30)
    first = read(client)
    with builders.recorded_statements(app) as statements:
        again = read(client)
    # Only the article row is read, on the DBAPI connection directly (outside the listener).
    assert statements == []
    assert again == first


@pytest.mark.commits
def test_a_change_made_by_another_process_is_seen_at_once(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    builders.article(app)
    first, _ = builders.comment(app)
    assert ids(read(client)["comments"]) == [first]
    other = make_app(committing(app).config["DATABASE_URL"], tmp_path / "other")
    reply = other.test_client().post(URL, json={"text": "From elsewhere."}).json["comment"]["id"]
    other.extensions["engagement.engine"].dispose()
    assert ids(read(client)["comments"]) == [first, reply]


def test_new_comment_is_seen_at_once_despite_the_cache(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    first, _ = builders.comment(app)
    assert ids(read(client)["comments"]) == [first]
    second = client.post(URL, json={"text": "Me too."}).json["comment"]["id"]
    assert ids(read(client)["comments"]) == [first, second]


def test_article_counters_in_the_thread_are_fresh(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    builders.comment(app)
    read(client)
    client.post(
        "/api/v1/articles/the-story/views", headers={"User-Agent": "Mozilla/5.0 Firefox/130"}
    )
    assert read(client)["article"]["views"] == 1


def test_etag_answers_304_until_the_thread_changes(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    builders.comment(app)
    first = client.get(URL)
    etag = first.headers["ETag"]
    again = client.get(URL, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    builders.comment(app)
    changed = client.get(URL, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_etag_differs_per_sort_and_page(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    builders.comment(app)
    etags = {client.get(URL + query).headers["ETag"] for query in ("", "?sort=top", "?limit=1")}
    assert len(etags) == 3


def test_pending_rejected_and_spam_comments_are_not_shown(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    shown, _ = builders.comment(app)
    for status in (CommentStatus.PENDING, CommentStatus.REJECTED, CommentStatus.SPAM):
        builders.comment(app, status=status)
    assert ids(read(client)["comments"]) == [shown]
    assert read(client)["article"]["comments"] == 1


def test_deleted_comment_with_replies_leaves_a_placeholder(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    parent, _ = builders.comment(app, name="Ann", text="Something rude")
    reply, _ = builders.comment(app, parent_id=parent)
    lonely, _ = builders.comment(app)
    with app.app_context():
        db = database.session()
        for comment_id in (parent, lonely):
            comment = service.get(db, comment_id=comment_id)
            assert comment is not None
            service.delete(db, comment=comment)
        db.commit()
    (placeholder,) = read(client)["comments"]
    assert placeholder["id"] == parent
    assert placeholder["deleted"] is True
    assert placeholder["status"] == "deleted"
    assert placeholder["html"] == "" and placeholder["author_name"] is None
    assert placeholder["avatar"] is None
    assert ids(placeholder["replies"]) == [reply]
    assert builders.counters(app, "the-story")[0] == 1


def test_placeholder_chain_without_visible_replies_disappears(
    app: Flask, client: FlaskClient
) -> None:
    builders.article(app)
    chain = builders.chain(app, 3)
    with app.app_context():
        db = database.session()
        for comment_id in chain:
            comment = service.get(db, comment_id=comment_id)
            assert comment is not None
            service.delete(db, comment=comment)
        db.commit()
    assert read(client)["comments"] == []


def test_bad_sort_and_limit_are_400(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    for query, field in [
        ("?sort=best", "sort"),
        ("?limit=0", "limit"),
        ("?limit=-1", "limit"),
        ("?limit=abc", "limit"),
        ("?limit=99999999999999999999", "limit"),
        ("?limit=1001", "limit"),
        ("?limit=\u00b2", "limit"),
        ("?limit=\u0663", "limit"),
        ("?cursor=not-a-cursor", "cursor"),
        ("?cursor=" + "A" * 500, "cursor"),
    ]:
        response = client.get(URL + query)
        assert response.status_code == 400, query
        assert response.json["error"]["field"] == field, query


def test_weak_etag_from_a_compressing_proxy_still_matches(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    builders.comment(app)
    etag = client.get(URL).headers["ETag"]
    assert client.get(URL, headers={"If-None-Match": f"W/{etag}"}).status_code == 304


def forge(*values: object) -> str:
    raw = json.dumps(list(values)).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        forge("oldest", False, "9999-12-31T23:59:59-14:00", 1),
        forge("oldest", False, "0001-01-01T00:00:00+14:00", 1),
        forge("oldest", False, "2026-01-01T00:00:00", 1),
        forge("oldest", False, "yesterday", 1),
        forge("oldest", False, 12345, 1),
        forge("oldest", 0, "2026-01-01T00:00:00+00:00", 1),
        forge("oldest", False, "2026-01-01T00:00:00+00:00", 2**31),
        forge("oldest", False, "2026-01-01T00:00:00+00:00", True),
        forge("oldest", False, "2026-01-01T00:00:00+00:00"),
        forge("newest", False, "2026-01-01T00:00:00+00:00", 1),
        forge({"a": 1}),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        "\u00e9t\u00e9",
    ],
)
def test_forged_cursor_is_400(app: Flask, client: FlaskClient, cursor: str) -> None:
    builders.article(app)
    response = client.get(URL, query_string={"cursor": cursor})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_cursor"


def test_cursor_with_a_far_date_in_range_reads_an_empty_page(
    app: Flask, client: FlaskClient
) -> None:
    builders.article(app)
    builders.comment(app)
    cursor = forge("oldest", False, "9000-01-01T00:00:00+00:00", 1)
    assert read(client, f"?cursor={cursor}")["comments"] == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/articles/the-story/comments"),
        ("post", "/api/v1/articles/the-story/comments"),
        ("post", "/api/v1/comments/1/likes"),
    ],
)
def test_comment_routes_answer_503_not_500_when_the_database_is_down(
    tmp_path: Path, method: str, path: str
) -> None:
    down = make_app("postgresql://nobody@127.0.0.1:9/nowhere", tmp_path)
    response = getattr(down.test_client(), method)(path, json={"text": "Hello."})
    assert response.status_code == 503
    assert response.json["error"]["code"] == "database_unavailable"


def test_an_unregistered_article_reads_as_an_empty_thread_when_asked(client: FlaskClient) -> None:
    response = client.get("/api/v1/articles/not-yet/comments?missing=empty")
    assert response.status_code == 200
    assert response.json == {"article": None, "comments": [], "next_cursor": None}
    assert client.get("/api/v1/articles/not-yet/comments").status_code == 404
