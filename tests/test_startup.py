"""Operators get messages, not tracebacks: start-up, every command, and ``engagement check``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from importlib.metadata import version
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.exc import OperationalError

from engagement import config
from engagement import db as database
from engagement.cli import main
from engagement.config import ConfigError
from engagement.pageviews import service as pageviews
from tests.conftest import REDIS_URL, TEST_SECRET, require

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
UNREACHABLE = "postgresql://nobody:hunter2-secret@127.0.0.1:9/nowhere"


def clean_environ(**variables: str) -> dict[str, str]:
    """The process environment without any ENGAGEMENT_* variable, plus ``variables``."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGEMENT_")}
    return {**kept, **{f"ENGAGEMENT_{name}": value for name, value in variables.items()}}


def run(
    command: list[str], cwd: Path, environ: Mapping[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=dict(environ), capture_output=True, text=True, timeout=timeout
    )


def engagement(tmp_path: Path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """The ``engagement`` command as an operator runs it, in ``tmp_path``."""
    return run([str(BIN / "engagement"), *args], tmp_path, clean_environ(**variables))


# --- --help and --version -----------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--help", "--version"])
def test_help_and_version_need_no_settings_and_create_no_files(tmp_path: Path, option: str) -> None:
    result = engagement(tmp_path, option)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert list(tmp_path.iterdir()) == []


def test_version_is_the_packages_version(tmp_path: Path) -> None:
    assert engagement(tmp_path, "--version").stdout.strip() == (
        f"engagement, version {version('engagement')}"
    )


def test_help_lists_the_check_command(tmp_path: Path) -> None:
    assert "check " in engagement(tmp_path, "--help").stdout


# --- a bad setting ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "cause"),
    [
        ("not a url", "not a database URL"),
        ("mysql://db.internal/engagement", "unsupported database 'mysql'"),
        ("postgresql+psycopg2://db.internal/engagement", "unsupported database"),
    ],
)
def test_a_malformed_or_unsupported_database_url_is_refused_with_its_name(
    url: str, cause: str
) -> None:
    with pytest.raises(ConfigError, match=f"ENGAGEMENT_DATABASE_URL=.*{cause}"):
        config.load({"ENGAGEMENT_DATABASE_URL": url})


def test_a_refused_database_url_never_shows_its_password() -> None:
    with pytest.raises(ConfigError) as refused:
        config.load({"ENGAGEMENT_DATABASE_URL": "mysql://ada:hunter2-secret@db/engagement"})
    assert "hunter2-secret" not in str(refused.value)
    assert "ada:***@db" in str(refused.value)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_CONNECT_TIMEOUT", "1"),
        ("DATABASE_STATEMENT_TIMEOUT", "0"),
        ("DATABASE_POOL_TIMEOUT", "soon"),
        ("RATELIMIT_STORAGE_TIMEOUT", "-1"),
    ],
)
def test_a_wait_that_is_not_a_bound_is_refused_with_its_name(variable: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"ENGAGEMENT_{variable}"):
        config.load({f"ENGAGEMENT_{variable}": value})


def test_a_misspelt_variable_is_reported_with_the_closest_name() -> None:
    warnings = config.unknown_variables(
        {"ENGAGEMENT_DATABSE_URL": "sqlite://", "ENGAGEMENT_DEBUG": "1"}
    )
    assert warnings == [
        "ENGAGEMENT_DATABSE_URL is not a setting of this version; "
        "did you mean ENGAGEMENT_DATABASE_URL?"
    ]


def test_an_unknown_variable_like_no_setting_is_reported_as_such() -> None:
    assert config.unknown_variables({"ENGAGEMENT_XYZZY": "1"}) == [
        "ENGAGEMENT_XYZZY is not a setting of this version; no setting has a name like it"
    ]


def test_the_test_suites_own_variables_are_not_reported() -> None:
    assert config.unknown_variables({"ENGAGEMENT_TEST_POSTGRES_URL": "postgresql://x"}) == []


def test_a_misspelt_variable_is_reported_at_start_up(tmp_path: Path) -> None:
    environ = clean_environ(
        SECRET_KEY=TEST_SECRET,
        INSTANCE_PATH=str(tmp_path / "instance"),
        ALLOWED_ORIGIN="https://magazine.example",
    )
    result = run([sys.executable, "-c", "import wsgi"], ROOT, environ)
    assert result.returncode == 0, result.stderr
    assert "did you mean ENGAGEMENT_ALLOWED_ORIGINS?" in result.stderr


def test_a_bad_setting_at_start_up_is_one_line_naming_it(tmp_path: Path) -> None:
    environ = clean_environ(
        TRUSTED_PROXIES="-1", SECRET_KEY=TEST_SECRET, INSTANCE_PATH=str(tmp_path / "instance")
    )
    result = run([sys.executable, "-c", "import wsgi"], ROOT, environ)
    assert result.returncode == 4
    assert result.stderr.splitlines() == [
        "engagement: configuration error: ENGAGEMENT_TRUSTED_PROXIES='-1': "
        "expected a whole number ≥ 0"
    ]


