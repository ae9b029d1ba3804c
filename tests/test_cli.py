"""The operators' commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import inspect

from engagement import db as database
from engagement.cli import main
from engagement.models import ApiToken
from tests.conftest import TEST_SECRET, committing

# The command line is an app of its own: what a test wrote must be there for it.
pytestmark = pytest.mark.commits


def run(tmp_path: Path, *args: str, url: str | None = None) -> tuple[int, str]:
    env = {
        "ENGAGEMENT_SECRET_KEY": TEST_SECRET,
        "ENGAGEMENT_INSTANCE_PATH": str(tmp_path / "instance"),
        "ENGAGEMENT_DATABASE_URL": url or f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "ENGAGEMENT_AUTO_MIGRATE": "false",
    }
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.output


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    code, output = run(tmp_path, "db", "upgrade")
    assert code == 0, output
    engine = database.make_engine(f"sqlite:///{tmp_path / 'cli.sqlite3'}", pooled=False)
    assert "articles" in inspect(engine).get_table_names()
    engine.dispose()


def test_create_token_prints_a_working_token_once(app: Flask, tmp_path: Path) -> None:
    code, output = run(tmp_path, "create-token", "cms", url=committing(app).config["DATABASE_URL"])
    assert code == 0, output
    secret = re.search(r"eng_\S+", output).group()  # type: ignore[union-attr]
    response = app.test_client().put(
        "/api/v1/articles/from-cli",
        json={"title": "Made with a CLI token"},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 201
    with app.app_context():
        stored = database.session().query(ApiToken).one()
        assert stored.name == "cms" and secret not in stored.token_hash


def test_create_token_prints_the_secret_alone_on_stdout_for_scripts(
    app: Flask, tmp_path: Path
) -> None:
    # TOKEN="$(engagement create-token cms)": stdout is the secret, the explanation is on stderr.
    env = {
        "ENGAGEMENT_SECRET_KEY": TEST_SECRET,
        "ENGAGEMENT_INSTANCE_PATH": str(tmp_path / "instance"),
        "ENGAGEMENT_DATABASE_URL": committing(app).config["DATABASE_URL"],
    }
    result = CliRunner().invoke(main, ["create-token", "cms"], env=env, catch_exceptions=False)
    assert result.exit_code == 0
    assert re.fullmatch(r"eng_[A-Za-z0-9_-]{43}\n", result.stdout)
    assert "only its hash is stored" in result.stderr


def test_a_token_from_the_command_line_may_register_articles_only_by_default(
    app: Flask, tmp_path: Path
) -> None:
    code, output = run(tmp_path, "create-token", "cms", url=committing(app).config["DATABASE_URL"])
    assert code == 0 and "(cms, articles)" in output
    secret = re.search(r"eng_\S+", output).group()  # type: ignore[union-attr]
    headers = {"Authorization": f"Bearer {secret}"}
    response = app.test_client().get("/api/v1/moderation/queues", headers=headers)
    assert response.status_code == 403


def test_create_token_gives_the_scopes_asked_for(app: Flask, tmp_path: Path) -> None:
    url = committing(app).config["DATABASE_URL"]
    args = ("create-token", "desk", "--scope", "moderation", "--scope", "articles")
    code, output = run(tmp_path, *args, url=url)
    assert code == 0 and "(desk, articles moderation)" in output
    secret = re.search(r"eng_\S+", output).group()  # type: ignore[union-attr]
    headers = {"Authorization": f"Bearer {secret}"}
    assert app.test_client().get("/api/v1/moderation/queues", headers=headers).status_code == 200


def test_create_token_with_an_unknown_scope_exits_2_and_creates_nothing(
    app: Flask, tmp_path: Path
) -> None:
    code, output = run(
        tmp_path,
        "create-token",
        "cms",
        "--scope",
        "all",
        url=committing(app).config["DATABASE_URL"],
    )
    assert code == 2 and "'all' is not one of 'articles', 'moderation', 'metrics'" in output
    with app.app_context():
        assert database.session().query(ApiToken).all() == []


def test_bad_setting_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["db", "upgrade"], env={"ENGAGEMENT_MODERATION": "never", "ENGAGEMENT_DEBUG": "1"}
    )
    assert result.exit_code == 2
    assert "ENGAGEMENT_MODERATION" in result.output
