"""Thread answers kept in memory, keyed by the thread's version.

Every change to what a thread shows bumps ``Article.thread_version`` in the database, so a key
that includes the version read in the same request can never serve an outdated thread, however
many processes or machines serve it: each keeps its own copy and checks the version first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from flask import Flask


class AnswerCache:
    """A least-recently-used map of encoded answers, bounded by their total size in bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> bytes | None:
        """The answer stored under ``key``, or None."""
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: bytes) -> None:
        """Keep ``value`` under ``key``, forgetting the least recently used answers to fit."""
        if len(value) > self.max_bytes:
            return
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self.size -= len(previous)
            self._entries[key] = value
            self.size += len(value)
            while self.size > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self.size -= len(dropped)


def for_app(app: Flask) -> AnswerCache:
    """The application's thread cache (created on first use)."""
    cache = app.extensions.get("engagement.thread_cache")
    if cache is None:
        fresh = AnswerCache(app.config["THREAD_CACHE_MB"] * 1024 * 1024)
        cache = app.extensions.setdefault("engagement.thread_cache", fresh)
    return cache  # type: ignore[no-any-return]
