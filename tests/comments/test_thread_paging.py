"""Paging a thread: every sort walks every shown top-level comment once, in order, pinned first,
whatever the page size, with ties on time and likes broken by id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engagement import db as database
from engagement.articles import service as articles
from engagement.comments.threads import SORTS
from engagement.models import Comment, CommentStatus

START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Top:
    """A top-level comment to store: its minute after START, likes, and what else it is."""

    minute: int
    likes: int = 0
    pinned: bool = False
    status: CommentStatus = CommentStatus.APPROVED
    deleted: bool = False
    replies: int = 0


# Ties on time (minutes 3 and 7) and on likes (0, 4 and 9), three pinned comments (more than
# the smaller pages hold), a deleted comment whose reply keeps it as a placeholder, and comments
# that are not shown: pending, spam, deleted without replies.
THREAD = [
    Top(0, likes=4, replies=2),
    Top(1),
    Top(3, likes=9, pinned=True),
    Top(3, likes=4),
    Top(3),
    Top(4, pinned=True, replies=1),
    Top(5, likes=9),
    Top(6, deleted=True, replies=1),
    Top(7, likes=4, pinned=True),
    Top(7, likes=2),
    Top(8, status=CommentStatus.PENDING),
    Top(9, status=CommentStatus.SPAM, likes=20),
    Top(10, deleted=True),
    Top(11, likes=1, replies=3),
    Top(12),
]


def store(app: Flask, thread: list[Top]) -> dict[int, Top]:
    """The thread's comments, inserted as they are; each top-level comment's id with it."""
    with app.app_context():
        db = database.session()
        article = articles.get_or_create(db, key="the-story")
        stored: dict[int, Top] = {}
        for number, top in enumerate(thread):
            row = comment_row(article.id, number, START + timedelta(minutes=top.minute))
            row.likes, row.pinned, row.status = top.likes, top.pinned, top.status
            row.deleted_at = START if top.deleted else None
            db.add(row)
            db.flush()
            stored[row.id] = top
            for reply in range(top.replies):
                later = START + timedelta(minutes=top.minute, seconds=reply + 1)
                db.add(comment_row(article.id, f"{number}.{reply}", later, parent_id=row.id))
        db.commit()
        return stored


def comment_row(
    article_id: int, label: object, created_at: datetime, parent_id: int | None = None
) -> Comment:
    return Comment(
        article_id=article_id,
        parent_id=parent_id,
        status=CommentStatus.APPROVED,
        text=f"comment {label}",
        html=f"<p>comment {label}</p>",
        avatar="0" * 32,
        visitor=f"visitor-{label}",
        created_at=created_at,
    )


def expected_order(stored: dict[int, Top], sort: str) -> list[int]:
    """The shown top-level comments in ``sort`` order, pinned first, ties broken by id."""

    def shown(top: Top) -> bool:
        visible = top.status is CommentStatus.APPROVED and not top.deleted
        return visible or top.replies > 0

    def key(item: tuple[int, Top]) -> tuple[Any, ...]:
        ident, top = item
        if sort == "newest":
            return (not top.pinned, -top.minute, -ident)
        if sort == "top":
            return (not top.pinned, -top.likes, top.minute, ident)
        return (not top.pinned, top.minute, ident)

    return [ident for ident, _ in sorted(stored.items(), key=key) if shown(stored[ident])]


def walk(client: FlaskClient, sort: str, limit: int) -> list[dict[str, Any]]:
    """Every page of the thread in ``sort``, following the cursors; their comments in order."""
    comments: list[dict[str, Any]] = []
    cursor = ""
    for _ in range(100):
        response = client.get(
            f"/api/v1/articles/the-story/comments?sort={sort}&limit={limit}&cursor={cursor}"
        )
        assert response.status_code == 200, response.json
        page = response.json
        assert len(page["comments"]) <= limit
        comments.extend(page["comments"])
        if page["next_cursor"] is None:
            return comments
        cursor = page["next_cursor"]
    raise AssertionError("the cursors never reached the end of the thread")


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 50])
@pytest.mark.parametrize("sort", SORTS)
def test_pages_of_every_size_walk_the_thread_in_order_once(
    app: Flask, client: FlaskClient, sort: str, limit: int
) -> None:
    stored = store(app, THREAD)
    comments = walk(client, sort, limit)
    assert [comment["id"] for comment in comments] == expected_order(stored, sort)


@pytest.mark.parametrize("sort", SORTS)
def test_each_page_carries_the_replies_of_its_comments(
    app: Flask, client: FlaskClient, sort: str
) -> None:
    stored = store(app, THREAD)
    comments = walk(client, sort, 2)
    replies = {comment["id"]: len(comment["replies"]) for comment in comments}
    assert replies == {ident: stored[ident].replies for ident in replies}
    placeholders = [comment["id"] for comment in comments if comment["deleted"]]
    assert [stored[ident] for ident in placeholders] == [Top(6, deleted=True, replies=1)]


def test_a_comment_posted_while_paging_oldest_is_on_the_last_page(
    app: Flask, client: FlaskClient
) -> None:
    store(app, THREAD)
    first = client.get("/api/v1/articles/the-story/comments?limit=3").json
    posted = client.post(
        "/api/v1/articles/the-story/comments",
        json={"text": "Arriving while someone reads."},
        headers={"Origin": "https://magazine.example"},
    )
    assert posted.status_code == 201, posted.json
    rest = walk_from(client, first["next_cursor"])
    assert rest[-1]["id"] == posted.json["comment"]["id"]
    shown_before = [comment["id"] for comment in first["comments"]]
    assert not set(shown_before) & {comment["id"] for comment in rest}


def walk_from(client: FlaskClient, cursor: str) -> list[dict[str, Any]]:
    comments: list[dict[str, Any]] = []
    while cursor:
        page = client.get(f"/api/v1/articles/the-story/comments?limit=3&cursor={cursor}").json
        comments.extend(page["comments"])
        cursor = page["next_cursor"]
    return comments
