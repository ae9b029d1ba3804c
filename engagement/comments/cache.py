"""Thread answers kept in memory, keyed by the thread's version.

Every change to what a thread shows bumps ``Article.thread_version`` in the database, so a key
that includes the version read in the same request can never serve an outdated thread, however
many processes or machines serve it: each keeps its own copy and checks the version first.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from engagement.answers import AnswerCache
from engagement.articles import service as articles
from engagement.articles.service import ArticleRow
from engagement.comments import threads
from engagement.http import etag_for


def for_app(app: Flask) -> AnswerCache[bytes]:
    """The application's thread cache (created on first use)."""
    cache = app.extensions.get("engagement.thread_cache")
    if cache is None:
        fresh = AnswerCache[bytes](app.config["THREAD_CACHE_MB"] * 1024 * 1024, name="threads")
        cache = app.extensions.setdefault("engagement.thread_cache", fresh)
    return cache  # type: ignore[no-any-return]


def _encode(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True, slots=True)
class ThreadAnswer:
    """A thread page's answer: its ETag at once, its body only when the client lacks it."""

    etag: str
    article: ArticleRow
    head: bytes  # the article's JSON
    query: threads.PageQuery
    max_depth: int
    answers: AnswerCache[bytes]

    def body(self, session: Callable[[], Session]) -> bytes:
        """The answer's bytes: the article, fresh on every request (its view count moves on
        its own), then the page of comments, cached as bytes and served as they are.
        ``session`` opens the database session, used only when the page is not cached."""
        article, query = self.article, self.query
        key = (article.id, article.thread_version, query.sort, query.cursor, query.limit)
        tail = self.answers.get(key)
        if tail is None:
            page = threads.page(
                session(),
                article=article,
                sort=query.sort,
                after=query.after,
                limit=query.limit,
                max_depth=self.max_depth,
            )
            tail = _encode({"comments": page.comments, "next_cursor": page.next_cursor})
            self.answers.put(key, tail, len(tail))
        return b'{"article":' + self.head + b"," + tail[1:]


def thread_answer(
    *,
    key: str,
    query: threads.PageQuery,
    settings: articles.Settings,
    max_depth: int,
    answers: AnswerCache[bytes],
) -> ThreadAnswer | None:
    """The answer to a page of the thread of the article ``key``; None for an article nobody
    registered. Its ETag names the article as shown, the thread's version and the page."""
    article = threads.thread_article(key=key)
    if article is None:
        return None
    head = _encode(articles.as_json(article, settings=settings))
    etag = etag_for(head, article.thread_version, query.sort, query.cursor, query.limit)
    return ThreadAnswer(etag, article, head, query, max_depth, answers)
