#!/usr/bin/env python3
"""A million comments: the hot paths on a big PostgreSQL database against a near-empty one.

    .venv/bin/python bench/million.py \\
        --big postgresql://postgres@127.0.0.1:5432/bench_million \\
        --small postgresql://postgres@127.0.0.1:5432/bench_near_empty [--n 400] [--keep]

Both databases are emptied, migrated and filled with bulk SQL (``generate_series``, no ORM):
the big one with 1,000,000 comments over 100,000 articles, one of them (``article-1``) a
200,000-comment thread and another (``article-2``) a 30-comment thread, 14 days of daily views
per article and open reports on a few hundred comments; the near-empty one with the same shapes
at 100 articles and 300 comments (``article-1`` and ``article-2`` with 30 comments each). With
``--keep`` an existing big database of the right size is reused.

Then, in-process (Flask's test client, one app per database, every answer cache off so each
request reads the database), requests alternate one by one between the two databases, in
random order, ``--n`` times each: a view of a random article by a new visitor, the counters of
50 random articles, the first and a later page of the biggest thread (200k against 30
comments), a comment posted on a random article, and the moderators' pending queue page. The
table gives p50 and p99 in milliseconds and the ratio of the p99s. A second table compares the
first page of the 200,000-comment thread with the 30-comment one in the big database, in each
sort, and a third lists the database's size. ``EXPLAIN (ANALYZE, BUFFERS)`` of each request's
statements on both databases goes to ``bench/out/million-<time>/plans.md``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text

from engagement import create_app
from engagement import db as database
from engagement.comments import threads
from engagement.models import Role
from engagement.moderation import accounts

SECRET = "bench-secret-key-0123456789"
PASSWORD = "bench password 123"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
OUT = Path(__file__).resolve().parent / "out"
AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
ORIGIN = "https://magazine.example"


def bulk_sql(*, articles: int, comments: int, hot: int) -> list[str]:
    """The statements that fill an empty, migrated database.

    Articles ``article-1`` .. ``article-N``. Comments ``1..hot`` are ``article-1``'s thread
    (three in four top-level, the rest replies; three pinned; a few liked), the next 30 are
    ``article-2``'s, and the rest spread evenly over the other articles, one in five a reply to
    the article's previous comment. Of all comments: 3 % spam, 2 % rejected, 1 % deleted, and
    the last 200 pending (moderators keep up); the last 300 approved ones of the spread are
    reported three times, unresolved, and earlier reports resolved.
    """
    spread = articles - 2
    small_end = hot + 30
    return [
        f"""
        INSERT INTO articles (id, key, title, url, published_at, comments_open, view_count,
                              comment_count, thread_version, created_at, updated_at)
        SELECT g, 'article-' || g, 'Article number ' || g,
               'https://magazine.example/articles/' || g,
               now() - interval '60 days' + g * interval '1 second', true,
               (g * 7919) % 5000, 0, 0, now() - interval '60 days', now()
        FROM generate_series(1::bigint, {articles}) AS g
        """,
        f"""
        INSERT INTO comments (id, article_id, parent_id, status, text, text_digest, html,
                              author_name, avatar, visitor, likes, pinned, created_at,
                              deleted_at)
        SELECT g,
               CASE WHEN g <= {hot} THEN 1 WHEN g <= {small_end} THEN 2
                    ELSE 3 + g % {spread} END,
               CASE WHEN g <= {hot} THEN CASE WHEN g % 4 = 0 THEN g - 1 END
                    WHEN g <= {small_end} THEN CASE WHEN g % 6 = 0 THEN g - 1 END
                    WHEN g % 5 = 0 AND g - {spread} > {small_end} THEN g - {spread} END,
               CASE WHEN g > {comments} - 200 THEN 'pending'
                    WHEN (g * 7919) % 100 < 3 THEN 'spam'
                    WHEN (g * 7919) % 100 < 5 THEN 'rejected'
                    ELSE 'approved' END,
               'Comment ' || g || ': ' || repeat('a few words of a reader ', 6),
               md5('Comment ' || g),
               '<p>Comment ' || g || ': ' || repeat('a few words of a reader ', 6) || '</p>',
               'Reader ' || g % 50000, md5('avatar' || g % 50000), md5('visitor' || g % 50000),
               CASE WHEN g <= {hot} AND (g * 31) % 10 = 0 THEN (g * 17) % 40 ELSE 0 END,
               g IN (8, 5001, 150001),
               CASE WHEN g <= {small_end} THEN now() - interval '30 days' + g * interval '1 second'
                    ELSE now() - interval '60 days'
                         + (g - {small_end}) * (interval '60 days' / {max(comments, 1)}) END,
               CASE WHEN (g * 7919) % 100 = 99 THEN now() END
        FROM generate_series(1::bigint, {comments}) AS g
        """,
        f"""
        INSERT INTO reports (comment_id, visitor, network, reason, created_at, resolved_at)
        SELECT c.id, md5('reporter' || c.id || k), md5('net' || c.id || k), 'abuse',
               c.created_at, CASE WHEN c.id <= {comments} - 3000 THEN c.created_at END
        FROM comments AS c, generate_series(1, 3) AS k
        WHERE c.id % 10 = 3 AND c.status = 'approved'
          AND (c.id > {comments} - 3000 OR c.id % 1000 = 3)
        """,
        f"""
        INSERT INTO daily_views (article_id, day, views)
        SELECT a, current_date - d, 10 + (a * d) % 90
        FROM generate_series(1, {articles}) AS a, generate_series(0, 13) AS d
        """,
        """
        UPDATE articles SET comment_count = visible.n, thread_version = visible.n
        FROM (SELECT article_id, count(*) AS n FROM comments
              WHERE status = 'approved' AND deleted_at IS NULL GROUP BY article_id) AS visible
        WHERE articles.id = visible.article_id
        """,
        "SELECT setval('articles_id_seq', (SELECT max(id) FROM articles))",
        "SELECT setval('comments_id_seq', (SELECT max(id) FROM comments))",
        "SELECT setval('reports_id_seq', greatest((SELECT max(id) FROM reports), 1))",
    ]


def build(url: str, *, articles: int, comments: int, hot: int) -> float:
    """Empty, migrate and fill the database at ``url``; the seconds it took."""
    started = time.perf_counter()
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    database.upgrade(url)
    with engine.begin() as conn:
        for statement in bulk_sql(articles=articles, comments=comments, hot=hot):
            conn.execute(text(statement))
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return time.perf_counter() - started


def comment_total(url: str) -> int:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM comments")).scalar_one())
    except Exception:  # no such table: not built yet
        return 0
    finally:
        engine.dispose()


def sizes(url: str) -> dict[str, str]:
    """The database's size, and its comment table's and indexes'."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT pg_size_pretty(pg_database_size(current_database())),"
                " pg_size_pretty(pg_table_size('comments')),"
                " pg_size_pretty(pg_indexes_size('comments')),"
                " (SELECT pg_size_pretty(sum(pg_relation_size(indexrelid)))"
                "  FROM pg_index JOIN pg_class ON pg_class.oid = indexrelid"
                "  WHERE relname LIKE 'ix_comments_thread_%')"
            )
        ).one()
    engine.dispose()
    return dict(
        zip(("database", "comments table", "comments indexes", "thread indexes"), row, strict=True)
    )


