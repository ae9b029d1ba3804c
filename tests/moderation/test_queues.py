"""The queues: what waits where, oldest first, with the context a moderator needs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engagement.models import CommentStatus
from tests import builders
from tests.moderation.conftest import comment_row

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def api(client: FlaskClient, app: Flask, path: str) -> Any:
    secret = builders.api_token(app)
    response = client.get(path, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200, response.json
    return response.json


def ids(queue_json: dict[str, Any]) -> list[int]:
    return [item["id"] for item in queue_json["comments"]]


def test_each_queue_holds_its_comments_oldest_first(app: Flask, client: FlaskClient) -> None:
    story = builders.article(app)
    first = comment_row(app, story.id, status=CommentStatus.PENDING)
    spam = comment_row(app, story.id, status=CommentStatus.SPAM)
    reported = comment_row(app, story.id, status=CommentStatus.APPROVED, reports=3)
    second = comment_row(app, story.id, status=CommentStatus.PENDING)
    comment_row(app, story.id, status=CommentStatus.APPROVED, reports=2)
    comment_row(app, story.id, status=CommentStatus.REJECTED)
    assert ids(api(client, app, "/api/v1/moderation/queues/pending")) == [first, second]
    assert ids(api(client, app, "/api/v1/moderation/queues/spam")) == [spam]
    assert ids(api(client, app, "/api/v1/moderation/queues/reported")) == [reported]
    assert api(client, app, "/api/v1/moderation/queues") == {
        "pending": 2,
        "reported": 1,
        "spam": 1,
    }


@pytest.mark.parametrize("settings", [{"REPORT_THRESHOLD": 1}])
def test_the_reported_threshold_comes_from_the_settings(app: Flask, client: FlaskClient) -> None:
    story = builders.article(app)
    once = comment_row(app, story.id, status=CommentStatus.APPROVED, reports=1)
    assert ids(api(client, app, "/api/v1/moderation/queues/reported")) == [once]


def test_a_deleted_comment_leaves_the_queues(app: Flask, client: FlaskClient) -> None:
    story = builders.article(app)
    comment_row(app, story.id, deleted_at=datetime.now(UTC))
    assert ids(api(client, app, "/api/v1/moderation/queues/pending")) == []


def test_an_item_carries_article_parent_reports_signals_and_history(
    app: Flask, client: FlaskClient
) -> None:
    story = builders.article(app, title="Budget")
    parent = comment_row(app, story.id, status=CommentStatus.APPROVED, text="The parent")
    troll = "troll@example.com"
    comment_row(app, story.id, status=CommentStatus.APPROVED, author_email=troll)
    comment_row(app, story.id, status=CommentStatus.REJECTED, author_email=troll)
    reply = comment_row(
        app,
        story.id,
        parent_id=parent,
        visitor="b" * 64,
        reports=1,
        spam_reasons=["links"],
        author_email="troll@example.com",
    )
    (item,) = api(client, app, "/api/v1/moderation/queues/pending")["comments"]
    assert item["id"] == reply
    assert item["article"] == {"key": "the-story", "title": "Budget"}
    assert item["parent"]["text"] == "The parent"
    assert [report["reason"] for report in item["reports"]] == ["abuse"]
    assert item["spam_reasons"] == ["links"]
    assert item["author_email"] == "troll@example.com"
    assert item["author_history"] == {"approved": 1, "pending": 1, "rejected": 1, "spam": 0}


def test_queues_page_by_id(app: Flask, client: FlaskClient) -> None:
    story = builders.article(app)
    made = [comment_row(app, story.id) for _ in range(3)]
    first = api(client, app, "/api/v1/moderation/queues/pending?limit=2")
    assert ids(first) == made[:2]
    rest = api(client, app, f"/api/v1/moderation/queues/pending?after={first['next_after']}")
    assert ids(rest) == made[2:] and rest["next_after"] is None


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "limit=x", "after=-1"])
def test_a_bad_page_parameter_is_400(app: Flask, client: FlaskClient, query: str) -> None:
    secret = builders.api_token(app)
    response = client.get(
        f"/api/v1/moderation/queues/pending?{query}",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 400


def test_an_unknown_queue_is_404(app: Flask, client: FlaskClient) -> None:
    secret = builders.api_token(app)
    response = client.get(
        "/api/v1/moderation/queues/later", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 404
    assert response.json["error"]["code"] == "unknown_queue"


def test_the_queue_page_lists_the_comments_with_their_actions(
    app: Flask, moderator: FlaskClient
) -> None:
    story = builders.article(app)
    made = comment_row(app, story.id, text="Please approve me", created_at=datetime.now(UTC))
    page = moderator.get("/moderation/queues/pending").get_data(as_text=True)
    assert "Please approve me" in page
    assert f'formaction="/moderation/comments/{made}/approve"' in page
    assert f'value="{made}"' in page


def test_guest_fields_are_escaped_on_every_moderation_page(
    app: Flask, moderator: FlaskClient
) -> None:
    story = builders.article(app, title=HOSTILE)
    parent = comment_row(app, story.id, status=CommentStatus.APPROVED, text=HOSTILE)
    made = comment_row(
        app,
        story.id,
        parent_id=parent,
        text=HOSTILE,
        author_name=HOSTILE,
        author_email='"><script>alert(2)</script>@example.com',
        author_website="javascript:alert(3)//<script>",
        spam_reasons=[HOSTILE],
        reports=3,
        created_at=datetime.now(UTC) - timedelta(minutes=1),
    )
    pages = [
        "/moderation/",
        "/moderation/queues/pending",
        "/moderation/queues/reported",
        f"/moderation/comments/{made}",
        "/moderation/articles",
    ]
    for path in pages:
        body = moderator.get(path).get_data(as_text=True)
        assert "<script>" not in body, path
        assert "<img" not in body, path
        assert 'href="javascript:' not in body, path
    queue = moderator.get("/moderation/queues/pending").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in queue


def queue_statements(app: Flask, client: FlaskClient, headers: dict[str, str]) -> int:
    with builders.recorded_statements(app) as statements:
        assert client.get("/api/v1/moderation/queues/reported", headers=headers).status_code == 200
    return len(statements)


def test_a_queue_page_takes_the_same_number_of_queries_whatever_its_size(
    app: Flask, client: FlaskClient
) -> None:
    story = builders.article(app)
    parent = comment_row(app, story.id, status=CommentStatus.APPROVED)
    headers = {"Authorization": f"Bearer {builders.api_token(app)}"}
    comment_row(app, story.id, parent_id=parent, visitor="a" * 64, reports=3)
    one = queue_statements(app, client, headers)
    for index in range(20):
        comment_row(app, story.id, parent_id=parent, visitor=f"{index:064d}", reports=3)
    assert queue_statements(app, client, headers) == one


def test_the_author_history_follows_the_email_when_given(app: Flask, client: FlaskClient) -> None:
    story = builders.article(app)
    comment_row(app, story.id, status=CommentStatus.SPAM, author_email="a@example.com")
    comment_row(app, story.id, status=CommentStatus.APPROVED, visitor="c" * 64)
    comment_row(app, story.id, author_email="a@example.com", visitor="c" * 64)
    comment_row(app, story.id, visitor="c" * 64)
    items = api(client, app, "/api/v1/moderation/queues/pending")["comments"]
    assert [item["author_history"] for item in items] == [
        {"approved": 0, "pending": 1, "rejected": 0, "spam": 1},
        {"approved": 1, "pending": 2, "rejected": 0, "spam": 0},
    ]
