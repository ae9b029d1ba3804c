"""Settings: defaults plus ``ENGAGEMENT_*`` environment variables.

This is the only module that reads ``os.environ``. Every setting is declared once in
``SETTINGS`` with its type and default; the README's configuration table mirrors it.
A bad value raises ``ConfigError`` with a message naming the variable.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from limits import parse_many
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

PREFIX = "ENGAGEMENT_"
# Variables with the prefix that are not settings: the test suite's own.
NOT_SETTINGS = ("ENGAGEMENT_TEST_",)
# The databases the service speaks to, by URL scheme (``sqlite://``, ``postgresql+psycopg://``).
DATABASE_SCHEMES = frozenset({"sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg"})


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


def _seconds(raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise ValueError("expected a number of seconds, like 5 or 0.5") from None
    if not 0 < value <= 3600:
        raise ValueError("expected a number of seconds above 0 and at most 3600")
    return value


def _connect_seconds(raw: str) -> int:
    value = _int(raw)
    if value < 2:
        raise ValueError("expected whole seconds ≥ 2 (the PostgreSQL client's shortest wait)")
    return value


def _database_url(raw: str) -> str:
    value = raw.strip()
    try:
        url = make_url(value)
    except ArgumentError:
        raise ValueError(
            "not a database URL; expected sqlite:///path/to/file or postgresql://user@host/db"
        ) from None
    if url.drivername not in DATABASE_SCHEMES:
        raise ValueError(
            f"unsupported database {url.drivername!r}; expected sqlite:/// or postgresql://"
        )
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


def _web_url(raw: str) -> str:
    value = raw.strip()
    if value and not value.startswith(("http://", "https://")):
        raise ValueError("expected an http:// or https:// URL")
    return value


def _seconds_up_to(limit: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        value = _int(raw)
        if value > limit:
            raise ValueError(f"expected at most {limit} seconds")
        return value

    return parse


def _networks(raw: str) -> list[str]:
    """Comma list of networks in CIDR notation: ``127.0.0.0/8, ::1/128``."""
    networks = _list(raw)
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ValueError(f"{network!r} is not a network like 10.0.0.0/8") from None
    return networks


def _base_url(raw: str) -> str:
    value = raw.strip().rstrip("/")
    if not value.startswith(("http://", "https://")):
        raise ValueError("expected an address like https://comments.example.com")
    return value


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


def _listen_address(raw: str) -> str:
    value = raw.strip()
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("expected host:port, such as 127.0.0.1:9101")
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
        _database_url,
        "",
        "SQLAlchemy URL. Default: a SQLite file `engagement.sqlite3` in the instance folder.",
    ),
    Setting(
        "DATABASE_CONNECT_TIMEOUT",
        _connect_seconds,
        3,
        "PostgreSQL: seconds to wait for a new connection to be accepted and answered.",
    ),
    Setting(
        "DATABASE_STATEMENT_TIMEOUT",
        _seconds,
        5.0,
        "PostgreSQL: seconds the service waits for any one answer of the database (a statement, "
        "a commit); the server also cancels statements that run longer.",
    ),
    Setting(
        "DATABASE_POOL_TIMEOUT",
        _seconds,
        2.0,
        "Seconds a request waits for a free connection of its process's pool.",
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
    Setting(
        "RATELIMIT_STORAGE_TIMEOUT",
        _seconds,
        0.5,
        "Seconds to wait for the rate-limit storage (Redis) to connect or answer.",
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
        "COMMENTING",
        _choice("anyone", "signed-in", "subscribers"),
        "anyone",
        "Who may comment by default: `anyone`, `signed-in` readers (SSO) or `subscribers`; "
        "an article may override it.",
    ),
    Setting(
        "SSO_SECRET",
        _str,
        "",
        "Shared secret (at least 32 characters) of HS256 sign-in tokens from the magazine.",
    ),
    Setting(
        "SSO_JWKS_URL",
        _web_url,
        "",
        "The magazine's JWKS URL: public keys of RS256 and ES256 sign-in tokens.",
    ),
    Setting("SSO_ISSUER", _str, "", "The `iss` every sign-in token must carry (required for SSO)."),
    Setting(
        "SSO_AUDIENCE", _str, "", "The `aud` every sign-in token must carry (required for SSO)."
    ),
    Setting(
        "SSO_LEEWAY_SECONDS",
        _seconds_up_to(300),
        30,
        "Clock skew allowed when checking `exp` and `iat` (at most 300).",
    ),
    Setting(
        "SSO_MAX_TOKEN_SECONDS",
        _seconds_up_to(3600),
        600,
        "Longest lifetime (`exp` minus `iat`) of a sign-in token (at most 3600).",
    ),
    Setting(
        "SSO_JWKS_CACHE_SECONDS", _positive_int, 600, "How long the JWKS is used before refetching."
    ),
    Setting(
        "SSO_JWKS_REFRESH_SECONDS",
        _int,
        30,
        "Least time between two refetches of the JWKS for an unknown `kid`.",
    ),
    Setting(
        "SSO_SESSION_HOURS",
        _positive_int,
        12,
        "How long the widget's reader session, given for a sign-in token, lasts.",
    ),
    Setting(
        "SSO_LOGIN_URL",
        _web_url,
        "",
        "The magazine's login page, linked from the widget where sign-in is required.",
    ),
    Setting(
        "TRUST_AFTER_APPROVED",
        _int,
        3,
        "A verified commenter with this many approved comments (and no rejection in "
        "TRUST_CLEAN_DAYS) is approved at once, even under `pre` moderation (0: off).",
    ),
    Setting(
        "TRUST_CLEAN_DAYS",
        _positive_int,
        90,
        "Days without a rejected or spam comment that earned trust needs.",
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
    Setting(
        "REQUEST_LOG",
        _bool,
        True,
        "Log one JSON line per request (method, route, status, duration, bytes, request id).",
    ),
    Setting(
        "METRICS_LISTEN",
        _listen_address,
        "",
        "`host:port` where one worker serves /metrics without a token (for a scraper on a "
        "private network); empty: /metrics is on the service's port, for a `metrics` token.",
    ),
    Setting("DEMO", _bool, False, "Serve the demo article page at /demo/."),
    Setting(
        "PUBLIC_URL",
        _base_url,
        "",
        "The service's public address (`https://comments.example.com`), for the links in mails: "
        "confirmation, unsubscribe, moderation queues. Required with SMTP_HOST.",
    ),
    Setting(
        "SMTP_HOST",
        _str,
        "",
        "Mail server for reply notifications and moderator alerts. Empty: no mail, and the "
        "widget offers no notifications.",
    ),
    Setting("SMTP_PORT", _positive_int, 587, "Mail server port."),
    Setting(
        "SMTP_TLS",
        _choice("starttls", "tls", "none"),
        "starttls",
        "`starttls` (upgrade a plain connection, port 587), `tls` (TLS from the start, port "
        "465) or `none` (a local relay only).",
    ),
    Setting("SMTP_USER", _str, "", "Mail server login (empty: no login)."),
    Setting("SMTP_PASSWORD", _str, "", "Mail server password."),
    Setting("SMTP_TIMEOUT_SECONDS", _positive_int, 20, "Longest wait for the mail server."),
    Setting(
        "MAIL_FROM",
        _str,
        "",
        "Sender of every mail, e.g. `Magazine comments <comments@example.com>`. "
        "Required with SMTP_HOST.",
    ),
    Setting("MAIL_REPLY_TO", _str, "", "Reply-To of every mail (empty: none)."),
    Setting(
        "DIGEST_MINUTES",
        _int,
        10,
        "After a reply mail, further replies to the same reader wait this long and go out "
        "together as one digest (0: one mail per reply).",
    ),
    Setting(
        "ALERT_MINUTES",
        _positive_int,
        30,
        "A moderator who asked for alerts gets at most one per this many minutes.",
    ),
    Setting(
        "WEBHOOK_ALLOWED_NETWORKS",
        _networks,
        [],
        "Comma list of networks (CIDR) webhooks may be sent to although they are loopback, "
        "private or link-local, e.g. `10.1.2.0/24`. Default: public addresses only.",
    ),
    Setting("WEBHOOK_TIMEOUT_SECONDS", _positive_int, 10, "Longest wait for a webhook receiver."),
    Setting(
        "WORKER_POLL_SECONDS",
        _positive_int,
        1,
        "How often an idle `engagement worker` looks for new work.",
    ),
)

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
