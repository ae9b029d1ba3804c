from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.request import Request, urlopen

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from engagement import db as database
from tests import builders
from tests.conftest import ALLOWED_ORIGIN, LiveServer, empty_tables, make_app

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0"


def view(client: FlaskClient, key: str = "the-story", **headers: str):  # type: ignore[no-untyped-def]
    headers.setdefault("User-Agent", BROWSER)
    return client.post(f"/api/v1/articles/{key}/views", headers=headers)


def test_first_view_counts_and_answers_both_counters(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    response = view(client)
    assert response.status_code == 200
    assert response.json == {"comments": 0, "views": 1, "counted": True}


def test_same_visitor_twice_in_the_window_counts_once(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    view(client)
    again = view(client)
    assert again.json == {"comments": 0, "views": 1, "counted": False}
    assert builders.counters(app, "the-story") == (0, 1)


def test_same_visitor_after_the_window_counts_again(app: Flask, client: FlaskClient) -> None:
    app.config["VIEW_WINDOW_MINUTES"] = 0
    builders.article(app)
    view(client)
    assert view(client).json["counted"] is True
    assert builders.counters(app, "the-story") == (0, 2)


def test_different_visitors_each_count(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    view(client, **{"User-Agent": BROWSER + " A"})
    view(client, **{"User-Agent": BROWSER + " B"})
    assert builders.counters(app, "the-story") == (0, 2)


def test_crawler_user_agent_counts_zero(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    response = view(client, **{"User-Agent": "Googlebot/2.1 (+http://www.google.com/bot.html)"})
    assert response.json == {"comments": 0, "views": 0, "counted": False}
    assert builders.counters(app, "the-story") == (0, 0)


def test_missing_user_agent_counts_zero(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    assert view(client, **{"User-Agent": ""}).json["counted"] is False


def test_prefetch_counts_zero(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    assert view(client, **{"Sec-Purpose": "prefetch"}).json["counted"] is False
    assert view(client, **{"Purpose": "prefetch"}).json["counted"] is False
    assert builders.counters(app, "the-story") == (0, 0)


def test_views_are_kept_per_day(app: Flask, client: FlaskClient) -> None:
    from engagement import db as database
    from engagement.models import DailyViews

    builders.article(app)
    view(client, **{"User-Agent": BROWSER + " A"})
    view(client, **{"User-Agent": BROWSER + " B"})
    with app.app_context():
        rows = database.session().query(DailyViews).all()
        assert [row.views for row in rows] == [2]


def test_no_address_or_user_agent_is_stored(app: Flask, client: FlaskClient) -> None:
    from engagement import db as database
    from engagement.models import ViewMark

    builders.article(app)
    view(client, **{"X-Forwarded-For": "203.0.113.9"})
    with app.app_context():
        (mark,) = database.session().query(ViewMark).all()
        assert "127.0.0.1" not in mark.visitor and "Mozilla" not in mark.visitor
        assert len(mark.visitor) == 32


def test_unknown_article_from_allowed_origin_is_registered(app: Flask, client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/articles/fresh-story/views",
        json={"title": "Fresh", "url": "https://magazine.example/fresh-story"},
        headers={"Origin": ALLOWED_ORIGIN, "User-Agent": BROWSER},
    )
    assert response.json == {"comments": 0, "views": 1, "counted": True}
    article = client.get("/api/v1/articles/fresh-story").json
    assert article["title"] == "Fresh"
    assert article["url"] == "https://magazine.example/fresh-story"


def test_unknown_article_from_other_origin_is_404_and_writes_nothing(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post(
        "/api/v1/articles/junk/views",
        headers={"Origin": "https://elsewhere.example", "User-Agent": BROWSER},
    )
    assert response.status_code == 404
    assert response.json["error"]["code"] == "article_not_found"
    assert client.get("/api/v1/articles/junk").status_code == 404


def test_unknown_article_without_origin_is_404(client: FlaskClient) -> None:
    response = view(client, key="nobody-registered-this")
    assert response.status_code == 404
    assert response.json["error"] == {
        "code": "article_not_found",
        "message": response.json["error"]["message"],
        "field": "key",
    }


def _post_view(url: str, user_agent: str) -> dict[str, object]:
    request = Request(url, method="POST", headers={"User-Agent": user_agent})
    with urlopen(request, timeout=30) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def test_concurrent_views_from_distinct_visitors_are_never_lost(
    app: Flask, live_server: LiveServer
) -> None:
    builders.article(app)
    n = 40
    url = f"{live_server.url}/api/v1/articles/the-story/views"
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda i: _post_view(url, f"{BROWSER} visitor-{i}"), range(n)))
    assert all(answer["counted"] for answer in answers)
    assert builders.counters(app, "the-story") == (0, n)
    assert sorted(answer["views"] for answer in answers) == list(range(1, n + 1))


def test_concurrent_views_from_one_visitor_count_once(app: Flask, live_server: LiveServer) -> None:
    builders.article(app)
    url = f"{live_server.url}/api/v1/articles/the-story/views"
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: _post_view(url, BROWSER), range(16)))
    assert sum(1 for answer in answers if answer["counted"]) == 1
    assert builders.counters(app, "the-story") == (0, 1)


@pytest.mark.parametrize("settings", [{"VIEW_DURABILITY": "strict"}])
def test_views_count_with_strict_durability(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    assert view(client).json == {"comments": 0, "views": 1, "counted": True}
    assert view(client).json["counted"] is False
    assert builders.counters(app, "the-story") == (0, 1)


@pytest.mark.postgres
def test_a_view_survives_the_database_dropping_its_connections(
    postgres_url: str, tmp_path: Path
) -> None:
    app = make_app(postgres_url, tmp_path)
    client = app.test_client()
    try:
        builders.article(app)
        assert view(client, **{"User-Agent": BROWSER + " A"}).json["counted"] is True
        # The server drops every connection of the service (a restart, an idle timeout).
        engine = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.begin() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        engine.dispose()
        assert view(client, **{"User-Agent": BROWSER + " B"}).json["counted"] is True
        assert builders.counters(app, "the-story") == (0, 2)
    finally:
        empty_tables(app)


@pytest.mark.postgres
@pytest.mark.parametrize(("durability", "views_commit"), [("relaxed", "off"), ("strict", "on")])
def test_only_relaxed_views_commit_without_waiting_for_the_wal_flush(
    postgres_url: str, tmp_path: Path, durability: str, views_commit: str
) -> None:
    app = make_app(postgres_url, tmp_path, VIEW_DURABILITY=durability)
    show = "SHOW synchronous_commit"
    try:
        with app.test_request_context():
            hot_path = database.raw(lambda conn: conn.execute(show).fetchone()[0], writes=False)
            other_writes = database.session().execute(text(show)).scalar()
    finally:
        empty_tables(app)
    assert hot_path == views_commit
    assert other_writes == "on"
