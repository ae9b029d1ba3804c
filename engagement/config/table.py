"""Every setting, declared once: its name (after ``ENGAGEMENT_``), parser, default and what it
is for. The README's configuration table mirrors it."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engagement.config.values import (
    base_url,
    choice,
    connect_seconds,
    database_url,
    listen_address,
    networks,
    origins,
    positive_whole,
    rate,
    seconds,
    seconds_up_to,
    storage_url,
    text,
    web_url,
    whole,
    word_list,
    yes_no,
)


@dataclass(frozen=True)
class Setting:
    name: str
    parse: Callable[[str], Any]
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("DEBUG", yes_no, False, "Development mode: a generated secret key, detailed errors."),
    Setting(
        "DATABASE_URL",
        database_url,
        "",
        "SQLAlchemy URL. Default: a SQLite file `engagement.sqlite3` in the instance folder.",
    ),
    Setting(
        "DATABASE_CONNECT_TIMEOUT",
        connect_seconds,
        3,
        "PostgreSQL: seconds to wait for a new connection to be accepted and answered.",
    ),
    Setting(
        "DATABASE_STATEMENT_TIMEOUT",
        seconds,
        5.0,
        "PostgreSQL: seconds the service waits for any one answer of the database (a statement, "
        "a commit); the server also cancels statements that run longer.",
    ),
    Setting(
        "DATABASE_POOL_TIMEOUT",
        seconds,
        2.0,
        "Seconds a request waits for a free connection of its process's pool.",
    ),
    Setting(
        "AUTO_MIGRATE",
        yes_no,
        None,
        "Upgrade the schema at start-up. Default: on for SQLite, off otherwise.",
    ),
    Setting(
        "SECRET_KEY", text, "", "Signs sessions and keys visitor hashes. Required unless DEBUG."
    ),
    Setting("ALLOWED_ORIGINS", origins, [], "Comma list of origins allowed to call the API."),
    Setting(
        "TRUSTED_PROXIES", whole, 0, "Number of proxies in front whose X-Forwarded-* to trust."
    ),
    Setting("RATELIMIT_ENABLED", yes_no, True, "Enforce the rate limits."),
    Setting(
        "RATELIMIT_STORAGE_URL",
        storage_url,
        "memory://",
        "Where limits are counted: `memory://` (per process) or `redis://host:6379/0` (shared).",
    ),
    Setting(
        "RATELIMIT_FALLBACK",
        choice("memory", "refuse"),
        "memory",
        "When the storage does not answer: `memory` counts per process (logged), "
        "`refuse` answers writes 503.",
    ),
    Setting(
        "RATELIMIT_STORAGE_TIMEOUT",
        seconds,
        0.5,
        "Seconds to wait for the rate-limit storage (Redis) to connect or answer.",
    ),
    Setting("LIMIT_READS", rate, "600 per minute", "Reads (GET) per client."),
    Setting("LIMIT_WRITES", rate, "60 per minute", "Writes without a limit of their own."),
    Setting("LIMIT_VIEWS", rate, "120 per minute", "Recorded views per client."),
    Setting(
        "LIMIT_COMMENTS",
        rate,
        "5 per minute; 30 per hour; 100 per day",
        "New comments per client.",
    ),
    Setting("LIMIT_LOGIN", rate, "10 per 15 minutes", "Moderator login attempts per client."),
    Setting(
        "SPAM_HONEYPOT",
        yes_no,
        True,
        "A comment that fills the hidden body field `url` (the widget's trap for bots) is spam.",
    ),
    Setting("SPAM_MAX_LINKS", whole, 2, "A comment with more links than this is suspicious."),
    Setting(
        "SPAM_DUPLICATE_MINUTES",
        whole,
        60,
        "The same text posted again within this many minutes is suspicious (0: off).",
    ),
    Setting("SPAM_BLOCKLIST", word_list, [], "Comma list of blocklisted words or phrases."),
    Setting(
        "SPAM_BLOCKLIST_FILE",
        text,
        "",
        "A file of blocklisted words, one per line; `re:` starts a regular expression.",
    ),
    Setting("SPAM_PENDING_THRESHOLD", positive_whole, 3, "Score that holds a comment as pending."),
    Setting("SPAM_THRESHOLD", positive_whole, 10, "Score that files a comment as spam."),
    Setting(
        "BAN_RESPONSE",
        choice("refuse", "shadow"),
        "refuse",
        "A banned poster gets 403 `banned` (`refuse`), or a normal answer while the comment "
        "goes to spam (`shadow`).",
    ),
    Setting(
        "VIEW_WINDOW_MINUTES", positive_whole, 30, "A visitor's repeat views count once per window."
    ),
    Setting(
        "VIEW_DURABILITY",
        choice("relaxed", "strict"),
        "relaxed",
        "PostgreSQL: `relaxed` commits views without waiting for the WAL flush.",
    ),
    Setting(
        "MODERATION",
        choice("post", "pre", "first-time"),
        "post",
        "Site default moderation mode; an article may override it.",
    ),
    Setting(
        "COMMENTING",
        choice("anyone", "signed-in", "subscribers"),
        "anyone",
        "Who may comment by default: `anyone`, `signed-in` readers (SSO) or `subscribers`; "
        "an article may override it.",
    ),
    Setting(
        "SSO_SECRET",
        text,
        "",
        "Shared secret (at least 32 characters) of HS256 sign-in tokens from the magazine.",
    ),
    Setting(
        "SSO_JWKS_URL",
        web_url,
        "",
        "The magazine's JWKS URL: public keys of RS256 and ES256 sign-in tokens.",
    ),
    Setting("SSO_ISSUER", text, "", "The `iss` every sign-in token must carry (required for SSO)."),
    Setting(
        "SSO_AUDIENCE", text, "", "The `aud` every sign-in token must carry (required for SSO)."
    ),
    Setting(
        "SSO_LEEWAY_SECONDS",
        seconds_up_to(300),
        30,
        "Clock skew allowed when checking `exp` and `iat` (at most 300).",
    ),
    Setting(
        "SSO_MAX_TOKEN_SECONDS",
        seconds_up_to(3600),
        600,
        "Longest lifetime (`exp` minus `iat`) of a sign-in token (at most 3600).",
    ),
    Setting(
        "SSO_JWKS_CACHE_SECONDS",
        positive_whole,
        600,
        "How long the JWKS is used before refetching.",
    ),
    Setting(
        "SSO_JWKS_REFRESH_SECONDS",
        whole,
        30,
        "Least time between two refetches of the JWKS for an unknown `kid`.",
    ),
    Setting(
        "SSO_SESSION_HOURS",
        positive_whole,
        12,
        "How long the widget's reader session, given for a sign-in token, lasts.",
    ),
    Setting(
        "SSO_LOGIN_URL",
        web_url,
        "",
        "The magazine's login page, linked from the widget where sign-in is required.",
    ),
    Setting(
        "TRUST_AFTER_APPROVED",
        whole,
        3,
        "A verified commenter with this many approved comments (and no rejection in "
        "TRUST_CLEAN_DAYS) is approved at once, even under `pre` moderation (0: off).",
    ),
    Setting(
        "TRUST_CLEAN_DAYS",
        positive_whole,
        90,
        "Days without a rejected or spam comment that earned trust needs.",
    ),
    Setting(
        "REPORT_THRESHOLD",
        positive_whole,
        3,
        "Open reports, from this many networks, that put a comment in the reported queue.",
    ),
    Setting(
        "QUEUE_REFRESH_SECONDS",
        positive_whole,
        20,
        "How often the moderation pages refresh their queue counts by themselves.",
    ),
    Setting(
        "REPORTED_VISIBLE",
        yes_no,
        True,
        "Whether a comment in the reported queue stays in the thread until a moderator decides.",
    ),
    Setting(
        "LOGIN_MAX_FAILURES",
        positive_whole,
        5,
        "Consecutive failed moderator logins that lock the account.",
    ),
    Setting(
        "LOGIN_LOCKOUT_MINUTES", positive_whole, 15, "How long a locked moderator account waits."
    ),
    Setting(
        "MODERATION_SESSION_HOURS",
        positive_whole,
        12,
        "A moderator's login lasts this long without activity.",
    ),
    Setting(
        "CLOSE_AFTER_DAYS",
        whole,
        0,
        "Close a thread this many days after the article's publication (0: never).",
    ),
    Setting(
        "COMMENT_MAX_LENGTH",
        positive_whole,
        10000,
        "Most characters a comment's text may have (after Unicode normalization).",
    ),
    Setting(
        "COMMENT_MAX_DEPTH",
        positive_whole,
        5,
        "Levels of nesting a thread shows; deeper replies are shown at this depth.",
    ),
    Setting(
        "COMMENT_EDIT_WINDOW_MINUTES",
        whole,
        15,
        "Minutes during which a comment's author may edit or delete it (0: never).",
    ),
    Setting(
        "COMMENTS_PAGE_SIZE", positive_whole, 20, "Top-level comments per thread page by default."
    ),
    Setting(
        "COMMENTS_MAX_PAGE_SIZE",
        positive_whole,
        1000,
        "Most top-level comments one thread request may ask for (`limit`).",
    ),
    Setting(
        "THREAD_CACHE_MB",
        whole,
        64,
        "Megabytes of thread answers each process keeps in memory (0: no cache).",
    ),
    Setting(
        "COUNTERS_MAX_AGE", whole, 10, "Seconds the counters may be cached by browsers and CDNs."
    ),
    Setting(
        "COUNTERS_CACHE_SECONDS",
        whole,
        1,
        "Seconds each process answers the same batch of counters from memory (0: off); "
        "counters may be that much older, on top of COUNTERS_MAX_AGE.",
    ),
    Setting(
        "INSTANCE_PATH",
        text,
        "",
        "Folder for the SQLite file and local state. Default: ./instance.",
    ),
    Setting("LOG_LEVEL", choice("debug", "info", "warning", "error"), "info", "Log level."),
    Setting(
        "REQUEST_LOG",
        yes_no,
        True,
        "Log one JSON line per request (method, route, status, duration, bytes, request id).",
    ),
    Setting(
        "METRICS_LISTEN",
        listen_address,
        "",
        "`host:port` where one worker serves /metrics without a token (for a scraper on a "
        "private network); empty: /metrics is on the service's port, for a `metrics` token.",
    ),
    Setting("DEMO", yes_no, False, "Serve the demo article page at /demo/."),
    Setting(
        "PUBLIC_URL",
        base_url,
        "",
        "The service's public address (`https://comments.example.com`), for the links in mails: "
        "confirmation, unsubscribe, moderation queues. Required with SMTP_HOST.",
    ),
    Setting(
        "SMTP_HOST",
        text,
        "",
        "Mail server for reply notifications and moderator alerts. Empty: no mail, and the "
        "widget offers no notifications.",
    ),
    Setting("SMTP_PORT", positive_whole, 587, "Mail server port."),
    Setting(
        "SMTP_TLS",
        choice("starttls", "tls", "none"),
        "starttls",
        "`starttls` (upgrade a plain connection, port 587), `tls` (TLS from the start, port "
        "465) or `none` (a local relay only).",
    ),
    Setting("SMTP_USER", text, "", "Mail server login (empty: no login)."),
    Setting("SMTP_PASSWORD", text, "", "Mail server password."),
    Setting("SMTP_TIMEOUT_SECONDS", positive_whole, 20, "Longest wait for the mail server."),
    Setting(
        "MAIL_FROM",
        text,
        "",
        "Sender of every mail, e.g. `Magazine comments <comments@example.com>`. "
        "Required with SMTP_HOST.",
    ),
    Setting("MAIL_REPLY_TO", text, "", "Reply-To of every mail (empty: none)."),
    Setting(
        "DIGEST_MINUTES",
        whole,
        10,
        "After a reply mail, further replies to the same reader wait this long and go out "
        "together as one digest (0: one mail per reply).",
    ),
    Setting(
        "ALERT_MINUTES",
        positive_whole,
        30,
        "A moderator who asked for alerts gets at most one per this many minutes.",
    ),
    Setting(
        "WEBHOOK_ALLOWED_NETWORKS",
        networks,
        [],
        "Comma list of networks (CIDR) webhooks may be sent to although they are loopback, "
        "private or link-local, e.g. `10.1.2.0/24`. Default: public addresses only.",
    ),
    Setting("WEBHOOK_TIMEOUT_SECONDS", positive_whole, 10, "Longest wait for a webhook receiver."),
    Setting(
        "WORKER_POLL_SECONDS",
        positive_whole,
        1,
        "How often an idle `engagement worker` looks for new work.",
    ),
)
