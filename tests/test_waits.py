"""Waits are bounded: a database or Redis that hangs gives 503 (or the limiter's fallback) within
the configured timeouts, never a hang, and nothing acknowledged is lost when it comes back.

A hung dependency is a TCP proxy (``tests.tcp_proxy``) frozen with SIGSTOP: the kernel still
accepts its connections and acknowledges what is sent, but nothing is ever answered.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

import pytest
from flask import Flask
from sqlalchemy import func, make_url, select

from engagement import db as database
from engagement.models import Article, Comment
from tests import builders
from tests.conftest import (
    ALLOWED_ORIGIN,
    REDIS_URL,
    TEST_SECRET,
    committing,
    empty_tables,
    make_app,
    require,
)
from tests.tcp_proxy import Proxy

ROOT = Path(__file__).resolve().parents[1]
CONNECT, STATEMENT, POOL = 2, 1.0, 1.0
WAITS: dict[str, Any] = {
    "DATABASE_CONNECT_TIMEOUT": CONNECT,
    "DATABASE_STATEMENT_TIMEOUT": STATEMENT,
    "DATABASE_POOL_TIMEOUT": POOL,
}
# The longest one database access may wait: a free connection, the ping of a pooled connection
# that no longer answers, a new connection, then the statement. Plus slack for a busy machine.
BOUND = POOL + STATEMENT + CONNECT + STATEMENT
SLACK = 3.0
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"


def proxied(url: str, proxy: Proxy) -> str:
    return make_url(url).set(port=proxy.port).render_as_string(hide_password=False)


@pytest.fixture
def pg_proxy(postgres_url: str) -> Iterator[Proxy]:
    """A proxy in front of the test PostgreSQL, thawed and stopped at the end."""
    target = make_url(postgres_url)
    proxy = Proxy(target.host or "127.0.0.1", target.port or 5432)
    yield proxy
    proxy.stop()


@pytest.fixture
def direct(postgres_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app on the test PostgreSQL without the proxy: to set up, to look, to clean up."""
    app = make_app(postgres_url, tmp_path)
    builders.article(app)
    yield app
    empty_tables(app)


@pytest.fixture
def frozen_app(postgres_url: str, pg_proxy: Proxy, tmp_path: Path, direct: Flask) -> Flask:
    """The app with short waits on PostgreSQL through the proxy; it has served once."""
    app = make_app(proxied(postgres_url, pg_proxy), tmp_path, **WAITS)
    assert app.test_client().get("/api/v1/articles/the-story").status_code == 200
    return app


def timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


@pytest.mark.postgres
def test_a_frozen_database_answers_503_within_the_timeouts(
    frozen_app: Flask, pg_proxy: Proxy
) -> None:
    pg_proxy.freeze()
    response, waited = timed(lambda: frozen_app.test_client().get("/api/v1/articles/the-story"))
    assert response.status_code == 503
    assert response.json["error"]["code"] == "database_unavailable"
    assert response.headers["Retry-After"] == "5"
    assert waited < STATEMENT + CONNECT + SLACK


@pytest.mark.postgres
def test_a_view_on_a_frozen_database_answers_503_after_the_statement_timeout(
    frozen_app: Flask, pg_proxy: Proxy
) -> None:
    client = frozen_app.test_client()
    assert client.post("/api/v1/articles/the-story/views").status_code == 200  # pool warmed
    pg_proxy.freeze()
    response, waited = timed(lambda: client.post("/api/v1/articles/the-story/views"))
    assert response.status_code == 503
    assert waited < STATEMENT + SLACK  # not retried: a second try would wait as long again


@pytest.mark.postgres
def test_a_new_connection_to_a_frozen_database_gives_up_after_the_connect_timeout(
    postgres_url: str, pg_proxy: Proxy, tmp_path: Path, direct: Flask
) -> None:
    app = make_app(proxied(postgres_url, pg_proxy), tmp_path, **WAITS)
    pg_proxy.freeze()
    response, waited = timed(lambda: app.test_client().get("/api/v1/articles/the-story"))
    assert response.status_code == 503
    assert CONNECT - 0.5 < waited < CONNECT + SLACK