def make(url: str, instance: str) -> Flask:
    app = create_app(
        environ={},
        DATABASE_URL=url,
        SECRET_KEY=SECRET,
        INSTANCE_PATH=instance,
        AUTO_MIGRATE=False,
        RATELIMIT_ENABLED=False,
        TRUSTED_PROXIES=1,
        ALLOWED_ORIGINS=[ORIGIN],
        THREAD_CACHE_MB=0,
        COUNTERS_CACHE_SECONDS=0,
    )
    with app.app_context():
        db = database.session()
        if accounts.by_username(db, username="bench") is None:
            accounts.create(db, username="bench", password=PASSWORD, role=Role.ADMIN)
            db.commit()
    return app


def logged_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    token = CSRF.search(client.get("/moderation/login").get_data(as_text=True))
    assert token is not None
    form = {"username": "bench", "password": PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/moderation/login", data=form).status_code == 303
    return client


def middle_cursor(app: Flask, key: str, sort: str = "oldest") -> str:
    """A cursor half-way down the thread's top-level comments in ``sort``."""
    order = {"oldest": "pinned DESC, created_at, id", "newest": "pinned DESC, created_at DESC"}
    engine = app.extensions["engagement.engine"]
    with engine.connect() as conn:
        article_id = conn.execute(
            text("SELECT id FROM articles WHERE key = :key"), {"key": key}
        ).scalar_one()
        total = conn.execute(
            text("SELECT count(*) FROM comments WHERE article_id = :a AND parent_id IS NULL"),
            {"a": article_id},
        ).scalar_one()
        row = conn.execute(
            text(
                "SELECT id, pinned, likes, created_at FROM comments"
                " WHERE article_id = :a AND parent_id IS NULL"
                " AND status = 'approved' AND deleted_at IS NULL"
                f" ORDER BY {order[sort]} OFFSET :half LIMIT 1"
            ),
            {"a": article_id, "half": max(total // 2, 1) - 1},
        ).one()
    return threads.encode_cursor(row, sort)


class Target:
    """One database's app, with the requests measured on it."""

    def __init__(self, name: str, app: Flask, articles: int) -> None:
        self.name = name
        self.app = app
        self.articles = articles
        self.client = app.test_client()
        self.moderator = logged_in(app)
        self.later = middle_cursor(app, "article-1")
        self.rng = random.Random(name)
        self.posts = 0

    def key(self) -> str:
        return f"article-{self.rng.randint(3, self.articles)}"

    def address(self) -> str:
        return ".".join(str(self.rng.randint(1, 254)) for _ in range(4))

    def requests(self) -> dict[str, Callable[[], int]]:
        client = self.client

        def view() -> int:
            headers = {"X-Forwarded-For": self.address(), "User-Agent": AGENT, "Origin": ORIGIN}
            return client.post(f"/api/v1/articles/{self.key()}/views", headers=headers).status_code

        def counters() -> int:
            keys = ",".join(self.key() for _ in range(50))
            return client.get(f"/api/v1/counters?keys={keys}").status_code

        def post() -> int:
            self.posts += 1
            body = {"text": f"A reader's comment number {self.posts} on {self.name}."}
            headers = {"X-Forwarded-For": self.address(), "User-Agent": AGENT, "Origin": ORIGIN}
            response = client.post(
                f"/api/v1/articles/{self.key()}/comments", json=body, headers=headers
            )
            return response.status_code

        return {
            "view record": view,
            "50-key counters": counters,
            "first page (biggest thread)": lambda: (
                client.get("/api/v1/articles/article-1/comments").status_code
            ),
            "later page (half-way)": lambda: (
                client.get(f"/api/v1/articles/article-1/comments?cursor={self.later}").status_code
            ),
            "comment post": post,
            "moderation pending queue page": lambda: (
                self.moderator.get("/moderation/queues/pending").status_code
            ),
        }


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(
    calls: dict[str, dict[str, Callable[[], int]]], n: int, seed: int = 1
) -> dict[str, dict[str, list[float]]]:
    """Milliseconds of each call, alternating targets in random order, ``n`` rounds."""
    rng = random.Random(seed)
    samples: dict[str, dict[str, list[float]]] = {
        name: {target: [] for target in calls} for name in next(iter(calls.values()))
    }
    for name in samples:  # warm up: connections, caches of the planner and of the OS
        for target in calls:
            for _ in range(5):
                calls[target][name]()
    for _ in range(n):
        for name in samples:
            order = list(calls)
            rng.shuffle(order)
            for target in order:
                start = time.perf_counter()
                status = calls[target][name]()
                samples[name][target].append((time.perf_counter() - start) * 1000)
                assert status in (200, 201, 202), (name, target, status)
    return samples


@contextmanager
def recorded(app: Flask) -> Iterator[list[tuple[str, Any]]]:
    """The statements the app's session engine runs in the block (the hot paths' own, sent
    straight to the driver, are added by ``hot_path_sql``)."""
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        statements.append((statement, parameters))

    engine = app.extensions["engagement.engine"]
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def explain(app: Flask, statements: list[tuple[str, Any]]) -> str:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of each reading statement, run in a rolled-back
    transaction so writes leave nothing behind."""
    engine = app.extensions["engagement.engine"]
    parts = []
    with engine.connect() as conn:
        for sql, args in statements:
            if not sql.lstrip().upper().startswith(("SELECT", "WITH", "INSERT", "UPDATE")):
                continue
            transaction = conn.begin()
            try:
                rows = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", args)
                plan = "\n".join(row[0] for row in rows)
            finally:
                transaction.rollback()
            parts.append(f"```sql\n{sql.strip()}\n```\n\n```\n{plan}\n```\n")
    return "\n".join(parts)


def plans(target: Target) -> str:
    """Every statement of each measured request, explained on ``target``'s database."""
    out = [f"# Plans on the {target.name} database\n"]
    for name, call in target.requests().items():
        with recorded(target.app) as statements:
            call()
        out.append(f"## {name}\n\n{explain(target.app, statements)}")
    out.append(f"## view record and counters: the hot paths' SQL\n\n{hot_path_plans(target)}")
    return "\n".join(out)


def hot_path_plans(target: Target) -> str:
    """The view's statement and the counters' query, which the service sends through the
    driver directly, explained with the values a request would send."""
    from engagement.pageviews import service as pageviews

    now = datetime.now(UTC)
    keys = [target.key() for _ in range(50)]
    view_args = {
        "key": target.key(),
        "visitor": "f" * 64,
        "now": now,
        "window_start": now,
        "day": now.date(),
    }
    statements = [
        (pageviews._POSTGRES_VIEW, view_args),
        (
            "SELECT key, comment_count, view_count FROM articles WHERE key = ANY(%(keys)s)",
            {"keys": keys},
        ),
    ]
    return explain(target.app, statements)


def table(samples: dict[str, dict[str, list[float]]], big: str, small: str) -> str:
    lines = [
        f"| request | {big} p50 | {big} p99 | {small} p50 | {small} p99 | p99 ratio |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, by_target in samples.items():
        b, s = by_target[big], by_target[small]
        ratio = percentile(b, 0.99) / percentile(s, 0.99)
        lines.append(
            f"| {name} | {statistics.median(b):.1f} | {percentile(b, 0.99):.1f}"
            f" | {statistics.median(s):.1f} | {percentile(s, 0.99):.1f} | {ratio:.2f}x |"
        )
    return "\n".join(lines)


def thread_sizes(app: Flask, n: int) -> str:
    """First page of the 200k-comment thread against the 30-comment one, each sort."""
    client = app.test_client()
    calls: dict[str, dict[str, Callable[[], int]]] = {
        size: {
            sort: (
                lambda key=key, sort=sort: (
                    client.get(f"/api/v1/articles/{key}/comments?sort={sort}").status_code
                )
            )
            for sort in threads.SORTS
        }
        for size, key in (("200k", "article-1"), ("30", "article-2"))
    }
    samples = measure(calls, n, seed=2)
    lines = [
        "| sort | 200k p50 | 200k p99 | 30 p50 | 30 p99 | p50 ratio | p99 ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for sort, by_size in samples.items():
        big, small = by_size["200k"], by_size["30"]
        lines.append(
            f"| {sort} | {statistics.median(big):.2f} | {percentile(big, 0.99):.2f}"
            f" | {statistics.median(small):.2f} | {percentile(small, 0.99):.2f}"
            f" | {statistics.median(big) / statistics.median(small):.2f}x"
            f" | {percentile(big, 0.99) / percentile(small, 0.99):.2f}x |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", default="postgresql://postgres@127.0.0.1:5432/bench_million")
    parser.add_argument("--small", default="postgresql://postgres@127.0.0.1:5432/bench_near_empty")
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--hot", type=int, default=200_000)
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--keep", action="store_true", help="reuse a big database already built")
    args = parser.parse_args()

    out = OUT / f"million-{time.strftime('%Y%m%d-%H%M%S')}"
    out.mkdir(parents=True)
    report: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        report.append(line)

    if args.keep and comment_total(args.big) >= args.comments:
        say(f"big database kept: {comment_total(args.big):,} comments")
    else:
        seconds = build(args.big, articles=args.articles, comments=args.comments, hot=args.hot)
        say(f"big database built in {seconds:.0f} s")
    seconds = build(args.small, articles=100, comments=330, hot=30)
    say(f"near-empty database built in {seconds:.1f} s\n")

    say("| database | size | comments table | comments indexes | of which thread indexes |")
    say("|---|---:|---:|---:|---:|")
    for name, url in (("1M comments", args.big), ("near-empty", args.small)):
        found = sizes(url)
        say(f"| {name} | {' | '.join(found.values())} |")

    with tempfile.TemporaryDirectory() as tmp:
        big = Target("1M", make(args.big, f"{tmp}/big"), args.articles)
        small = Target("near-empty", make(args.small, f"{tmp}/small"), 100)
        (out / "plans-1M.md").write_text(plans(big))
        (out / "plans-near-empty.md").write_text(plans(small))
        say(f"\n{args.n} requests of each kind on each database, ms:\n")
        samples = measure({"1M": big.requests(), "near-empty": small.requests()}, args.n)
        say(table(samples, "1M", "near-empty"))
        say("\nFirst page, 200k-comment thread against 30-comment thread (1M database), ms:\n")
        say(thread_sizes(big.app, args.n))
    (out / "table.md").write_text("\n".join(report) + "\n")
    (out / "samples.json").write_text(json.dumps(samples))
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
