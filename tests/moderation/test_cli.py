"""Moderator accounts and API tokens from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from engagement import db as database
from engagement.models import Role
from engagement.moderation import accounts
from tests.conftest import committing
from tests.moderation.conftest import PASSWORD, log_in
from tests.test_cli import run

# Every test here: the command line is an app of its own, on its own connections.
pytestmark = pytest.mark.commits


def cli(app: Flask, tmp_path: Path, *args: str) -> tuple[int, str]:
    return run(tmp_path, *args, url=committing(app).config["DATABASE_URL"])


def test_create_moderator_makes_an_account_that_logs_in(app: Flask, tmp_path: Path) -> None:
    code, output = cli(app, tmp_path, "create-moderator", "mia", "--password", PASSWORD)
    assert code == 0, output
    assert "moderator mia created" in output
    assert log_in(app.test_client()).status_code == 303


def test_create_moderator_as_admin(app: Flask, tmp_path: Path) -> None:
    cli(app, tmp_path, "create-moderator", "ada", "--role", "admin", "--password", PASSWORD)
    with app.app_context():
        ada = accounts.by_username(database.session(), username="ada")
        assert ada is not None and ada.role is Role.ADMIN


def test_create_moderator_refuses_a_short_password(app: Flask, tmp_path: Path) -> None:
    code, output = cli(app, tmp_path, "create-moderator", "mia", "--password", "short")
    assert code == 1
    assert "10 to 200 characters" in output


def test_create_moderator_refuses_a_taken_username(app: Flask, tmp_path: Path) -> None:
    cli(app, tmp_path, "create-moderator", "mia", "--password", PASSWORD)
    code, output = cli(app, tmp_path, "create-moderator", "mia", "--password", PASSWORD)
    assert code == 1 and "taken" in output


def test_set_password_replaces_it_and_unlocks(app: Flask, tmp_path: Path) -> None:
    cli(app, tmp_path, "create-moderator", "mia", "--password", PASSWORD)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        log_in(app.test_client(), password="wrong password")
    code, output = cli(app, tmp_path, "set-password", "mia", "--password", "brand new secret")
    assert code == 0, output
    assert log_in(app.test_client(), password="brand new secret").status_code == 303


def test_set_role_and_list_moderators(app: Flask, tmp_path: Path) -> None:
    cli(app, tmp_path, "create-moderator", "mia", "--password", PASSWORD)
    code, output = cli(app, tmp_path, "set-role", "mia", "admin")
    assert code == 0, output
    code, output = cli(app, tmp_path, "list-moderators")
    assert output.split() == ["mia", "admin", "active"]


def test_disable_moderator_stops_logins(app: Flask, tmp_path: Path) -> None:
    cli(app, tmp_path, "create-moderator", "mia", "--password", PASSWORD)
    cli(app, tmp_path, "disable-moderator", "mia")
    assert log_in(app.test_client()).status_code == 401
    cli(app, tmp_path, "disable-moderator", "mia", "--enable")
    assert log_in(app.test_client()).status_code == 303


def test_unknown_moderator_is_an_error(app: Flask, tmp_path: Path) -> None:
    code, output = cli(app, tmp_path, "set-role", "nobody", "admin")
    assert code == 1 and "no moderator named 'nobody'" in output


def test_list_and_revoke_tokens(app: Flask, tmp_path: Path) -> None:
    cli(app, tmp_path, "create-token", "cms")
    code, output = cli(app, tmp_path, "list-tokens")
    token_id = output.split()[0]
    assert output.split()[1:2] == ["cms"] and output.strip().endswith("live")
    code, output = cli(app, tmp_path, "revoke-token", token_id)
    assert code == 0 and "revoked" in output
    code, output = cli(app, tmp_path, "list-tokens")
    assert "revoked" in output


@pytest.mark.parametrize("raw", ["\u0661", str(2**31), "1.0"])
def test_revoke_token_refuses_what_is_not_a_token_id(app: Flask, tmp_path: Path, raw: str) -> None:
    cli(app, tmp_path, "create-token", "cms")
    code, output = cli(app, tmp_path, "revoke-token", raw)
    assert code == 2
    assert "a whole number from 1 to 2147483647" in output
    assert cli(app, tmp_path, "list-tokens")[1].strip().endswith("live")
