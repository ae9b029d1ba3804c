"""Thread answers kept in memory, keyed by the thread's version.

Every change to what a thread shows bumps ``Article.thread_version`` in the database, so a key
that includes the version read in the same request can never serve an outdated thread, however
many processes or machines serve it: each keeps its own copy and checks the version first.
"""

from __future__ import annotations

from flask import Flask

from engagement.answers import AnswerCache


def for_app(app: Flask) -> AnswerCache[bytes]:
    """The application's thread cache (created on first use)."""
    cache = app.extensions.get("engagement.thread_cache")
    if cache is None:
        fresh = AnswerCache[bytes](app.config["THREAD_CACHE_MB"] * 1024 * 1024, name="threads")
        cache = app.extensions.setdefault("engagement.thread_cache", fresh)
    return cache  # type: ignore[no-any-return]
