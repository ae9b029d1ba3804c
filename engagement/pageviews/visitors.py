"""Who a reader is, without cookies and without storing an address: keyed hashes."""

from __future__ import annotations

import functools
import hashlib
from datetime import date

from crawlerdetect import CrawlerDetect
from flask import current_app, request

from engagement import ratelimit

# Headers browsers send when they fetch a page speculatively; such a fetch is not a read.
# Keyed as the WSGI environ names them: read there directly, they cost a dict lookup each.
_PREFETCH_HEADERS = {
    "HTTP_PURPOSE": ("prefetch", "preview"),
    "HTTP_SEC_PURPOSE": ("prefetch", "prerender"),
    "HTTP_X_PURPOSE": ("prefetch", "preview"),
    "HTTP_X_MOZ": ("prefetch",),
}


@functools.lru_cache(maxsize=16)
def _daily_key(secret: str, day: date) -> bytes:
    return hashlib.blake2b(f"views:{day.isoformat()}".encode(), key=secret.encode()[:64]).digest()


def _traits() -> bytes:
    environ = request.environ
    return "\n".join(
        (
            request.remote_addr or "",
            environ.get("HTTP_USER_AGENT", ""),
            environ.get("HTTP_ACCEPT_LANGUAGE", ""),
        )
    ).encode()


def daily_visitor(day: date) -> str:
    """This request's visitor hash for ``day``; the key rotates daily, so days cannot be linked."""
    key = _daily_key(current_app.config["SECRET_KEY"], day)
    return hashlib.blake2b(_traits(), key=key, digest_size=16).hexdigest()


def network() -> str:
    """This request's network (its IPv4 address, or the /64 of an IPv6 one) as a keyed hash.

    A visitor is a hash of address and browser, so one address can pose as several visitors
    by changing its user agent; counting by network counts it once.
    """
    secret = current_app.config["SECRET_KEY"].encode()[:64]
    source = ratelimit.client_key().encode()
    return hashlib.blake2b(source, key=secret, person=b"network", digest_size=16).hexdigest()


def stable_visitor() -> str:
    """This request's visitor hash under the site key: links one poster's comments and likes."""
    secret = current_app.config["SECRET_KEY"].encode()[:64]
    return hashlib.blake2b(_traits(), key=secret, person=b"visitor", digest_size=16).hexdigest()


@functools.lru_cache(maxsize=4096)
def is_crawler(user_agent: str) -> bool:
    """Whether the user agent is a known bot, crawler or link previewer (crawlerdetect's list)."""
    if not user_agent.strip():
        return True
    return bool(CrawlerDetect(user_agent=user_agent).isCrawler())


def is_prefetch() -> bool:
    """Whether the browser says this request is a prefetch or prerender."""
    environ = request.environ
    for header, values in _PREFETCH_HEADERS.items():
        value = environ.get(header)
        if value and any(token in value.lower() for token in values):
            return True
    return False
