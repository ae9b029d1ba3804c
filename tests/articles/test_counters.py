from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from engagement.db import RawConnection
from tests import builders


def test_batch_returns_both_counters_per_key(app: Flask, client: FlaskClient) -> None:
    builders.article(app, "one")
    builders.article(app, "two")
    client.post("/api/v1/articles/one/views", headers={"User-Agent": "Mozilla/5.0 Firefox/130"})
    response = client.get("/api/v1/counters?keys=one,two")
    assert response.status_code == 200
    assert response.json == {
        "counters": {"one": {"comments": 0, "views": 1}, "two": {"comments": 0, "views": 0}}
    }


def test_unknown_keys_read_as_zero(client: FlaskClient) -> None:
    response = client.get("/api/v1/counters?keys=never-registered")
    assert response.json == {"counters": {"never-registered": {"comments": 0, "views": 0}}}


def test_batch_of_100_keys_is_one_query(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(10):
        builders.article(app, f"story-{i}")
    statements: list[str] = []
    engine = app.extensions["engagement.engine"]

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    # Statements through SQLAlchemy, and those sent to the driver directly.
    execute = RawConnection.execute

    def count_raw(self: RawConnection, sql: str, params: object = ()) -> object:
        statements.append(sql)
        return execute(self, sql, params)

    monkeypatch.setattr(RawConnection, "execute", count_raw)
    event.listen(engine, "before_cursor_execute", count)
    try:
        keys = ",".join(f"story-{i}" for i in range(100))
        response = client.get(f"/api/v1/counters?keys={keys}")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    assert len(response.json["counters"]) == 100
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1


def test_counters_are_cacheable(client: FlaskClient) -> None:
    response = client.get("/api/v1/counters?keys=a")
    assert "public" in response.headers["Cache-Control"]
    assert "max-age=10" in response.headers["Cache-Control"]
    assert response.headers["ETag"]


def test_unchanged_counters_answer_304(client: FlaskClient) -> None:
    first = client.get("/api/v1/counters?keys=a,b")
    again = client.get(
        "/api/v1/counters?keys=a,b", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304
    assert again.data == b""


def test_duplicate_keys_are_answered_once(client: FlaskClient) -> None:
    response = client.get("/api/v1/counters?keys=a,a,b")
    assert list(response.json["counters"]) == ["a", "b"]


def test_counters_do_not_vary_by_cookie(client: FlaskClient) -> None:
    """A CDN may serve one cached batch to every reader, whatever cookies they carry."""
    response = client.get("/api/v1/counters?keys=a")
    assert "Cookie" not in response.headers.get("Vary", "")