def _gunicorn(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    """gunicorn with two workers on a free port; it must stop by itself within the timeout."""
    command = [str(BIN / "gunicorn"), "-w", "2", "-b", "127.0.0.1:0", "wsgi:app"]
    environ = clean_environ(INSTANCE_PATH=str(tmp_path / "instance"), **variables)
    return run(command, ROOT, environ, timeout=60)


def assert_gunicorn_stopped_for_good(result: subprocess.CompletedProcess[str]) -> None:
    """gunicorn's master stopped because the app failed to load, and never printed our traceback.

    "App failed to load" (exit 4) stops the master. When both workers fail at once, gunicorn
    sometimes raises that same HaltServer out of its own shutdown and exits 1 with its own
    traceback: a race inside gunicorn; either way the master stops for good, at once.
    """
    assert result.returncode in (1, 4), result.stderr
    assert "App failed to load" in result.stderr
    for traceback in result.stderr.split("Traceback (most recent call last):")[1:]:
        assert "HaltServer" in traceback and str(ROOT / "engagement") not in traceback


def test_a_bad_setting_stops_gunicorn_for_good_with_one_line_naming_it(tmp_path: Path) -> None:
    started = time.monotonic()
    result = _gunicorn(tmp_path, SECRET_KEY=TEST_SECRET, MODERATION="sometimes")
    assert time.monotonic() - started < 30
    assert_gunicorn_stopped_for_good(result)
    named = [line for line in result.stderr.splitlines() if "ENGAGEMENT_MODERATION" in line]
    assert 1 <= len(named) <= 2  # once per worker booted, never respawned
    assert named[0] == (
        "engagement: configuration error: ENGAGEMENT_MODERATION='sometimes': "
        "expected one of post, pre, first-time"
    )


def test_an_unreachable_database_stops_gunicorn_with_one_line_naming_the_url(
    tmp_path: Path,
) -> None:
    result = _gunicorn(tmp_path, SECRET_KEY=TEST_SECRET, DATABASE_URL=UNREACHABLE)
    assert_gunicorn_stopped_for_good(result)
    named = [line for line in result.stderr.splitlines() if "ENGAGEMENT_DATABASE_URL" in line]
    # One line per worker that tried to load the app before gunicorn stopped, all the same.
    assert len(named) >= 1 and len(set(named)) == 1
    assert named[0].startswith(
        "engagement: ENGAGEMENT_DATABASE_URL=postgresql://nobody:***@127.0.0.1:9/nowhere: "
        "cannot use the database: connection failed"
    )
    assert "hunter2-secret" not in result.stderr


# --- every command ------------------------------------------------------------------------------

COMMANDS = [
    ["db", "upgrade"],
    ["create-token", "cms"],
    ["revoke-token", "1"],
    ["list-tokens"],
    ["create-moderator", "ada", "--password", "a long enough password"],
    ["set-role", "ada", "admin"],
    ["disable-moderator", "ada"],
    ["unlock-moderator", "ada"],
    ["list-moderators"],
    ["prune-views"],
    ["export", "--output", "everything.json"],
    ["commenter", "erase", "reader@example.com"],
]


@pytest.mark.parametrize(
    ("url", "cause"),
    [
        (UNREACHABLE, "cannot use the database: connection failed"),
        ("sqlite:////nonexistent/folder/engagement.sqlite3", "unable to open database file"),
        ("oracle://db.internal/engagement", "unsupported database 'oracle'"),
        ("nonsense", "not a database URL"),
    ],
)
@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command[0])
def test_every_command_answers_a_database_it_cannot_use_with_one_line_and_status_2(
    tmp_path: Path, command: list[str], url: str, cause: str
) -> None:
    environ = {
        "ENGAGEMENT_SECRET_KEY": TEST_SECRET,
        "ENGAGEMENT_INSTANCE_PATH": str(tmp_path / "instance"),
        "ENGAGEMENT_DATABASE_URL": url,
        "ENGAGEMENT_AUTO_MIGRATE": "false",
    }
    result = CliRunner().invoke(main, command, env=environ)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("engagement: ") and "ENGAGEMENT_DATABASE_URL" in line and cause in line
    assert "hunter2-secret" not in line


def test_a_command_in_a_real_process_names_an_unreachable_database_and_exits_2(
    tmp_path: Path,
) -> None:
    result = engagement(tmp_path, "list-tokens", SECRET_KEY=TEST_SECRET, DATABASE_URL=UNREACHABLE)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert "ENGAGEMENT_DATABASE_URL=postgresql://nobody:***@127.0.0.1:9/nowhere" in result.stderr


# --- engagement check ---------------------------------------------------------------------------


