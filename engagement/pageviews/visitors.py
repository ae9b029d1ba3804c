"""Who a reader is, without cookies and without storing an address: keyed hashes."""

from __future__ import annotations

import functools
import hashlib
import re
from datetime import date
from typing import Any

import re2
from crawlerdetect.crawlerdetect import get_compiled_exclusions_regex
from crawlerdetect.providers.crawlers import data as CRAWLER_PATTERNS
from flask import current_app, request

from engagement import ratelimit
from engagement.keyed import site_hash

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
    return site_hash(ratelimit.client_key(), person=b"network")


def stable_visitor() -> str:
    """This request's visitor hash under the site key: links one poster's comments and likes."""
    return site_hash(_traits(), person=b"visitor")


# Constructs of Python's regular expressions that RE2 does not have: lookarounds, backreferences.
_NOT_RE2 = re.compile(r"\(\?<?[=!]|\\[1-9]")


class CrawlerMatcher:
    """crawlerdetect's crawler list, matched in one pass by RE2.

    crawlerdetect joins its 1,400-odd patterns into one alternation for Python's ``re``, which
    tries each alternative at each position of the user agent: about 0.2 ms per never-seen
    agent. RE2 runs the same alternation as an automaton, in a few microseconds. The few
    patterns RE2 cannot express (lookarounds) stay with ``re``. The agent is first stripped of
    the browser words the list's exclusions name, with crawlerdetect's own expression, exactly
    as crawlerdetect does.
    """

    def __init__(self, patterns: list[str]) -> None:
        options = re2.Options()
        options.case_sensitive = False
        automaton = [pattern for pattern in patterns if not _NOT_RE2.search(pattern)]
        rest = [pattern for pattern in patterns if _NOT_RE2.search(pattern)]
        self._automaton: Any = re2.compile("|".join(automaton), options) if automaton else None
        self._rest = re.compile("|".join(rest), re.IGNORECASE) if rest else None
        self._exclusions = get_compiled_exclusions_regex()

    def __call__(self, user_agent: str) -> bool:
        agent = self._exclusions.sub("", user_agent.strip())
        if not agent:
            return False
        return any(
            matcher is not None and matcher.search(agent) is not None
            for matcher in (self._automaton, self._rest)
        )


_crawler = CrawlerMatcher(CRAWLER_PATTERNS)


@functools.lru_cache(maxsize=4096)
def is_crawler(user_agent: str) -> bool:
    """Whether the user agent is a known bot, crawler or link previewer (crawlerdetect's list)."""
    if not user_agent.strip():
        return True
    return _crawler(user_agent)


def is_prefetch() -> bool:
    """Whether the browser says this request is a prefetch or prerender."""
    environ = request.environ
    for header, values in _PREFETCH_HEADERS.items():
        value = environ.get(header)
        if value and any(token in value.lower() for token in values):
            return True
    return False
