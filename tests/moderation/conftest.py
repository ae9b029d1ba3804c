"""Moderation fixtures: accounts, logged-in clients, CSRF tokens, comments in any state."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from engagement import db as database
from engagement.models import Comment, CommentStatus, Report, ReportReason, Role
from engagement.moderation import accounts
from engagement.moderation.audit import Actor

PASSWORD = "correct horse battery"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')

SETUP = Actor(name="setup")


def make_moderator(
    app: Flask, username: str = "mia", *, role: Role = Role.MODERATOR, password: str = PASSWORD
) -> int:
    """Create an account; returns its id."""
    with app.app_context():
        db = database.session()
        created = accounts.create(db, actor=SETUP, username=username, password=password, role=role)
        db.commit()
        return created.id


def csrf_token(client: FlaskClient, path: str = "/moderation/login") -> str:
    """A CSRF token of the client's session, read from a page's form."""
    page = client.get(path)
    found = CSRF_FIELD.search(page.get_data(as_text=True))
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def log_in(
    client: FlaskClient, username: str = "mia", password: str = PASSWORD, **extra: str
) -> TestResponse:
    """Post the login form as a browser would."""
    token = csrf_token(client)
    form = {"username": username, "password": password, "csrf_token": token, **extra}
    return client.post("/moderation/login", data=form)


def post_form(client: FlaskClient, path: str, **form: Any) -> TestResponse:
    """Post a moderation form with the session's CSRF token."""
    return client.post(path, data={"csrf_token": csrf_token(client, "/moderation/"), **form})


@pytest.fixture
def moderator(app: Flask, client: FlaskClient) -> FlaskClient:
    """A client logged in as the moderator ``mia``."""
    make_moderator(app, "mia")
    assert log_in(client).status_code == 303
    return client


@pytest.fixture
def admin(app: Flask, client: FlaskClient) -> FlaskClient:
    """A client logged in as the admin ``ada``."""
    make_moderator(app, "ada", role=Role.ADMIN)
    assert log_in(client, "ada").status_code == 303
    return client


def comment_row(
    app: Flask,
    article_id: int,
    *,
    status: CommentStatus = CommentStatus.PENDING,
    text: str = "A comment.",
    visitor: str = "v" * 64,
    reports: int = 0,
    **fields: Any,
) -> int:
    """A comment stored as it is, for reading queues (actions go through the services)."""
    with app.app_context():
        db = database.session()
        comment = Comment(
            article_id=article_id,
            status=status,
            text=text,
            html=f"<p>{text}</p>",
            avatar="a" * 32,
            visitor=visitor,
            **fields,
        )
        db.add(comment)
        db.flush()
        for index in range(reports):
            db.add(Report(comment_id=comment.id, visitor=f"r{index}", reason=ReportReason.ABUSE))
        db.commit()
        return comment.id
