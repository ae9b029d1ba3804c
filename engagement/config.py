"""Settings: defaults plus ``ENGAGEMENT_*`` environment variables.

This is the only module that reads ``os.environ``. Every setting is declared once in
``SETTINGS`` with its type and default; the README's configuration table mirrors it.
A bad value raises ``ConfigError`` with a message naming the variable.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from limits import parse_many

PREFIX = "ENGAGEMENT_"


class ConfigError(Exception):
    """A setting has a value the service cannot run with."""


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected true or false")


def _int(raw: str) -> int:
    value = int(raw.strip())
    if value < 0:
        raise ValueError("expected a whole number ≥ 0")
    return value


def _positive_int(raw: str) -> int:
    value = int(raw.strip())
    if value < 1:
        raise ValueError("expected a whole number ≥ 1")
    return value


def _list(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


def _origins(raw: str) -> list[str]:
    origins = [item.rstrip("/") for item in _list(raw)]
    for origin in origins:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise ValueError(f"{origin!r} is not an origin like https://example.com")
    return origins


def _choice(*choices: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}")
        return value

    return parse


def _str(raw: str) -> str:
    return raw.strip()


def _rate(raw: str) -> str:
    """A rate limit in the limits notation: ``5 per minute; 30 per hour``."""
    value = raw.strip()
    try:
        parse_many(value)
    except ValueError:
        raise ValueError("expected limits like '5 per minute; 30 per hour'") from None
    return value


def _storage_url(raw: str) -> str:
    value = raw.strip()
    if not value.startswith(("memory://", "redis://", "rediss://", "redis+unix://")):
        raise ValueError("expected memory:// or a redis:// URL")
    return value


@dataclass(frozen=True)
class Setting:
    name: str
    parse: Callable[[str], Any]
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("DEBUG", _bool, False, "Development mode: a generated secret key, detailed errors."),
    Setting(
        "DATABASE_URL",
        _str,
        "",
        "SQLAlchemy URL. Default: a SQLite file `engagement.sqlite3` in the instance folder.",
    ),
    Setting(
        "AUTO_MIGRATE",
        _bool,
        None,
        "Upgrade the schema at start-up. Default: on for SQLite, off otherwise.",
    ),
    Setting(
        "SECRET_KEY", _str, "", "Signs sessions and keys visitor hashes. Required unless DEBUG."
    ),
    Setting("ALLOWED_ORIGINS", _origins, [], "Comma list of origins allowed to call the API."),
    Setting("TRUSTED_PROXIES", _int, 0, "Number of proxies in front whose X-Forwarded-* to trust."),
    Setting("RATELIMIT_ENABLED", _bool, True, "Enforce the rate limits."),
    Setting(
        "RATELIMIT_STORAGE_URL",
        _storage_url,
        "memory://",
        "Where limits are counted: `memory://` (per process) or `redis://host:6379/0` (shared).",
    ),
    Setting(
        "RATELIMIT_FALLBACK",
        _choice("memory", "refuse"),
        "memory",
        "When the storage does not answer: `memory` counts per process (logged), "
        "`refuse` answers writes 503.",
    ),
    Setting("LIMIT_READS", _rate, "600 per minute", "Reads (GET) per client."),
    Setting("LIMIT_WRITES", _rate, "60 per minute", "Writes without a limit of their own."),
    Setting("LIMIT_VIEWS", _rate, "120 per minute", "Recorded views per client."),
    Setting(
        "LIMIT_COMMENTS",
        _rate,
        "5 per minute; 30 per hour; 100 per day",
        "New comments per client.",
    ),
    Setting("LIMIT_LOGIN", _rate, "10 per 15 minutes", "Moderator login attempts per client."),
    Setting(
        "SPAM_HONEYPOT",
        _bool,
        True,
        "A comment that fills the hidden body field `url` (the widget's trap for bots) is spam.",
    ),
    Setting("SPAM_MAX_LINKS", _int, 2, "A comment with more links than this is suspicious."),
    Setting(
        "SPAM_DUPLICATE_MINUTES",
        _int,
        60,
        "The same text posted again within this many minutes is suspicious (0: off).",
    ),
    Setting("SPAM_BLOCKLIST", _list, [], "Comma list of blocklisted words or phrases."),
    Setting(
        "SPAM_BLOCKLIST_FILE",
        _str,
        "",
        "A file of blocklisted words, one per line; `re:` starts a regular expression.",
    ),
    Setting("SPAM_PENDING_THRESHOLD", _positive_int, 3, "Score that holds a comment as pending."),
    Setting("SPAM_THRESHOLD", _positive_int, 10, "Score that files a comment as spam."),
    Setting(
        "BAN_RESPONSE",
        _choice("refuse", "shadow"),
        "refuse",
        "A banned poster gets 403 `banned` (`refuse`), or a normal answer while the comment "
        "goes to spam (`shadow`).",
    ),
    Setting(
        "VIEW_WINDOW_MINUTES", _positive_int, 30, "A visitor's repeat views count once per window."
    ),
    Setting(
        "VIEW_DURABILITY",
        _choice("relaxed", "strict"),
        "relaxed",
        "PostgreSQL: `relaxed` commits views without waiting for the WAL flush.",
    ),
    Setting(
        "MODERATION",
        _choice("post", "pre", "first-time"),
        "post",
        "Site default moderation mode; an article may override it.",
    ),
    Setting(
        "REPORT_THRESHOLD",
        _positive_int,
        3,
        "Open reports, from this many networks, that put a comment in the reported queue.",
    ),
    Setting(
        "QUEUE_REFRESH_SECONDS",
        _positive_int,
        20,
        "How often the moderation pages refresh their queue counts by themselves.",
    ),
    Setting(
        "REPORTED_VISIBLE",
        _bool,
        True,
        "Whether a comment in the reported queue stays in the thread until a moderator decides.",
    ),
    Setting(
        "LOGIN_MAX_FAILURES",
        _positive_int,
        5,
        "Consecutive failed moderator logins that lock the account.",
    ),
    Setting(
        "LOGIN_LOCKOUT_MINUTES", _positive_int, 15, "How long a locked moderator account waits."
    ),
    Setting(
        "MODERATION_SESSION_HOURS",
        _positive_int,
        12,
        "A moderator's login lasts this long without activity.",
    ),
    Setting(
        "CLOSE_AFTER_DAYS",
        _int,
        0,
        "Close a thread this many days after the article's publication (0: never).",
    ),
    Setting(
        "COMMENT_MAX_LENGTH",
        _positive_int,
        10000,
        "Most characters a comment's text may have (after Unicode normalization).",
    ),
    Setting(
        "COMMENT_MAX_DEPTH",
        _positive_int,
        5,
        "Levels of nesting a thread shows; deeper replies are shown at this depth.",
    ),
    Setting(
        "COMMENT_EDIT_WINDOW_MINUTES",
        _int,
        15,
        "Minutes during which a comment's author may edit or delete it (0: never).",
    ),
    Setting(
        "COMMENTS_PAGE_SIZE", _positive_int, 20, "Top-level comments per thread page by default."
    ),
    Setting(
        "COMMENTS_MAX_PAGE_SIZE",
        _positive_int,
        1000,
        "Most top-level comments one thread request may ask for (`limit`).",
    ),
    Setting(
        "THREAD_CACHE_MB",
        _int,
        64,
        "Megabytes of thread answers each process keeps in memory (0: no cache).",
    ),
    Setting(
        "COUNTERS_MAX_AGE", _int, 10, "Seconds the counters may be cached by browsers and CDNs."
    ),
    Setting(
        "COUNTERS_CACHE_SECONDS",
        _int,
        1,
        "Seconds each process answers the same batch of counters from memory (0: off); "
        "counters may be that much older, on top of COUNTERS_MAX_AGE.",
    ),
    Setting(
        "INSTANCE_PATH",
        _str,
        "",
        "Folder for the SQLite file and local state. Default: ./instance.",
    ),
    Setting("LOG_LEVEL", _choice("debug", "info", "warning", "error"), "info", "Log level."),
    Setting("DEMO", _bool, False, "Serve the demo article page at /demo/."),
)

BY_NAME = {setting.name: setting for setting in SETTINGS}


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
            raise ConfigError(f"{PREFIX}{setting.name}={raw!r}: {exc}") from None
    for name, value in overrides.items():
        if name not in BY_NAME:
            raise ConfigError(f"unknown setting {name}")
        values[name] = value
    return values
