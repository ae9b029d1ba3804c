"""Encoded answers kept in each process's memory, for the reads that every page load makes."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, NamedTuple, TypeVar

from engagement.instruments import ANSWER_CACHE

V = TypeVar("V")


class _Entry(NamedTuple, Generic[V]):
    value: V
    expires: float
    size: int


class AnswerCache(Generic[V]):
    """A least-recently-used map of answers, bounded by their total size in bytes and safe to
    share between threads. With ``seconds``, an answer is forgotten that long after it was
    stored; without, it stays until it is the least recently used one and room is needed."""

    def __init__(
        self,
        max_bytes: int,
        *,
        name: str,
        seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_bytes = max_bytes
        self.seconds = seconds
        self.clock = clock
        self.size = 0
        self._entries: OrderedDict[Hashable, _Entry[V]] = OrderedDict()
        self._lock = threading.Lock()
        # Hits and misses are counted for /metrics, under the cache's ``name``.
        self._hits = ANSWER_CACHE.labels(name, "hit")
        self._misses = ANSWER_CACHE.labels(name, "miss")

    def get(self, key: Hashable) -> V | None:
        """The answer stored under ``key``, unless it has expired; else None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.expires <= self.clock():
                del self._entries[key]
                self.size -= entry.size
                entry = None
            if entry is None:
                self._misses.inc()
                return None
            self._entries.move_to_end(key)
            self._hits.inc()
            return entry.value

    def put(self, key: Hashable, value: V, size: int) -> None:
        """Keep ``value`` (``size`` bytes) under ``key``, forgetting the least recently used
        answers to fit."""
        if size > self.max_bytes:
            return
        expires = math.inf if self.seconds is None else self.clock() + self.seconds
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self.size -= previous.size
            self._entries[key] = _Entry(value, expires, size)
            self.size += size
            while self.size > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self.size -= dropped.size