@pytest.mark.postgres
def test_readyz_answers_within_2_seconds_while_the_database_is_frozen(
    frozen_app: Flask, pg_proxy: Proxy
) -> None:
    pg_proxy.freeze()
    client = frozen_app.test_client()
    for _ in range(3):
        response, waited = timed(lambda: client.get("/readyz"))
        assert response.status_code == 503
        assert response.json["error"]["code"] == "database_unavailable"
        assert waited < 2


@pytest.mark.postgres
def test_the_service_answers_again_once_the_database_thaws(
    frozen_app: Flask, pg_proxy: Proxy
) -> None:
    client = frozen_app.test_client()
    pg_proxy.freeze()
    assert client.get("/api/v1/articles/the-story").status_code == 503
    pg_proxy.thaw()
    assert client.get("/api/v1/articles/the-story").status_code == 200
    assert client.post("/api/v1/articles/the-story/views").status_code == 200
    assert client.get("/readyz").status_code == 200


@pytest.fixture
def settings() -> dict[str, Any]:
    return {"DATABASE_POOL_TIMEOUT": 0.5}


@pytest.mark.commits  # the test holds every pooled connection of the app itself
def test_a_request_waits_for_a_pooled_connection_no_longer_than_the_pool_timeout(
    app: Flask,
) -> None:
    builders.article(app)
    engines = {database.engine_of(app), committing(app).extensions["engagement.raw_engine"]}
    held = [engine.connect() for engine in engines for _ in range(15)]  # every pool exhausted
    try:
        response, waited = timed(lambda: app.test_client().get("/api/v1/articles/the-story"))
    finally:
        for connection in held:
            connection.close()
    assert response.status_code == 503
    assert response.json["error"]["code"] == "database_unavailable"
    assert waited < 0.5 + SLACK


@pytest.mark.redis
def test_a_frozen_rate_limit_storage_holds_a_request_no_longer_than_its_timeout(
    tmp_path: Path, sqlite_url: str
) -> None:
    target = make_url(require(REDIS_URL, "ENGAGEMENT_TEST_REDIS_URL"))
    proxy = Proxy(target.host or "127.0.0.1", target.port or 6379)
    try:
        app = make_app(
            sqlite_url,
            tmp_path,
            RATELIMIT_ENABLED=True,
            RATELIMIT_STORAGE_URL=f"redis://127.0.0.1:{proxy.port}/{target.database or 0}",
            RATELIMIT_STORAGE_TIMEOUT=0.5,
        )
        builders.article(app)
        client = app.test_client()
        assert client.get("/api/v1/articles/the-story").status_code == 200
        proxy.freeze()
        response, waited = timed(lambda: client.get("/api/v1/articles/the-story"))
        assert response.status_code == 200  # counted per process meanwhile
        assert waited < 0.5 + SLACK
    finally:
        proxy.stop()
        empty_tables(app)


# --- the database freezes under load, behind a real server --------------------------------------

LOAD_SECONDS = 11.0
FREEZE_AT, THAW_AT = 2.0, 5.0
RECOVERED_AT = THAW_AT + 3.0
# Eight server threads and six clients share two busy cores with the rest of the machine.
LOAD_SLACK = 5.0
CLIENTS = 6


def _free_port() -> int:
    for port in range(8200, 8300):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 8200-8299")


