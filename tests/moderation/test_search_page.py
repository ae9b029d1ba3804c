"""The search page: a form, highlighted results, the actions at hand, errors in words."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests import builders
from tests.moderation.conftest import comment_row

HOSTILE = '<script>alert("x")</script>'


def test_the_page_shows_the_form_and_no_results_before_a_search(moderator: FlaskClient) -> None:
    page = moderator.get("/moderation/search").get_data(as_text=True)
    assert 'role="search"' in page and "found" not in page


def test_results_show_the_match_marked_and_the_rest_escaped(
    app: Flask, moderator: FlaskClient
) -> None:
    story = builders.article(app).id
    comment_row(app, story, text=f"{HOSTILE} the mayor resigned")
    page = moderator.get("/moderation/search?q=mayor").get_data(as_text=True)
    assert "<mark>mayor</mark>" in page
    assert HOSTILE not in page
    assert "1 comment found" in page


def test_results_carry_the_moderation_actions(app: Flask, moderator: FlaskClient) -> None:
    story = builders.article(app).id
    found = comment_row(app, story, text="Approve me")
    page = moderator.get("/moderation/search?q=approve").get_data(as_text=True)
    assert f"/moderation/comments/{found}/approve" in page


def test_a_bad_filter_is_explained_with_a_400(moderator: FlaskClient) -> None:
    response = moderator.get("/moderation/search?since=yesterday")
    assert response.status_code == 400
    assert "since: a day as YYYY-MM-DD." in response.get_data(as_text=True)


def test_the_next_page_link_keeps_the_filters(app: Flask, moderator: FlaskClient) -> None:
    story = builders.article(app).id
    for _ in range(3):
        comment_row(app, story, text="Again")
    page = moderator.get("/moderation/search?q=again&limit=2&status=pending").get_data(as_text=True)
    assert 'rel="next"' in page and "status=pending" in page and "q=again" in page


def test_the_search_page_needs_a_login(client: FlaskClient) -> None:
    assert client.get("/moderation/search?q=x").status_code == 401
