"""Wrong requests to the moderation pages get a 4xx page and change nothing; a database error
still gets the pages' own error page, under their Content-Security-Policy."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from engagement import db as database
from engagement.models import Ban, ModerationAction
from engagement.moderation import stats
from tests import builders
from tests.moderation.conftest import csrf_token, post_form

INTEGER_MAX = 2**31 - 1
MALFORMED_IDS = [str(INTEGER_MAX + 1), str(2**63), "-1", "0", "²", "\u0661", "1.0"]


def audit_entries(app: Flask) -> int:
    with app.app_context():
        return int(database.session().scalar(select(func.count(ModerationAction.id))) or 0)


def assert_page(response: TestResponse, status: int) -> None:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    assert "Content-Security-Policy" in response.headers


PAGE_IDS = [
    ("GET", "/moderation/comments/{id}", {}),
    ("POST", "/moderation/comments/{id}/approve", {}),
    ("POST", "/moderation/bans/{id}/lift", {}),
    ("POST", "/moderation/tokens/{id}/revoke", {}),
    ("POST", "/moderation/moderators/{id}", {"change": "unlock"}),
]


def call(client: FlaskClient, method: str, path: str, form: dict[str, Any]) -> TestResponse:
    if method == "GET":
        return client.get(path)
    return post_form(client, path, **form)


@pytest.mark.parametrize(("method", "path", "form"), PAGE_IDS)
@pytest.mark.parametrize("raw", MALFORMED_IDS)
def test_a_malformed_id_in_a_pages_path_is_a_400_page(
    app: Flask, admin: FlaskClient, method: str, path: str, form: dict[str, Any], raw: str
) -> None:
    assert_page(call(admin, method, path.format(id=raw), form), 400)
    assert audit_entries(app) == 0


@pytest.mark.parametrize(("method", "path", "form"), PAGE_IDS)
def test_the_largest_id_in_a_pages_path_is_a_404_page(
    app: Flask, admin: FlaskClient, method: str, path: str, form: dict[str, Any]
) -> None:
    assert_page(call(admin, method, path.format(id=INTEGER_MAX), form), 404)


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/moderation/queues/pending", "after"),
        ("/moderation/audit", "comment"),
        ("/moderation/audit", "before"),
    ],
)
@pytest.mark.parametrize("raw", MALFORMED_IDS)
def test_a_malformed_id_in_a_pages_query_is_a_400_page(
    moderator: FlaskClient, path: str, name: str, raw: str
) -> None:
    response = moderator.get(path, query_string={name: raw})
    assert_page(response, 400)
    assert name in response.get_data(as_text=True)


@pytest.mark.parametrize("ids", [["1", "²"], [str(INTEGER_MAX + 1)], ["-1"]])
def test_a_malformed_id_in_a_bulk_form_is_a_400_page_and_acts_on_nothing(
    app: Flask, moderator: FlaskClient, ids: list[str]
) -> None:
    builders.article(app)
    builders.comment(app)
    response = post_form(moderator, "/moderation/comments/bulk", action="reject", ids=ids)
    assert_page(response, 400)
    assert audit_entries(app) == 0
    assert builders.counters(app, "the-story") == (1, 0)


@pytest.mark.parametrize("days", ["²", "0", "-3", "36501", "1.5", str(2**63)])
def test_a_ban_length_out_of_range_is_refused_and_bans_nothing(
    app: Flask, moderator: FlaskClient, days: str
) -> None:
    post_form(moderator, "/moderation/bans", kind="name", value="troll", days=days)
    with app.app_context():
        assert database.session().scalar(select(func.count(Ban.id))) == 0
    assert "A ban lasts 1 to 36500 days" in moderator.get("/moderation/bans").get_data(as_text=True)


def test_an_open_field_other_than_0_or_1_is_a_400_page(app: Flask, moderator: FlaskClient) -> None:
    builders.article(app)
    response = post_form(moderator, "/moderation/articles/the-story", open="yes")
    assert_page(response, 400)
    assert moderator.get("/api/v1/articles/the-story").json["open"] is True  # type: ignore[index]


@pytest.mark.parametrize(
    "path",
    [
        "/moderation/audit?actor=%00",
        "/moderation/audit?action=%00",
        "/moderation/audit?article=a%00",
        "/moderation/articles?q=%00",
        "/moderation/bans?all=%00",
        "/moderation/queues/pending?%00=1",
    ],
)
def test_a_nul_in_a_pages_query_is_a_400_page(moderator: FlaskClient, path: str) -> None:
    assert_page(moderator.get(path), 400)


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/moderation/bans", {"kind": "name", "value": "tr\x00ll"}),
        ("/moderation/bans", {"kind": "name", "value": "troll", "reason": "\x00"}),
        ("/moderation/tokens", {"name": "cms\x00", "scope": "articles"}),
        ("/moderation/moderators", {"username": "bob\x00", "password": "x" * 12}),
    ],
)
def test_a_nul_in_a_form_is_a_400_page_and_changes_nothing(
    app: Flask, admin: FlaskClient, path: str, form: dict[str, str]
) -> None:
    assert_page(post_form(admin, path, **form), 400)
    assert audit_entries(app) == 0


def test_a_nul_in_the_login_form_is_a_400_page(app: Flask, client: FlaskClient) -> None:
    token = csrf_token(client)
    response = client.post(
        "/moderation/login",
        data={"username": "mia\x00", "password": "whatever", "csrf_token": token},
    )
    assert_page(response, 400)


@pytest.mark.parametrize("length", [301, 2000])
def test_a_search_longer_than_any_title_is_a_400_page(moderator: FlaskClient, length: int) -> None:
    assert_page(moderator.get("/moderation/articles", query_string={"q": "x" * length}), 400)


# --- the error page after a database error ---------------------------------------------------


def failing_query(db: Session, *, today: date, days: int = 30) -> Any:
    """A statement the database refuses: on PostgreSQL it aborts the request's transaction."""
    db.execute(text("INSERT INTO moderators (username) VALUES (NULL)"))


def assert_error_page_keeps_the_policy(response: TestResponse, status: int) -> None:
    assert_page(response, status)
    page = response.get_data(as_text=True)
    assert "style=" not in page and "<style" not in page and "<script" not in page
    assert 'href="/moderation/static/moderation.css"' in page
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_failed_statement_still_gets_the_pages_error_page(
    moderator: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stats, "views_per_day", failing_query)
    response = moderator.get("/moderation/")
    assert_error_page_keeps_the_policy(response, 500)
    assert "Server error" in response.get_data(as_text=True)


def test_a_database_that_stops_answering_gets_the_pages_503_page(
    moderator: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def gone(db: Session, *, today: date, days: int = 30) -> Any:
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(stats, "views_per_day", gone)
    response = moderator.get("/moderation/")
    assert_error_page_keeps_the_policy(response, 503)
    assert response.headers["Retry-After"] == "5"


def test_the_pages_keep_working_after_a_failed_request(
    moderator: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patched:
        patched.setattr(stats, "views_per_day", failing_query)
        assert moderator.get("/moderation/").status_code == 500
    assert moderator.get("/moderation/").status_code == 200
