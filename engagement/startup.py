"""Start-up: the application with its settings and database checked, or one line and an exit.

Every way in (the WSGI module any server loads, every command) goes through ``app_or_exit``, so
a wrong setting, an unreachable database or an unsupported database URL is one line naming the
variable and its cause, never a traceback and never a server that keeps restarting its workers.
``findings`` is what ``engagement check`` reports.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, NoReturn

from flask import Flask
from sqlalchemy.exc import (
    ArgumentError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

from engagement import config, create_app
from engagement import db as database
from engagement.config import ConfigError, redact_url

log = logging.getLogger(__name__)

# Exit statuses. Commands exit 2 on a bad setting or database. The WSGI module exits 4, the
# status by which gunicorn's master learns that the application cannot load: it then stops
# (with that status) instead of starting new workers that would fail the same way.
EXIT_CONFIG = 2
EXIT_APP_LOAD = 4

# What a database that cannot be used raises, as opposed to a defect of the code.
DATABASE_ERRORS = (OperationalError, InterfaceError, ArgumentError, NoSuchModuleError, PoolTimeout)


class StartupError(Exception):
    """The service cannot start; the message is one line for the operator."""


def one_line(exc: BaseException) -> str:
    """The cause of ``exc`` on one line, without SQLAlchemy's background link."""
    cause = getattr(exc, "orig", None) or exc
    text = re.sub(r"\s+", " ", str(cause)).strip()
    return text or cause.__class__.__name__


def database_message(url: str, exc: BaseException) -> str:
    """``ENGAGEMENT_DATABASE_URL=<url without password>: <cause>``."""
    return f"ENGAGEMENT_DATABASE_URL={redact_url(url)}: cannot use the database: {one_line(exc)}"


def reach_database(app: Flask) -> str | None:
    """Connect once; the schema's problem, if any. ``StartupError`` when it cannot connect."""
    try:
        return database.schema_problem(database.engine_of(app))
    except DATABASE_ERRORS as exc:
        raise StartupError(database_message(app.config["DATABASE_URL"], exc)) from None


def load(environ: Mapping[str, str] | None = None, **overrides: Any) -> tuple[Flask, str | None]:
    """The application, its database reached, and what is wrong with its schema (None when it
    is at this version's revision); ``ConfigError`` or ``StartupError`` otherwise."""
    url = config.load(environ).get("DATABASE_URL", "")
    try:
        app = create_app(dict(environ) if environ is not None else None, **overrides)
    except DATABASE_ERRORS as exc:  # an automatic migration could not reach the database
        raise StartupError(database_message(url or "(default SQLite file)", exc)) from None
    return app, reach_database(app)


def app_or_exit(
    *, status: int = EXIT_CONFIG, schema: Literal["log", "print", "quiet"] = "log", **overrides: Any
) -> Flask:
    """The application, or one line on stderr and exit ``status``.

    A schema that is not at this version's revision is logged (``log``, the servers), printed
    as a warning (``print``, the commands) or left to the caller (``quiet``, the migrations).
    """
    for warning in config.unknown_variables():
        print(f"engagement: warning: {warning}", file=sys.stderr, flush=True)
    try:
        app, problem = load(**overrides)
    except ConfigError as exc:
        _exit(f"configuration error: {exc}", status)
    except StartupError as exc:
        _exit(str(exc), status)
    if problem is not None and schema == "log":
        log.warning(
            "%s: run `engagement db upgrade` (until then /readyz answers 503 schema_not_current)",
            problem,
        )
    elif problem is not None and schema == "print":
        print(f"engagement: warning: {problem}: run engagement db upgrade", file=sys.stderr)
    return app


def _exit(message: str, status: int) -> NoReturn:
    print(f"engagement: {message}", file=sys.stderr, flush=True)
    raise SystemExit(status)


# --- engagement check -------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One line of ``engagement check``: what was checked, whether it is fine, and how."""

    subject: str
    ok: bool
    detail: str


def findings(environ: Mapping[str, str] | None = None) -> list[Finding]:
    """Check the settings, the database, its schema and the rate-limit storage."""
    found = [Finding("settings", False, warning) for warning in config.unknown_variables(environ)]
    try:
        app = create_app(dict(environ) if environ is not None else None, AUTO_MIGRATE=False)
    except ConfigError as exc:
        return [*found, Finding("settings", False, str(exc))]
    if not found:
        found.append(Finding("settings", True, "every ENGAGEMENT_* variable is valid"))
    try:
        found += _database_findings(app, environ)
        found.append(_storage_finding(app))
    finally:
        database.engine_of(app).dispose()
        app.extensions["engagement.raw_engine"].dispose()
    return found


def _database_findings(app: Flask, environ: Mapping[str, str] | None) -> list[Finding]:
    url = app.config["DATABASE_URL"]
    try:
        problem = database.schema_problem(database.engine_of(app))
    except (*DATABASE_ERRORS, SQLAlchemyError) as exc:
        return [Finding("database", False, database_message(url, exc))]
    reached = Finding("database", True, f"{redact_url(url)} answers")
    if problem is None:
        return [reached, Finding("schema", True, f"at {database.head_revision()}")]
    auto = config.load(environ)["AUTO_MIGRATE"]
    if auto or (auto is None and url.startswith("sqlite")):
        return [reached, Finding("schema", True, f"{problem}; start-up upgrades it")]
    return [reached, Finding("schema", False, f"{problem}: run engagement db upgrade")]


def _storage_finding(app: Flask) -> Finding:
    url = app.config["RATELIMIT_STORAGE_URL"]
    if url.startswith("memory://"):
        return Finding("rate-limit storage", True, "memory:// (each process counts alone)")
    import redis

    timeout = app.config["RATELIMIT_STORAGE_TIMEOUT"]
    shown = f"ENGAGEMENT_RATELIMIT_STORAGE_URL={redact_url(url)}"
    try:
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        try:
            client.ping()
        finally:
            client.close()
    except (redis.RedisError, OSError, ValueError) as exc:
        return Finding("rate-limit storage", False, f"{shown}: does not answer: {one_line(exc)}")
    return Finding("rate-limit storage", True, f"{shown} answers")
