"""Settings: defaults plus ``ENGAGEMENT_*`` environment variables.

This package is the only reader of ``os.environ``. Every setting is declared once in
``SETTINGS`` (``table.py``) with its parser (``values.py``) and default; the README's
configuration table mirrors it.
A bad value raises ``ConfigError`` with a message naming the variable.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from engagement.config.table import SETTINGS, Setting
from engagement.config.values import DATABASE_SCHEMES

__all__ = ["DATABASE_SCHEMES", "SETTINGS", "ConfigError", "Setting"]

PREFIX = "ENGAGEMENT_"
# Variables with the prefix that are not settings: the test suite's own.
NOT_SETTINGS = ("ENGAGEMENT_TEST_",)


class ConfigError(Exception):
    """A setting has a value the service cannot run with."""


BY_NAME = {setting.name: setting for setting in SETTINGS}
BY_NAME_FULL = frozenset(PREFIX + setting.name for setting in SETTINGS)


def redact_url(url: str) -> str:
    """``url`` with its password, if any, replaced by ``***``: fit for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return re.sub(r"(//[^/:@]*:)[^/@]*@", r"\1***@", url)


def unknown_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """A warning for each ``ENGAGEMENT_*`` variable that is no setting, with the closest name."""
    source = os.environ if environ is None else environ
    warnings = []
    for name in sorted(source):
        if not name.startswith(PREFIX) or name in BY_NAME_FULL or name.startswith(NOT_SETTINGS):
            continue
        # Compared without the prefix, which every name shares and which would make any two
        # names look alike.
        close = difflib.get_close_matches(name.removeprefix(PREFIX), BY_NAME, n=1, cutoff=0.7)
        hint = f"did you mean {PREFIX}{close[0]}?" if close else "no setting has a name like it"
        warnings.append(f"{name} is not a setting of this version; {hint}")
    return warnings


# The server's own variables that say how many worker processes it runs (granian's, and the
# convention gunicorn and others follow).
WORKER_COUNT_VARIABLES = ("GRANIAN_WORKERS", "WEB_CONCURRENCY")


def declared_workers(environ: Mapping[str, str] | None = None) -> int:
    """How many worker processes the server says it runs (1 when it says nothing)."""
    source = os.environ if environ is None else environ
    for name in WORKER_COUNT_VARIABLES:
        raw = source.get(name, "").strip()
        if raw.isdigit():
            return int(raw)
    return 1


def metrics_directory(environ: Mapping[str, str] | None = None) -> str:
    """prometheus-client's multiprocess folder (``PROMETHEUS_MULTIPROC_DIR``, the library's own
    variable, which it reads when imported); empty when each process counts for itself."""
    source = os.environ if environ is None else environ
    return source.get("PROMETHEUS_MULTIPROC_DIR", "")


def load(environ: Mapping[str, str] | None = None, **overrides: Any) -> dict[str, Any]:
    """Read every setting from ``environ`` (default: ``os.environ``), then apply ``overrides``."""
    source = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = source.get(PREFIX + setting.name)
        if raw is None or raw == "":
            values[setting.name] = setting.default
            continue
        try:
            values[setting.name] = setting.parse(raw)
        except ValueError as exc:
            shown = redact_url(raw) if setting.name == "DATABASE_URL" else raw
            raise ConfigError(f"{PREFIX}{setting.name}={shown!r}: {exc}") from None
    for name, value in overrides.items():
        if name not in BY_NAME:
            raise ConfigError(f"unknown setting {name}")
        values[name] = value
    return values
