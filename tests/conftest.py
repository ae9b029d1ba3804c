"""Fixtures: the app on SQLite and on PostgreSQL, a test client, a live server.

Every test that takes ``app`` (or ``client``, ``db``, ``live_server``) runs once per database:
SQLite always, PostgreSQL when ``ENGAGEMENT_TEST_POSTGRES_URL`` is set. Without it those runs
are skipped with a loud reason, and with ``ENGAGEMENT_TEST_REQUIRE_SERVICES=1`` (as CI sets)
a missing or unreachable service fails the run instead.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from werkzeug.serving import BaseWSGIServer, make_server

from engagement import create_app
from engagement import db as database
from engagement.db import Base

POSTGRES_URL = os.environ.get("ENGAGEMENT_TEST_POSTGRES_URL", "")
REDIS_URL = os.environ.get("ENGAGEMENT_TEST_REDIS_URL", "")
REQUIRE_SERVICES = os.environ.get("ENGAGEMENT_TEST_REQUIRE_SERVICES") == "1"
TEST_SECRET = "test-secret-key-0123456789"
ALLOWED_ORIGIN = "https://magazine.example"


def require(url: str, variable: str) -> str:
    """The service URL, or a loud skip (a failure when services are required)."""
    if not url:
        message = f"{variable} is not set: this test needs that service"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    return url


def _reset_postgres(url: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    except Exception as exc:  # an unreachable server must fail loudly, never skip
        pytest.fail(f"PostgreSQL at {url} is not usable: {exc}")
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    database.upgrade(url)
    return url


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = require(POSTGRES_URL, "ENGAGEMENT_TEST_POSTGRES_URL")
    _reset_postgres(url)
    database.upgrade(url)
    return url


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def database_url(request: pytest.FixtureRequest) -> str:
    """A migrated database: SQLite, then PostgreSQL."""
    return str(request.getfixturevalue(f"{request.param}_url"))


def empty_tables(app: Flask) -> None:
    """Delete every row, and close the app's database connections."""
    engine = app.extensions["engagement.engine"]
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))
    engine.dispose()
    app.extensions["engagement.raw_engine"].dispose()


def make_app(database_url: str, tmp_path: Path, **overrides: Any) -> Flask:
    """An app on ``database_url`` with test settings; ``overrides`` change any setting."""
    settings: dict[str, Any] = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "AUTO_MIGRATE": False,
        "ALLOWED_ORIGINS": [ALLOWED_ORIGIN],
        "INSTANCE_PATH": str(tmp_path / "instance"),
        # Off unless a test is about rate limits: tests post faster than any reader would.
        "RATELIMIT_ENABLED": False,
    }
    settings.update(overrides)
    app = create_app(environ={}, **settings)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def settings() -> dict[str, Any]:
    """Setting overrides for this test's app; override this fixture (or mutate it first)."""
    return {}


@pytest.fixture
def app(database_url: str, tmp_path: Path, settings: dict[str, Any]) -> Iterator[Flask]:
    app = make_app(database_url, tmp_path, **settings)
    yield app
    empty_tables(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    """A session on the test database, outside any request."""
    with app.app_context():
        session = database.session()
        yield session
        session.rollback()


class LiveServer:
    def __init__(self, app: Flask) -> None:
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    """The app served over real HTTP by a threaded server on 127.0.0.1."""
    server = LiveServer(app).start()
    yield server
    server.stop()
