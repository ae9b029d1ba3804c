"""Fixtures: the app on SQLite and on PostgreSQL, a test client, a live server.

Every test that takes ``app`` (or ``client``, ``db``, ``live_server``) runs once per database:
SQLite always, PostgreSQL when ``ENGAGEMENT_TEST_POSTGRES_URL`` is set. Without it those runs
are skipped with a loud reason, and with ``ENGAGEMENT_TEST_REQUIRE_SERVICES=1`` (as CI sets)
a missing or unreachable service fails the run instead.

Each test runs inside one database transaction, rolled back at its end: the app's sessions and
its hot-path statements each run in a savepoint of it (``db.joined``), so a route's commit is
real to the test and gone after it. The app itself is built once per database and settings and
handed to each test as it was built (its settings, and every extension made after start-up,
such as the answer caches, are put back after each test).

Tests marked ``commits`` get an app of their own whose work really commits, and the tables are
emptied after them: a live server (its threads share no connection with the test), concurrent
clients, other processes, a second app on the same database. Tests that take ``live_server``
are marked so automatically.
"""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, create_engine, text
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
    engine = committing(app).extensions["engagement.engine"]
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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "live_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.commits)


@dataclass
class KeptApp:
    """An app built once, and what it looked like then (see ``restore``)."""

    app: Flask
    config: dict[str, Any] = field(init=False)
    extensions: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.config = copy.deepcopy(dict(self.app.config))
        self.extensions = dict(self.app.extensions)

    def restore(self) -> None:
        """Put back the settings and the extensions the app had when it was built: a test
        may change a setting, and caches made on first use must not outlive the rows they
        describe (SQLite gives a rolled-back row's id to the next one)."""
        self.app.config.clear()
        self.app.config.update(copy.deepcopy(self.config))
        for name in set(self.app.extensions) - set(self.extensions):
            del self.app.extensions[name]
        self.app.extensions.update(self.extensions)


class KeptApps:
    """Apps kept across tests, one per database and settings; the few most recent only, since
    each holds its pools' connections."""

    SIZE = 6

    def __init__(self, instance_path: Path) -> None:
        self.instance_path = instance_path
        self.apps: dict[str, KeptApp] = {}

    def get(self, database_url: str, settings: dict[str, Any]) -> KeptApp:
        key = repr((database_url, sorted(settings.items())))
        kept = self.apps.pop(key, None)
        if kept is None:
            kept = KeptApp(make_app(database_url, self.instance_path, **settings))
        self.apps[key] = kept  # the most recently used last
        while len(self.apps) > self.SIZE:
            self.dispose(self.apps.pop(next(iter(self.apps))).app)
        return kept

    def close(self) -> None:
        for kept in self.apps.values():
            self.dispose(kept.app)
        self.apps.clear()

    @staticmethod
    def dispose(app: Flask) -> None:
        """Close the app's database connections."""
        database.engine_of(app).dispose()
        app.extensions["engagement.raw_engine"].dispose()


@pytest.fixture(scope="session")
def kept_apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeptApps]:
    apps = KeptApps(tmp_path_factory.mktemp("kept-apps"))
    yield apps
    apps.close()


def committing(app: Flask) -> Flask:
    """``app``, if its work really commits; a failure naming the fix if it is rolled back.

    For whatever reaches the app's database by another door than the app itself: the command
    line, another process, a second app on the same database.
    """
    if isinstance(app.extensions["engagement.raw_engine"], Connection):  # see ``db.joined``
        pytest.fail("this test's work is rolled back: mark it @pytest.mark.commits")
    return app


def commits(request: pytest.FixtureRequest) -> bool:
    """Whether the test's database work must really commit (it is marked ``commits``)."""
    return request.node.get_closest_marker("commits") is not None


@pytest.fixture
def app(
    request: pytest.FixtureRequest,
    database_url: str,
    tmp_path: Path,
    settings: dict[str, Any],
) -> Iterator[Flask]:
    """The app on the test's database: its work rolled back after the test, or, for a test
    marked ``commits``, an app of its own whose tables are emptied after it."""
    if commits(request):
        app = make_app(database_url, tmp_path, **settings)
        yield app
        empty_tables(app)
        return
    if settings.get("RATELIMIT_ENABLED"):
        # Rate limits count in the app's own storage: such an app is never handed on.
        app = make_app(database_url, tmp_path, **settings)
        with database.joined(app):
            yield app
        KeptApps.dispose(app)
        return
    kept = request.getfixturevalue("kept_apps").get(database_url, settings)
    try:
        with database.joined(kept.app):
            yield kept.app
    finally:
        kept.restore()


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
    """The app served over real HTTP by a threaded server on 127.0.0.1 (its work commits: the
    test is marked ``commits``)."""
    server = LiveServer(committing(app)).start()
    yield server
    server.stop()
