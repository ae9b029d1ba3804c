"""Builders with minimal defaults: make only what a test is about."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import event, select

from engagement import db as database
from engagement import tokens
from engagement.articles import service as articles
from engagement.comments import posting
from engagement.comments import service as comments
from engagement.comments.inputs import NewComment
from engagement.comments.settings import Settings
from engagement.models import Article, Comment, CommentStatus, Report, TokenScope, utcnow
from engagement.moderation.audit import Actor

SETUP = Actor(name="setup")


def article(app: Flask, key: str = "the-story", **fields: Any) -> Article:
    """Register an article as the CMS would."""
    with app.app_context():
        db = database.session()
        created, _ = articles.put(db, key=key, title=fields.pop("title", "The story"), **fields)
        db.commit()
        return created


def api_token(
    app: Flask, name: str = "cms", scopes: Iterable[TokenScope] = tuple(TokenScope)
) -> str:
    """A fresh API token's secret (with every scope unless ``scopes`` names some)."""
    with app.app_context():
        db = database.session()
        _, secret = tokens.create(db, actor=SETUP, name=name, scopes=scopes)
        db.commit()
        return secret


def counters(app: Flask, key: str) -> tuple[int, int]:
    """(comments, views) of an article, read straight from the database."""
    with app.app_context():
        found = articles.get(database.session(), key=key)
        assert found is not None
        return found.comment_count, found.view_count


def comment(
    app: Flask,
    key: str = "the-story",
    text: str = "A comment.",
    *,
    parent_id: int | None = None,
    status: CommentStatus | None = None,
    visitor: str = "visitor-1",
    email: str | None = None,
    name: str | None = "Ada",
) -> tuple[int, str]:
    """Post a comment as a reader would (then move it to ``status``); returns (id, edit token)."""
    with app.app_context():
        db = database.session()
        article = articles.get(db, key=key) or articles.get_or_create(db, key=key)
        new = NewComment(
            text=text,
            author_name=name,
            author_email=email,
            author_website=None,
            parent_id=parent_id,
        )
        draft = posting.prepare(
            db,
            article=article,
            new=new,
            poster=posting.Poster(visitor=visitor),
            settings=Settings.from_app(app),
        )
        created = posting.save(db, draft)
        if status is not None and status is not created.comment.status:
            comments.set_status(db, comment=created.comment, status=status)
        db.commit()
        return created.comment.id, created.edit_token


def chain(app: Flask, length: int, key: str = "the-story") -> list[int]:
    """A comment followed by replies each answering the one before; their ids in order."""
    ids: list[int] = []
    for level in range(length):
        comment_id, _ = comment(app, key, f"level {level}", parent_id=ids[-1] if ids else None)
        ids.append(comment_id)
    return ids


def big_thread(app: Flask, count: int, key: str = "the-story") -> None:
    """A thread of ``count`` visible comments, every third one a reply, inserted in bulk."""
    with app.app_context():
        db = database.session()
        article = articles.get(db, key=key) or articles.get_or_create(db, key=key)
        start = utcnow() - timedelta(days=1)

        def row(index: int, parent_id: int | None) -> Comment:
            return Comment(
                article_id=article.id,
                parent_id=parent_id,
                status=CommentStatus.APPROVED,
                text=f"comment {index}",
                html=f"<p>comment {index}</p>",
                author_name=f"reader {index}",
                avatar="0" * 32,
                visitor=f"visitor-{index}",
                created_at=start + timedelta(seconds=index),
            )

        parents = {index: row(index, None) for index in range(count) if index % 3 != 2}
        db.add_all(parents.values())
        db.flush()
        db.add_all(row(i, parents[i - 1].id) for i in range(count) if i % 3 == 2)
        article.comment_count = count
        db.commit()


def set_views(app: Flask, key: str, views: int) -> None:
    """Give an article a view count, as if that many readers had come by."""
    with app.app_context():
        db = database.session()
        found = articles.get(db, key=key)
        assert found is not None
        found.view_count = views
        db.commit()


def reports(app: Flask, comment_id: int) -> list[str]:
    """The reasons of a comment's reports, oldest first."""
    with app.app_context():
        found = database.session().scalars(
            select(Report.reason).where(Report.comment_id == comment_id).order_by(Report.id)
        )
        return [str(reason) for reason in found]


def set_website(app: Flask, comment_id: int, website: str) -> None:
    """Store a website on a comment as it is, skipping the API's validation."""
    with app.app_context():
        db = database.session()
        found = db.get(Comment, comment_id)
        assert found is not None
        found.author_website = website
        db.commit()


def pin(app: Flask, comment_id: int) -> None:
    """Pin a comment to the top of its thread, as a moderator would."""
    with app.app_context():
        db = database.session()
        found = comments.get(db, comment_id=comment_id)
        assert found is not None
        comments.set_pinned(db, comment=found, pinned=True)
        db.commit()


@contextmanager
def recorded_statements(app: Flask) -> Iterator[list[tuple[str, Any]]]:
    """Every SQL statement the app's engine runs inside the block, with its parameters."""
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        statements.append((statement, parameters))

    engine = app.extensions["engagement.engine"]
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def likes(app: Flask, comment_id: int) -> int:
    """A comment's like count, read straight from the database."""
    with app.app_context():
        found = database.session().get(Comment, comment_id)
        assert found is not None
        return found.likes


def article_row(app: Flask, key: str) -> Article:
    """An article as stored, read straight from the database."""
    with app.app_context():
        found = articles.get(database.session(), key=key)
        assert found is not None
        return found
