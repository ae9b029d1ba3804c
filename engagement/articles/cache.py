"""Batch counters answers kept in memory for a moment.

A magazine's front page asks every reader's browser for the same keys, so a process answers
most of those requests from memory. Unlike a thread, nothing marks counters as changed (every
view moves them), so an answer is kept for ``ENGAGEMENT_COUNTERS_CACHE_SECONDS`` only: the
counters a reader sees may be that much older than the database, on top of the ``max-age``
that browsers and CDNs already apply.
"""

from __future__ import annotations

from typing import NamedTuple

from flask import Flask

from engagement.answers import AnswerCache

# Enough for thousands of distinct 50-key answers (about 2 kB each) at once.
MAX_BYTES = 4 * 1024 * 1024


class Answer(NamedTuple):
    body: bytes
    etag: str

    @property
    def size(self) -> int:
        return len(self.body) + len(self.etag)


def for_app(app: Flask) -> AnswerCache[Answer] | None:
    """The application's counters cache (created on first use); None when it is off."""
    cache = app.extensions.get("engagement.counters_cache")
    if cache is None:
        seconds = app.config["COUNTERS_CACHE_SECONDS"]
        if not seconds:
            return None
        fresh = AnswerCache[Answer](MAX_BYTES, name="counters", seconds=seconds)
        cache = app.extensions.setdefault("engagement.counters_cache", fresh)
    return cache  # type: ignore[no-any-return]
