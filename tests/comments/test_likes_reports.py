"""Likes (one per visitor) and reports (one per visitor, with a reason)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engagement import db as database
from engagement.models import CommentStatus, Report
from tests import builders

READER_A = {"User-Agent": "Mozilla/5.0 reader A"}
READER_B = {"User-Agent": "Mozilla/5.0 reader B"}


def likes_shown(client: FlaskClient) -> int:
    (comment,) = client.get("/api/v1/articles/the-story/comments").json["comments"]
    return int(comment["likes"])


def test_like_counts_once_per_visitor(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    comment_id, _ = builders.comment(app)
    url = f"/api/v1/comments/{comment_id}/likes"
    assert client.post(url, headers=READER_A).json == {"likes": 1, "liked": True}
    assert client.post(url, headers=READER_A).json == {"likes": 1, "liked": False}
    assert client.post(url, headers=READER_B).json == {"likes": 2, "liked": True}
    assert likes_shown(client) == 2


def test_second_like_changes_nothing(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    comment_id, _ = builders.comment(app)
    url = f"/api/v1/comments/{comment_id}/likes"
    client.post(url)
    etag = client.get("/api/v1/articles/the-story/comments").headers["ETag"]
    client.post(url)
    again = client.get("/api/v1/articles/the-story/comments", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_like_of_a_hidden_comment_is_404(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    comment_id, _ = builders.comment(app, status=CommentStatus.PENDING)
    response = client.post(f"/api/v1/comments/{comment_id}/likes")
    assert response.status_code == 404


def test_like_with_a_form_body_is_415(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    comment_id, _ = builders.comment(app)
    response = client.post(f"/api/v1/comments/{comment_id}/likes", data={"x": "1"})
    assert response.status_code == 415
    assert likes_shown(client) == 0


@pytest.mark.parametrize("reason", ["spam", "abuse", "off-topic", "other"])
def test_report_is_stored_with_its_reason(app: Flask, client: FlaskClient, reason: str) -> None:
    builders.article(app)
    comment_id, _ = builders.comment(app)
    response = client.post(
        f"/api/v1/comments/{comment_id}/reports", json={"reason": reason, "note": "see  this"}
    )
    assert response.status_code == 201
    assert response.json == {"reported": True}
    with app.app_context():
        (report,) = database.session().query(Report).all()
        assert (report.comment_id, report.reason.value, report.note) == (
            comment_id,
            reason,
            "see this",
        )


def test_report_counts_once_per_visitor(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    comment_id, _ = builders.comment(app)
    url = f"/api/v1/comments/{comment_id}/reports"
    assert client.post(url, json={"reason": "spam"}, headers=READER_A).status_code == 201
    assert client.post(url, json={"reason": "abuse"}, headers=READER_A).status_code == 200
    assert client.post(url, json={"reason": "spam"}, headers=READER_B).status_code == 201
    with app.app_context():
        reasons = sorted(r.reason.value for r in database.session().query(Report).all())
        assert reasons == ["spam", "spam"]


@pytest.mark.parametrize(
    "body", [{}, {"reason": "boring"}, {"reason": 1}, {"reason": "spam", "note": "x" * 501}]
)
def test_bad_report_is_400_and_stores_nothing(
    app: Flask, client: FlaskClient, body: dict[str, object]
) -> None:
    builders.article(app)
    comment_id, _ = builders.comment(app)
    response = client.post(f"/api/v1/comments/{comment_id}/reports", json=body)
    assert response.status_code == 400
    with app.app_context():
        assert database.session().query(Report).count() == 0


def thread_ids(client: FlaskClient) -> list[int]:
    return [c["id"] for c in client.get("/api/v1/articles/the-story/comments").json["comments"]]


def report_from(client: FlaskClient, comment_id: int, address: str, agent: str) -> int:
    response = client.post(
        f"/api/v1/comments/{comment_id}/reports",
        json={"reason": "abuse"},
        headers={"User-Agent": agent},
        environ_base={"REMOTE_ADDR": address},
    )
    return response.status_code


@pytest.mark.parametrize("settings", [{"REPORTED_VISIBLE": False, "REPORT_THRESHOLD": 3}])
def test_one_address_under_many_user_agents_counts_once_toward_the_threshold(
    app: Flask, client: FlaskClient
) -> None:
    builders.article(app)
    comment_id, _ = builders.comment(app)
    for agent in ("Firefox", "Chrome", "Safari", "Edge"):
        assert report_from(client, comment_id, "198.51.100.7", f"Mozilla/5.0 {agent}") == 201
    assert thread_ids(client) == [comment_id]


@pytest.mark.parametrize("settings", [{"REPORTED_VISIBLE": False, "REPORT_THRESHOLD": 3}])
def test_one_ipv6_network_counts_once_toward_the_threshold(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    comment_id, _ = builders.comment(app)
    for host in ("1", "2", "3"):
        assert report_from(client, comment_id, f"2001:db8:5:6::{host}", "Mozilla/5.0") == 201
    assert thread_ids(client) == [comment_id]


@pytest.mark.parametrize("settings", [{"REPORTED_VISIBLE": False, "REPORT_THRESHOLD": 3}])
def test_reports_from_three_addresses_hold_the_comment(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    comment_id, _ = builders.comment(app)
    for address in ("198.51.100.7", "198.51.100.8", "203.0.113.9"):
        assert report_from(client, comment_id, address, "Mozilla/5.0") == 201
    assert thread_ids(client) == []


def test_a_like_taken_back_lowers_the_count_once(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    comment_id, _ = builders.comment(app)
    url = f"/api/v1/comments/{comment_id}/likes"
    client.post(url, headers=READER_A)
    client.post(url, headers=READER_B)
    assert client.delete(url, headers=READER_A).json == {"likes": 1, "liked": False}
    assert client.delete(url, headers=READER_A).json == {"likes": 1, "liked": False}
    assert likes_shown(client) == 1


def test_taking_back_a_like_never_given_changes_nothing(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    comment_id, _ = builders.comment(app)
    url = f"/api/v1/comments/{comment_id}/likes"
    client.post(url, headers=READER_A)
    assert client.delete(url, headers=READER_B).json == {"likes": 1, "liked": False}
    assert likes_shown(client) == 1


def test_a_like_taken_back_can_be_given_again(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    comment_id, _ = builders.comment(app)
    url = f"/api/v1/comments/{comment_id}/likes"
    client.post(url, headers=READER_A)
    client.delete(url, headers=READER_A)
    assert client.post(url, headers=READER_A).json == {"likes": 1, "liked": True}


def test_taking_back_a_like_of_a_hidden_comment_is_404(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    comment_id, _ = builders.comment(app, status=CommentStatus.PENDING)
    assert client.delete(f"/api/v1/comments/{comment_id}/likes").status_code == 404
