"""The verbs that change what a thread shows keep comment_count and the thread version right."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from engagement import db as database
from engagement.comments import likes, service
from engagement.models import Article, Comment, CommentStatus, ModerationMode
from engagement.refusals import Refusal
from tests import builders


def shown(client: FlaskClient) -> int:
    """Visible comments in the thread as readers get it."""

    def count(comments: list[dict]) -> int:  # type: ignore[type-arg]
        return sum(int(not c["deleted"]) + count(c["replies"]) for c in comments)

    body = client.get("/api/v1/articles/the-story/comments?limit=1000").json
    return count(body["comments"])


def apply(app: Flask, comment_id: int, verb: Callable[[Session, Comment], None]) -> None:
    with app.app_context():
        db = database.session()
        comment = service.get(db, comment_id=comment_id)
        assert comment is not None
        verb(db, comment)
        db.commit()


def version(app: Flask) -> int:
    with app.app_context():
        article = database.session().query(Article).one()
        return article.thread_version


APPROVED, PENDING, REJECTED, SPAM = (
    CommentStatus.APPROVED,
    CommentStatus.PENDING,
    CommentStatus.REJECTED,
    CommentStatus.SPAM,
)


@pytest.mark.parametrize(
    ("start", "end", "count"),
    [
        (PENDING, APPROVED, 1),
        (APPROVED, REJECTED, 0),
        (APPROVED, SPAM, 0),
        (SPAM, APPROVED, 1),
        (APPROVED, PENDING, 0),
        (APPROVED, APPROVED, 1),
        (REJECTED, SPAM, 0),
    ],
)
def test_set_status_keeps_the_counter_equal_to_the_thread(
    app: Flask, client: FlaskClient, start: CommentStatus, end: CommentStatus, count: int
) -> None:
    builders.article(app)
    comment_id, _ = builders.comment(app, status=start)
    apply(app, comment_id, lambda db, c: service.set_status(db, comment=c, status=end))
    assert builders.counters(app, "the-story")[0] == count == shown(client)


def test_delete_and_restore_move_the_counter(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    comment_id, _ = builders.comment(app)
    builders.comment(app)
    apply(app, comment_id, lambda db, c: service.delete(db, comment=c))
    assert builders.counters(app, "the-story")[0] == 1 == shown(client)
    apply(app, comment_id, lambda db, c: service.delete(db, comment=c))
    assert builders.counters(app, "the-story")[0] == 1, "deleting twice counts once"
    apply(app, comment_id, lambda db, c: service.restore(db, comment=c))
    assert builders.counters(app, "the-story")[0] == 2 == shown(client)


def test_rejecting_a_deleted_comment_leaves_the_counter_alone(
    app: Flask, client: FlaskClient
) -> None:
    builders.article(app)
    comment_id, _ = builders.comment(app)
    apply(app, comment_id, lambda db, c: service.delete(db, comment=c))
    apply(app, comment_id, lambda db, c: service.set_status(db, comment=c, status=REJECTED))
    apply(app, comment_id, lambda db, c: service.restore(db, comment=c))
    assert builders.counters(app, "the-story")[0] == 0 == shown(client)


def test_moderator_edit_rerenders_and_marks_edited(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    comment_id, _ = builders.comment(app, text="typo")
    apply(app, comment_id, lambda db, c: service.edit(db, comment=c, text="**fixed**"))
    (comment,) = client.get("/api/v1/articles/the-story/comments").json["comments"]
    assert comment["html"] == "<p><strong>fixed</strong></p>"
    assert comment["edited_at"] is not None


@pytest.mark.parametrize(
    "verb",
    [
        lambda db, c: service.set_status(db, comment=c, status=REJECTED),
        lambda db, c: service.delete(db, comment=c),
        lambda db, c: service.edit(db, comment=c, text="new"),
        lambda db, c: service.set_pinned(db, comment=c, pinned=True),
        lambda db, c: likes.like(db, comment=c, visitor="someone"),
    ],
    ids=["set_status", "delete", "edit", "set_pinned", "like"],
)
def test_every_visible_change_bumps_the_thread_version(
    app: Flask, verb: Callable[[Session, Comment], None]
) -> None:
    builders.article(app)
    comment_id, _ = builders.comment(app)
    before = version(app)
    apply(app, comment_id, verb)
    assert version(app) > before


def test_pending_comment_does_not_bump_the_thread(app: Flask) -> None:
    builders.article(app, moderation=ModerationMode.PRE)
    before = version(app)
    builders.comment(app)
    assert version(app) == before


def test_counter_stays_exact_through_a_mixed_history(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    a, _ = builders.comment(app)
    b, _ = builders.comment(app, parent_id=a)
    c, _ = builders.comment(app, status=PENDING)
    builders.comment(app, parent_id=b)
    apply(app, a, lambda db, x: service.delete(db, comment=x))
    apply(app, c, lambda db, x: service.set_status(db, comment=x, status=APPROVED))
    apply(app, b, lambda db, x: service.set_status(db, comment=x, status=SPAM))
    apply(app, c, lambda db, x: service.set_pinned(db, comment=x, pinned=True))
    assert builders.counters(app, "the-story")[0] == 2 == shown(client)


def test_counter_equals_the_thread_through_a_long_random_history(
    app: Flask, client: FlaskClient
) -> None:
    import random

    builders.article(app)
    rng = random.Random(7)
    made: list[int] = []
    statuses = [APPROVED, PENDING, REJECTED, SPAM]
    for step in range(60):
        choice = rng.random()
        if choice < 0.35 or not made:
            parent = rng.choice(made) if made and rng.random() < 0.5 else None
            try:
                comment_id, _ = builders.comment(app, text=f"step {step}", parent_id=parent)
            except Refusal as refused:  # the parent is hidden by now: replying is refused
                assert refused.code == "invalid_parent"
                continue
            made.append(comment_id)
        else:
            target = rng.choice(made)
            verbs: list[Callable[[Session, Comment], None]] = [
                lambda db, c: service.set_status(db, comment=c, status=rng.choice(statuses)),
                lambda db, c: service.delete(db, comment=c),
                lambda db, c: service.restore(db, comment=c),
                lambda db, c: service.set_pinned(db, comment=c, pinned=rng.random() < 0.5),
            ]
            apply(app, target, rng.choice(verbs))
        assert builders.counters(app, "the-story")[0] == shown(client), f"after step {step}"
