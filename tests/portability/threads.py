"""Reading back what an import stored, as readers and moderators see it."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlalchemy import select

from engagement import db as database
from engagement.models import Comment

_TAG = re.compile(r"<[^>]+>")
Outline = list[tuple[str, "Outline"]]


def _outline(nodes: list[dict[str, Any]]) -> Outline:
    return [
        ("(deleted)" if node["deleted"] else _TAG.sub("", node["html"]), _outline(node["replies"]))
        for node in nodes
    ]


def thread(app: Flask, key: str) -> dict[str, Any]:
    """The thread's public answer, all top-level comments on one page."""
    response = app.test_client().get(f"/api/v1/articles/{key}/comments?limit=100")
    assert response.status_code == 200, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def outline(app: Flask, key: str) -> Outline:
    """The thread as readers see it: each comment's text (tags removed) with its replies."""
    return _outline(thread(app, key)["comments"])


def visible_in(nodes: list[dict[str, Any]]) -> int:
    """How many comments a thread answer shows (placeholders excluded)."""
    return sum(int(not node["deleted"]) + visible_in(node["replies"]) for node in nodes)


def rows(app: Flask) -> list[Comment]:
    """Every stored comment, in id order."""
    with app.app_context():
        db = database.session()
        found = list(db.scalars(select(Comment).order_by(Comment.id)))
        db.expunge_all()
        return found