@pytest.fixture
def gunicorn(postgres_url: str, pg_proxy: Proxy, tmp_path: Path, direct: Flask) -> Iterator[str]:
    """gunicorn (two workers of eight threads) on PostgreSQL through the proxy."""
    port = _free_port()
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ENGAGEMENT_")},
        "ENGAGEMENT_DATABASE_URL": proxied(postgres_url, pg_proxy),
        "ENGAGEMENT_SECRET_KEY": TEST_SECRET,
        "ENGAGEMENT_INSTANCE_PATH": str(tmp_path / "instance"),
        "ENGAGEMENT_ALLOWED_ORIGINS": ALLOWED_ORIGIN,
        "ENGAGEMENT_RATELIMIT_ENABLED": "0",
        "ENGAGEMENT_LOG_LEVEL": "error",
        **{f"ENGAGEMENT_{name}": str(value) for name, value in WAITS.items()},
    }
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        *("-w", "2", "-k", "gthread", "--threads", "8", "-b", f"127.0.0.1:{port}", "wsgi:app"),
    ]
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(command, cwd=ROOT, env=environ, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()
            try:
                with urlopen(f"{url}/readyz", timeout=2):
                    break
            except (URLError, OSError):
                assert time.monotonic() < deadline, "gunicorn did not become ready"
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@dataclass
class Answer:
    kind: str
    status: int
    waited: float
    sent_at: float
    body: dict[str, Any]


def _send(url: str, kind: str, number: int, started: float) -> Answer:
    browser = f"{FIREFOX} client/{number}"  # a visitor of its own: every view counts
    if kind == "view":
        request = Request(f"{url}/api/v1/articles/the-story/views", data=b"", method="POST")
    else:
        text = json.dumps({"text": f"Comment number {number} of the load."}).encode()
        request = Request(f"{url}/api/v1/articles/the-story/comments", data=text, method="POST")
        request.add_header("Content-Type", "application/json")
    request.add_header("User-Agent", browser)
    sent_at = time.monotonic()
    try:
        with urlopen(request, timeout=BOUND + 30) as response:
            status, body = response.status, json.loads(response.read())
    except HTTPError as refused:
        status, body = refused.code, json.loads(refused.read() or b"{}")
    return Answer(kind, status, time.monotonic() - sent_at, sent_at - started, body)


def _load(url: str, client: int, started: float, answers: list[Answer]) -> None:
    number = client
    while time.monotonic() - started < LOAD_SECONDS and number < 2000:
        kind = "comment" if number % 4 == 0 else "view"
        answers.append(_send(url, kind, number, started))
        number += CLIENTS
        # Paced, so the 2,000 requests span the whole window, the thaw and recovery included.
        time.sleep(0.04)


@pytest.mark.postgres
def test_a_database_frozen_mid_load_answers_every_request_in_bound_and_keeps_every_write(
    gunicorn: str, pg_proxy: Proxy, direct: Flask
) -> None:
    answers: list[Answer] = []
    started = time.monotonic()
    clients = [
        threading.Thread(target=_load, args=(gunicorn, client, started, answers))
        for client in range(CLIENTS)
    ]
    for thread in clients:
        thread.start()
    time.sleep(FREEZE_AT)
    pg_proxy.freeze()
    time.sleep(THAW_AT - FREEZE_AT)
    pg_proxy.thaw()
    for thread in clients:
        thread.join(timeout=LOAD_SECONDS + BOUND + 60)
    assert not any(thread.is_alive() for thread in clients)

    timeline = "\n".join(
        f"{a.sent_at:5.2f}s +{a.waited:4.2f}s {a.kind:7} {a.status}" for a in answers
    )
    assert {answer.status for answer in answers} <= {200, 201, 503}, timeline
    slowest = max(answer.waited for answer in answers)
    assert slowest < BOUND + LOAD_SLACK, f"a request waited {slowest:.1f} s\n{timeline}"
    assert any(a.status == 503 for a in answers), "the freeze was never felt"
    recovered = [a for a in answers if a.sent_at > RECOVERED_AT]
    assert recovered and all(a.status in (200, 201) for a in recovered), timeline

    counted = sum(1 for a in answers if a.kind == "view" and a.status == 200 and a.body["counted"])
    created = {a.body["comment"]["id"] for a in answers if a.kind == "comment" and a.status == 201}
    with direct.app_context():
        db = database.session()
        article = db.scalar(select(Article).where(Article.key == "the-story"))
        assert article is not None
        stored = set(db.scalars(select(Comment.id).where(Comment.article_id == article.id)))
        visible = db.scalar(
            select(func.count(Comment.id)).where(
                Comment.article_id == article.id, Comment.deleted_at.is_(None)
            )
        )
        # Acknowledged writes are all there. A write whose answer was lost to the freeze may
        # have reached the database too once it thawed, so there may be more, never fewer.
        assert created <= stored
        assert article.view_count >= counted
        assert article.comment_count == visible
