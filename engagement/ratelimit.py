"""Rate limits: every client has one budget per named limit, counted where all processes see it.

Every route is limited. A route spends from the budget its view names with ``@limit("comments")``;
without a name, GET and HEAD spend ``reads`` and every other method spends ``writes``. ``@exempt``
opts a route out (health checks, metrics). Each name is a setting, ``ENGAGEMENT_LIMIT_<NAME>``,
in the limits notation (``5 per minute; 30 per hour``). Preflight ``OPTIONS`` is never limited.

Limits are moving windows (a fixed window lets twice the limit through at its edges), counted
in ``ENGAGEMENT_RATELIMIT_STORAGE_URL``: ``memory://`` per process, ``redis://`` shared by every
process and machine. When that storage stops answering, ``ENGAGEMENT_RATELIMIT_FALLBACK``
decides: ``memory`` keeps limiting each process on its own, ``refuse`` also answers writes 503.
"""

from __future__ import annotations

import bisect
import ipaddress
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, request
from flask_limiter import Limit, Limiter, RateLimitExceeded
from limits.errors import ConfigurationError
from limits.storage import MovingWindowSupport, Storage
from redis.backoff import NoBackoff
from redis.retry import Retry
from werkzeug.exceptions import HTTPException

from engagement.config import ConfigError, declared_workers
from engagement.errors import error_response, html_error, status_of, wants_json
from engagement.refusals import Refusal

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

# Each name reads its limit from the setting LIMIT_<NAME>.
NAMES = ("reads", "writes", "views", "comments", "login")
READ_METHODS = frozenset({"GET", "HEAD"})
_ATTRIBUTE = "rate_limit"
_PARSE = "rate_limit_parse"
# Statuses that say the request itself is malformed (refused before any work is done).
BAD_INPUT = frozenset({400, 413, 415})
_EXEMPT = ""
# Keys in a shared Redis start with this, so other applications' keys are never touched.
KEY_PREFIX = "engagement"
EXTENSION = "engagement.limiter"
SWEPT_MEMORY_SCHEME = "engagement+memory"


def limit(
    name: str,
    *,
    methods: Iterable[str] | None = None,
    parse: Callable[[], object] | None = None,
) -> Callable[[F], F]:
    """Make the decorated view spend from the named budget (``ENGAGEMENT_LIMIT_<NAME>``).

    With ``methods`` only those methods do; the view's other methods spend ``reads`` or
    ``writes`` as usual (a login form's GET is a read, its POST an attempt).

    ``parse`` is how the view reads its request (and keeps the result for the view, in ``g``):
    a request it refuses as bad input (400, 413, 415) spends nothing, so a reader whose post
    was empty can still post once it is fixed.
    """
    if name not in NAMES:
        raise ValueError(f"unknown rate limit {name!r}; known: {', '.join(NAMES)}")
    only = frozenset(method.upper() for method in methods) if methods is not None else None

    def tag(view: F) -> F:
        setattr(view, _ATTRIBUTE, (name, only))
        if parse is not None:
            setattr(view, _PARSE, parse)
        return view

    return tag


def _refused_as_bad_input() -> bool:
    """Whether the view's own parsing refuses this request: then it spends no budget."""
    parse = getattr(current_app.view_functions.get(request.endpoint or ""), _PARSE, None)
    if parse is None:
        return False
    try:
        parse()
    except Refusal as exc:
        return status_of(exc) in BAD_INPUT
    except HTTPException as exc:
        return exc.code in BAD_INPUT
    return False


def exempt(view: F) -> F:
    """Never rate-limit the decorated view (health checks, metrics)."""
    setattr(view, _ATTRIBUTE, (_EXEMPT, None))
    return view


def budget_for(endpoint: str, method: str) -> str:
    """The budget a request to ``endpoint`` with ``method`` spends from; empty: not limited."""
    view = current_app.view_functions.get(endpoint)
    if method == "OPTIONS" or view is None:
        return _EXEMPT
    name, methods = getattr(view, _ATTRIBUTE, (None, None))
    if name is None or (methods is not None and method not in methods):
        return "reads" if method in READ_METHODS else "writes"
    return str(name)


def limit_name() -> str:
    """The budget the current request spends from; empty when it is not limited."""
    return budget_for(request.endpoint or "", request.method)


def _limit_for_request() -> str:
    name = limit_name()
    return str(current_app.config[f"LIMIT_{name.upper()}"]) if name else ""


