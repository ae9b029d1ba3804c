"""Readiness: the process gets traffic only while its database answers and its schema is the
one this version's migrations build."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from engagement import db as database
from engagement.health import AliveOut, NotReadyOut, ReadyOut
from tests.conftest import TEST_SECRET, make_app

ROOT = Path(__file__).resolve().parents[1]
PROBE_SCHEMA = "readiness_probe"


def _postgres_schema(url: str, statement: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text(statement))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def unmigrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database no migration has run on: a new SQLite file, or an empty PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'new.sqlite3'}"
        return
    url = request.getfixturevalue("postgres_url")
    _postgres_schema(url, f"DROP SCHEMA IF EXISTS {PROBE_SCHEMA} CASCADE")
    _postgres_schema(url, f"CREATE SCHEMA {PROBE_SCHEMA}")
    yield f"{url}?options=-csearch_path%3D{PROBE_SCHEMA}"
    _postgres_schema(url, f"DROP SCHEMA {PROBE_SCHEMA} CASCADE")


def test_readyz_is_not_ready_while_the_database_has_no_schema(
    unmigrated_url: str, tmp_path: Path
) -> None:
    response = make_app(unmigrated_url, tmp_path).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["error"] == {
        "code": "schema_not_current",
        "message": f"The database has no schema yet; this version needs "
        f"{database.head_revision()}: run engagement db upgrade.",
        "field": None,
    }


def test_readyz_is_not_ready_while_the_schema_is_behind_the_migrations(
    unmigrated_url: str, tmp_path: Path
) -> None:
    database.upgrade(unmigrated_url, "0005")
    response = make_app(unmigrated_url, tmp_path).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["error"]["message"] == (
        f"The schema is at 0005; this version needs {database.head_revision()}: "
        "run engagement db upgrade."
    )


def test_readyz_is_ready_once_the_schema_is_upgraded(unmigrated_url: str, tmp_path: Path) -> None:
    app = make_app(unmigrated_url, tmp_path)
    assert app.test_client().get("/readyz").status_code == 503
    database.upgrade(unmigrated_url)
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready"}


def test_the_health_answers_have_their_documented_shapes(
    unmigrated_url: str, tmp_path: Path
) -> None:
    client = make_app(unmigrated_url, tmp_path).test_client()
    AliveOut.model_validate(client.get("/healthz").json)
    NotReadyOut.model_validate(client.get("/readyz").json)
    database.upgrade(unmigrated_url)
    ReadyOut.model_validate(client.get("/readyz").json)
    described = client.get("/api/openapi.json").json["paths"]["/readyz"]["get"]["responses"]
    assert described["503"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/NotReadyOut"
    }


def test_start_up_logs_a_schema_behind_the_migrations(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    database.upgrade(url, "0005")
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ENGAGEMENT_")},
        "ENGAGEMENT_DATABASE_URL": url,
        "ENGAGEMENT_AUTO_MIGRATE": "0",
        "ENGAGEMENT_SECRET_KEY": TEST_SECRET,
        "ENGAGEMENT_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert (
        f"the schema is at 0005; this version needs {database.head_revision()}: run "
        "`engagement db upgrade` (until then /readyz answers 503 schema_not_current)"
    ) in result.stderr
