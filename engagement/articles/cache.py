"""Batch counters answers kept in memory for a moment.

A magazine's front page asks every reader's browser for the same keys, so a process answers
most of those requests from memory. Unlike a thread, nothing marks counters as changed (every
view moves them), so an answer is kept for ``ENGAGEMENT_COUNTERS_CACHE_SECONDS`` only: the
counters a reader sees may be that much older than the database, on top of the ``max-age``
that browsers and CDNs already apply.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import NamedTuple

from flask import Flask

# Enough for thousands of distinct 50-key answers (about 2 kB each) at once.
MAX_BYTES = 4 * 1024 * 1024


class Answer(NamedTuple):
    body: bytes
    etag: str


class _Entry(NamedTuple):
    answer: Answer
    expires: float
    size: int


class CountersCache:
    """A least-recently-used map of encoded answers that expire ``seconds`` after they were
    stored, bounded by their total size in bytes. Safe to share between threads."""

    def __init__(
        self,
        seconds: float,
        *,
        max_bytes: int = MAX_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds = seconds
        self.max_bytes = max_bytes
        self.clock = clock
        self.size = 0
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Answer | None:
        """The answer stored under ``key`` if it has not expired yet, or None."""
        now = self.clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if now >= entry.expires:
                del self._entries[key]
                self.size -= entry.size
                return None
            self._entries.move_to_end(key)
            return entry.answer

    def put(self, key: str, answer: Answer) -> None:
        """Keep ``answer`` under ``key``, forgetting the least recently used answers to fit."""
        size = len(key) + len(answer.body) + len(answer.etag)
        if size > self.max_bytes:
            return
        entry = _Entry(answer, self.clock() + self.seconds, size)
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self.size -= previous.size
            self._entries[key] = entry
            self.size += size
            while self.size > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self.size -= dropped.size


def for_app(app: Flask) -> CountersCache | None:
    """The application's counters cache (created on first use); None when it is off."""
    cache = app.extensions.get("engagement.counters_cache")
    if cache is None:
        seconds = app.config["COUNTERS_CACHE_SECONDS"]
        if not seconds:
            return None
        cache = app.extensions.setdefault("engagement.counters_cache", CountersCache(seconds))
    return cache  # type: ignore[no-any-return]