def client_address() -> str:
    """The client's IP address: the peer, or the address the trusted proxies report.

    ``ENGAGEMENT_TRUSTED_PROXIES`` drives werkzeug's ProxyFix, which rewrites the peer address
    from the last that many ``X-Forwarded-For`` entries; entries a client adds itself are never
    read unless the configuration trusts more proxies than there are.
    """
    raw = request.remote_addr or ""
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def client_key() -> str:
    """Who a rate limit counts: the IPv4 address, or the /64 network of an IPv6 address.

    One IPv6 subscriber usually holds a whole /64 and can pick a new address per request.
    """
    address = client_address()
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return f"unparsed:{address[:100]}" if address else "unknown"
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


class SweptMemoryStorage(Storage, MovingWindowSupport):
    """``memory://`` for moving windows, built on the storage interface ``limits`` publishes,
    that sweeps expired entries inline, at most once a second, and forgets clients whose window
    is empty.

    The library's own memory storage starts a timer thread whenever the last one finished, so a
    busy process starts one every 10 ms; under load, the request that starts it waits for the
    scheduler (measured: a 150 µs median and tens of ms at worst on a loaded 2-core machine).
    Its sweep also keeps an empty list for every client ever seen, which grows without end.
    Entries are acquisition times, newest first, at most ``limit`` per key (a key names one
    limit of one client, so older entries can never matter).
    """

    STORAGE_SCHEME = [SWEPT_MEMORY_SCHEME]  # registers the scheme with limits
    SWEEP_SECONDS = 1.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._lock = threading.Lock()
        self._events: dict[str, list[float]] = {}
        self._expiry: dict[str, float] = {}
        self._counters: dict[str, tuple[int, float]] = {}  # fixed windows: count, expires at
        self._swept_at = time.monotonic()

    @property
    def base_exceptions(self) -> type[Exception]:
        return ValueError

    def _sweep(self, now: float) -> None:
        if time.monotonic() - self._swept_at < self.SWEEP_SECONDS:
            return
        self._swept_at = time.monotonic()
        for key, events in list(self._events.items()):
            live = _within(events, now - self._expiry[key])
            if live:
                del events[live:]
            else:
                del self._events[key], self._expiry[key]
        for key, (_count, expires_at) in list(self._counters.items()):
            if expires_at <= now:
                del self._counters[key]

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        now = time.time()
        with self._lock:
            self._sweep(now)
            events = self._events.setdefault(key, [])
            self._expiry[key] = expiry
            if len(events) > limit - amount and events[limit - amount] >= now - expiry:
                return False
            events[:0] = [now] * amount
            del events[limit:]
            return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        now = time.time()
        with self._lock:
            events = self._events.get(key, [])
            live = _within(events, now - expiry)
            return (events[live - 1], live) if live else (now, 0)

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        with self._lock:
            count, expires_at = self._counters.get(key, (0, now + expiry))
            if expires_at <= now:
                count, expires_at = 0, now + expiry
            self._counters[key] = (count + amount, expires_at)
            return count + amount

    def get(self, key: str) -> int:
        count, expires_at = self._counters.get(key, (0, 0.0))
        return count if expires_at > time.time() else 0

    def get_expiry(self, key: str) -> float:
        return self._counters.get(key, (0, time.time()))[1]

    def clear(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)
            self._expiry.pop(key, None)
            self._counters.pop(key, None)

    def check(self) -> bool:
        return True

    def counted(self) -> frozenset[str]:
        """The keys with entries: clients whose window has not passed (as of the last sweep)."""
        with self._lock:
            return frozenset(self._events) | frozenset(self._counters)

    def reset(self) -> int | None:
        with self._lock:
            found = len(self._events) + len(self._counters)
            self._events.clear()
            self._expiry.clear()
            self._counters.clear()
            return found


def _within(events: list[float], since: float) -> int:
    """How many of ``events`` (newest first) happened at or after ``since``."""
    return bisect.bisect_left(events, -since, key=lambda moment: -moment)


def _storage_uri(url: str) -> str:
    return SWEPT_MEMORY_SCHEME + "://" if url.startswith("memory://") else url


def _storage_options(url: str, timeout: float) -> dict[str, str | int]:
    if url.startswith("memory://"):
        return {}
    # Redis client options (the annotation of limits omits their types). A Redis that stops
    # answering must not hold requests: no retries, a short timeout, and the limiter's
    # fallback takes over at the first failure.
    options: dict[str, Any] = {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "retry": Retry(NoBackoff(), 0),
    }
    return options


def limiter() -> Limiter:
    """The current application's limiter."""
    return current_app.extensions[EXTENSION]  # type: ignore[no-any-return]