def check(tmp_path: Path, **variables: str) -> tuple[int, list[str]]:
    environ = {"ENGAGEMENT_INSTANCE_PATH": str(tmp_path / "instance")}
    environ.update({f"ENGAGEMENT_{name}": value for name, value in variables.items()})
    result = CliRunner().invoke(main, ["check"], env=environ)
    assert result.stderr == "", result.stderr
    return result.exit_code, result.stdout.splitlines()


def test_check_in_a_real_process_exits_0_when_all_is_well(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    database.upgrade(url)
    result = engagement(tmp_path, "check", SECRET_KEY=TEST_SECRET, DATABASE_URL=url)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_passes_when_settings_database_schema_and_storage_are_fine(
    tmp_path: Path, database_url: str
) -> None:
    code, lines = check(tmp_path, SECRET_KEY=TEST_SECRET, DATABASE_URL=database_url)
    assert code == 0, lines
    assert [line.split(":")[0] for line in lines] == [
        "ok      settings",
        "ok      database",
        "ok      schema",
        "ok      rate-limit storage",
    ]
    assert lines[2] == f"ok      schema: at {database.head_revision()}"


def test_check_reports_a_schema_behind_the_migrations(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    database.upgrade(url, "0005")
    code, lines = check(tmp_path, SECRET_KEY=TEST_SECRET, DATABASE_URL=url, AUTO_MIGRATE="0")
    assert code == 2
    assert (
        f"PROBLEM schema: the schema is at 0005; this version needs {database.head_revision()}: "
        "run engagement db upgrade"
    ) in lines


def test_check_reports_an_unreachable_database(tmp_path: Path) -> None:
    code, lines = check(tmp_path, SECRET_KEY=TEST_SECRET, DATABASE_URL=UNREACHABLE)
    assert code == 2
    assert lines[1].startswith(
        "PROBLEM database: ENGAGEMENT_DATABASE_URL=postgresql://nobody:***@127.0.0.1:9/nowhere"
    )


def test_check_reports_a_rate_limit_storage_that_does_not_answer(tmp_path: Path) -> None:
    code, lines = check(
        tmp_path,
        SECRET_KEY=TEST_SECRET,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        RATELIMIT_STORAGE_URL="redis://127.0.0.1:9/0",
    )
    assert code == 2
    assert lines[-1].startswith(
        "PROBLEM rate-limit storage: ENGAGEMENT_RATELIMIT_STORAGE_URL=redis://127.0.0.1:9/0: "
        "does not answer"
    )


@pytest.mark.redis
def test_check_passes_with_a_redis_that_answers(tmp_path: Path) -> None:
    redis_url = require(REDIS_URL, "ENGAGEMENT_TEST_REDIS_URL")
    code, lines = check(
        tmp_path,
        SECRET_KEY=TEST_SECRET,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        RATELIMIT_STORAGE_URL=redis_url,
    )
    assert code == 0, lines
    assert lines[-1].endswith("answers")


def test_check_reports_a_bad_setting_and_a_misspelt_one(tmp_path: Path) -> None:
    code, lines = check(tmp_path, SECRET_KEY=TEST_SECRET, MODERATON="pre", MODERATION="never")
    assert code == 2
    assert lines == [
        "PROBLEM settings: ENGAGEMENT_MODERATON is not a setting of this version; "
        "did you mean ENGAGEMENT_MODERATION?",
        "PROBLEM settings: ENGAGEMENT_MODERATION='never': expected one of post, pre, first-time",
    ]


def test_a_database_that_fails_during_a_command_is_one_line_and_status_2(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def lost(*_: object, **__: object) -> int:
        raise OperationalError("DELETE FROM view_marks", {}, Exception("server closed the link"))

    monkeypatch.setattr(pageviews, "prune_marks", lost)
    environ = {"ENGAGEMENT_SECRET_KEY": TEST_SECRET, "ENGAGEMENT_DATABASE_URL": sqlite_url}
    result = CliRunner().invoke(main, ["prune-views"], env=environ)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"engagement: ENGAGEMENT_DATABASE_URL={sqlite_url}: cannot use the database: "
        "server closed the link"
    ]


def test_a_command_on_a_schema_behind_the_migrations_says_to_upgrade_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    database.upgrade(url, "0005")
    environ = {
        "ENGAGEMENT_SECRET_KEY": TEST_SECRET,
        "ENGAGEMENT_DATABASE_URL": url,
        "ENGAGEMENT_AUTO_MIGRATE": "0",
        "ENGAGEMENT_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    result = CliRunner().invoke(main, ["list-moderators"], env=environ)
    assert "the schema is at 0005" in result.stderr
    assert "run engagement db upgrade" in result.stderr
    upgrade = CliRunner().invoke(main, ["db", "upgrade"], env=environ)
    assert upgrade.exit_code == 0 and upgrade.stderr == ""
