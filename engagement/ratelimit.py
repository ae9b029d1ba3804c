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

import ipaddress
import logging
import math
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, render_template_string, request
from flask_limiter import Limit, Limiter, RateLimitExceeded
from limits.errors import ConfigurationError
from limits.storage import MemoryStorage
from redis.backoff import NoBackoff
from redis.retry import Retry

from engagement.config import ConfigError, declared_workers
from engagement.errors import HTML_ERROR, error_response, wants_json

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

# Each name reads its limit from the setting LIMIT_<NAME>.
NAMES = ("reads", "writes", "views", "comments", "login")
READ_METHODS = frozenset({"GET", "HEAD"})
_ATTRIBUTE = "rate_limit"
_EXEMPT = ""
# A Redis that stops answering must not hold requests: give up on it quickly.
STORAGE_TIMEOUT_SECONDS = 0.5
# Keys in a shared Redis start with this, so other applications' keys are never touched.
KEY_PREFIX = "engagement"
EXTENSION = "engagement.limiter"
SWEPT_MEMORY_SCHEME = "engagement+memory"


def limit(name: str, *, methods: Iterable[str] | None = None) -> Callable[[F], F]:
    """Make the decorated view spend from the named budget (``ENGAGEMENT_LIMIT_<NAME>``).

    With ``methods`` only those methods do; the view's other methods spend ``reads`` or
    ``writes`` as usual (a login form's GET is a read, its POST an attempt).
    """
    if name not in NAMES:
        raise ValueError(f"unknown rate limit {name!r}; known: {', '.join(NAMES)}")
    only = frozenset(method.upper() for method in methods) if methods is not None else None

    def tag(view: F) -> F:
        setattr(view, _ATTRIBUTE, (name, only))
        return view

    return tag


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


class SweptMemoryStorage(MemoryStorage):
    """``memory://`` that sweeps expired entries inline, at most once a second, and forgets
    clients whose window is empty.

    The library's memory storage starts a timer thread whenever the last one finished, so a busy
    process starts one every 10 ms; under load, the request that starts it waits for the
    scheduler (measured: a 150 µs median and tens of ms at worst on a loaded 2-core machine).
    Its sweep also keeps an empty list for every client ever seen, which grows without end.
    """

    STORAGE_SCHEME = [SWEPT_MEMORY_SCHEME]  # registers the scheme with limits
    SWEEP_SECONDS = 1.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **_: str) -> None:
        super().__init__(uri, wrap_exceptions, **_)
        self._swept_at = time.monotonic()

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the parent's private hook
        now = time.monotonic()
        if now - self._swept_at >= self.SWEEP_SECONDS:
            self._swept_at = now
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]
            for key in list(self.events):
                with self.locks[key]:
                    if not self.events.get(key):
                        self.events.pop(key, None)
                        self.locks.pop(key, None)


def _storage_uri(url: str) -> str:
    return SWEPT_MEMORY_SCHEME + "://" if url.startswith("memory://") else url


def _storage_options(url: str) -> dict[str, str | int]:
    if url.startswith("memory://"):
        return {}
    # Redis client options (the annotation of limits omits their types). No retries: the
    # request waits for nobody, and the limiter's fallback takes over at the first failure.
    options: dict[str, Any] = {
        "socket_timeout": STORAGE_TIMEOUT_SECONDS,
        "socket_connect_timeout": STORAGE_TIMEOUT_SECONDS,
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
                Limit(_limit_for_request, scope=lambda _endpoint: limit_name(), shared=True)
            ],
            strategy="moving-window",
            storage_uri=_storage_uri(url),
            storage_options=_storage_options(url),
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
        page = render_template_string(HTML_ERROR, status=status, title=title, message=message)
        response = Response(page, status=status, mimetype="text/html")
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
