"""Builders with minimal defaults: make only what a test is about."""

from __future__ import annotations

from typing import Any

from flask import Flask

from engagement import db as database
from engagement import tokens
from engagement.articles import service as articles
from engagement.models import Article


def article(app: Flask, key: str = "the-story", **fields: Any) -> Article:
    """Register an article as the CMS would."""
    with app.app_context():
        db = database.session()
        created, _ = articles.put(db, key=key, title=fields.pop("title", "The story"), **fields)
        db.commit()
        return created


def api_token(app: Flask, name: str = "cms") -> str:
    """A fresh API token's secret."""
    with app.app_context():
        db = database.session()
        _, secret = tokens.create(db, name=name)
        db.commit()
        return secret


def counters(app: Flask, key: str) -> tuple[int, int]:
    """(comments, views) of an article, read straight from the database."""
    with app.app_context():
        found = articles.get(database.session(), key=key)
        assert found is not None
        return found.comment_count, found.view_count


def set_views(app: Flask, key: str, views: int) -> None:
    """Give an article a view count, as if that many readers had come by."""
    with app.app_context():
        db = database.session()
        found = articles.get(db, key=key)
        assert found is not None
        found.view_count = views
        db.commit()