def storage_reachable(app_limiter: Limiter) -> bool:
    """Whether the limiter counts in its configured storage (not in its per-process fallback)."""
    # Flask-Limiter keeps this flag while it counts in memory; it retries the storage with
    # backoff and clears the flag when the storage answers again.
    return not app_limiter._storage_dead


def init_app(app: Flask) -> None:
    """Limit every route of ``app``; answer 429 (and storage failures) in the one error shape."""
    config = app.config
    url = config["RATELIMIT_STORAGE_URL"]
    try:
        app_limiter = Limiter(
            client_key,
            # Shared: a name is one budget, whichever route spends from it.
            default_limits=[
                Limit(
                    _limit_for_request,
                    scope=lambda _endpoint: limit_name(),
                    shared=True,
                    exempt_when=_refused_as_bad_input,
                )
            ],
            strategy="moving-window",
            storage_uri=_storage_uri(url),
            storage_options=_storage_options(url, config["RATELIMIT_STORAGE_TIMEOUT"]),
            in_memory_fallback_enabled=True,
            key_prefix=KEY_PREFIX,
            headers_enabled=False,
            enabled=config["RATELIMIT_ENABLED"],
        )
    except ConfigurationError as exc:
        raise ConfigError(f"ENGAGEMENT_RATELIMIT_STORAGE_URL={url!r}: {exc}") from None
    app.extensions[EXTENSION] = app_limiter
    if not config["RATELIMIT_ENABLED"]:
        # Limits kept elsewhere (a proxy, a CDN): the limiter's three hooks would still run on
        # every request, to count nothing.
        return
    workers = declared_workers()
    if url.startswith("memory://") and workers > 1:
        log.warning(
            "rate limits are counted in memory:// by each of the %d worker processes: a client "
            "gets up to %d times each limit; set ENGAGEMENT_RATELIMIT_STORAGE_URL=redis://... "
            "to share one count",
            workers,
            workers,
        )
    app_limiter.init_app(app)
    app.before_request(_watch_storage)
    app.register_error_handler(RateLimitExceeded, _too_many_requests)


class _StorageWatch:
    reported_down = False


def _watch_storage() -> Response | None:
    """Log the storage going down and coming back; under ``refuse``, answer writes 503."""
    app_limiter = limiter()
    watch: _StorageWatch = current_app.extensions.setdefault(
        "engagement.limiter_watch", _StorageWatch()
    )
    if storage_reachable(app_limiter):
        if watch.reported_down:
            watch.reported_down = False
            log.warning("rate-limit storage answers again; limits are shared again")
        return None
    refuse = current_app.config["RATELIMIT_FALLBACK"] == "refuse"
    if not watch.reported_down:
        watch.reported_down = True
        log.warning(
            "rate-limit storage %s does not answer; counting limits per process%s",
            current_app.config["RATELIMIT_STORAGE_URL"].split("@")[-1],
            " and refusing writes" if refuse else "",
        )
    if refuse and request.method not in READ_METHODS and limit_name():
        message = "Writes are paused while the rate-limit storage does not answer; try again soon."
        return _refusal(503, "rate_limit_unavailable", "Unavailable", message, retry_after=5)
    return None


def _refusal(status: int, code: str, title: str, message: str, *, retry_after: int) -> Response:
    """The error in the one shape (JSON under the API, a page elsewhere), with Retry-After."""
    if wants_json():
        response = error_response(status, code, message)
    else:
        response = html_error(status, title, message)
    response.headers["Retry-After"] = str(retry_after)
    return response


def _too_many_requests(exc: RateLimitExceeded) -> Response:
    """429 in the one error shape, with Retry-After and the limit's X-RateLimit-* headers."""
    now = time.time()
    breached = exc.limit.limit
    reset_at = now + breached.get_expiry()
    current = limiter().current_limit
    if current is not None:
        try:
            reset_at = current.window[0]  # moving window: when the oldest counted request expires
        except Exception:  # the storage failed since the check; the window's length will do
            log.warning("rate-limit storage failed while answering 429", exc_info=True)
    retry_after = max(1, math.ceil(reset_at - now))
    message = f"Too many requests: at most {breached}. Try again in {retry_after} s."
    response = _refusal(429, "rate_limited", "Too many requests", message, retry_after=retry_after)
    response.headers["X-RateLimit-Limit"] = str(breached.amount)
    response.headers["X-RateLimit-Remaining"] = "0"
    response.headers["X-RateLimit-Reset"] = str(math.ceil(reset_at))
    return response
