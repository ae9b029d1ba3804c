#!/usr/bin/env python3
"""How long the moderation pages take on a busy site: queues, dashboard, one action.

    .venv/bin/python bench/moderation_pages.py [--comments 20000] [--articles 500] [--n 30]
        [--postgres postgresql://postgres@127.0.0.1:5432/bench_engagement]

In-process (Flask's test client, logged in as a moderator), on a temporary SQLite file or, with
``--postgres``, on that database (emptied and migrated first). The site holds ``--articles``
articles with 30 days of daily views each and ``--comments`` comments over those days: a third
pending, a tenth spam, one in twenty reported three times, the rest approved. Each page is
requested ``--n`` times; the table shows the median and the slowest, in milliseconds.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, insert, text

from engagement import create_app, tokens
from engagement import db as database
from engagement.models import (
    Article,
    Comment,
    CommentStatus,
    DailyViews,
    Report,
    Role,
    TokenScope,
)
from engagement.moderation import accounts
from engagement.moderation.audit import Actor

SECRET = "bench-secret-key-0123456789"
PASSWORD = "bench password 123"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

SETUP = Actor(name="setup")


def reset_postgres(url: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def seed(app: Flask, *, articles: int, comments: int) -> None:
    """A month of a busy magazine, inserted in bulk."""
    rng = random.Random(7)
    now = datetime.now(UTC)
    with app.app_context():
        db = database.session()
        db.execute(
            insert(Article),
            [
                {"key": f"story-{n}", "title": f"Story {n}", "created_at": now, "updated_at": now}
                for n in range(articles)
            ],
        )
        ids = [row[0] for row in db.execute(text("SELECT id FROM articles ORDER BY id"))]
        db.execute(
            insert(DailyViews),
            [
                {"article_id": ident, "day": (now - timedelta(days=d)).date(), "views": 50 + d}
                for ident in ids
                for d in range(30)
            ],
        )
        rows = []
        for n in range(comments):
            roll = rng.random()
            status = (
                CommentStatus.PENDING
                if roll < 0.33
                else CommentStatus.SPAM
                if roll < 0.43
                else CommentStatus.APPROVED
            )
            rows.append(
                {
                    "article_id": rng.choice(ids),
                    "status": status,
                    "text": f"Comment number {n} with a few words in it.",
                    "html": f"<p>Comment number {n} with a few words in it.</p>",
                    "author_name": f"Reader {n % 900}",
                    "avatar": "0" * 32,
                    "visitor": f"{n % 900:032x}",
                    "likes": 0,
                    "pinned": False,
                    "created_at": now - timedelta(seconds=rng.randrange(30 * 86400)),
                }
            )
        db.execute(insert(Comment), rows)
        comment_ids = [row[0] for row in db.execute(text("SELECT id FROM comments"))]
        reported = comment_ids[::20]
        db.execute(
            insert(Report),
            [
                {"comment_id": ident, "visitor": f"r{k}", "reason": "abuse", "created_at": now}
                for ident in reported
                for k in range(3)
            ],
        )
        accounts.create(db, actor=SETUP, username="bench", password=PASSWORD, role=Role.ADMIN)
        db.commit()
        # Planner statistics, as a live database has them (autovacuum, or SQLite's ANALYZE).
        db.execute(text("ANALYZE"))
        db.commit()


def logged_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    token = CSRF.search(client.get("/moderation/login").get_data(as_text=True))
    assert token is not None
    form = {"username": "bench", "password": PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/moderation/login", data=form).status_code == 303
    return client


def timed(call: Callable[[], int], n: int) -> tuple[float, float]:
    call()  # warm up
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        status = call()
        samples.append((time.perf_counter() - start) * 1000)
        assert status in (200, 303), status
    return statistics.median(samples), max(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=20000)
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--postgres", default="")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.postgres or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        if args.postgres:
            reset_postgres(url)
        database.upgrade(url)
        app = create_app(
            environ={},
            DATABASE_URL=url,
            SECRET_KEY=SECRET,
            INSTANCE_PATH=tmp,
            AUTO_MIGRATE=False,
            RATELIMIT_ENABLED=False,
        )
        seed(app, articles=args.articles, comments=args.comments)
        client = logged_in(app)
        with app.app_context():
            db = database.session()
            _, secret = tokens.create(db, actor=SETUP, name="bench", scopes=[TokenScope.MODERATION])
            db.commit()
        bearer = {"Authorization": f"Bearer {secret}"}
        token = CSRF.search(client.get("/moderation/").get_data(as_text=True))
        assert token is not None
        pending = iter(
            int(found)
            for found in re.findall(
                r'data-comment-id="(\d+)"',
                client.get("/moderation/queues/pending").get_data(as_text=True),
            )
        )

        def approve_next() -> int:
            form = {"csrf_token": token.group(1), "next": "/moderation/queues/pending"}
            return client.post(
                f"/moderation/comments/{next(pending)}/approve", data=form
            ).status_code

        pages: dict[str, Callable[[], int]] = {
            "dashboard `/moderation/`": lambda: client.get("/moderation/").status_code,
            "pending queue page (50 items)": lambda: (
                client.get("/moderation/queues/pending").status_code
            ),
            "reported queue page (50 items)": lambda: (
                client.get("/moderation/queues/reported").status_code
            ),
            "`GET /api/v1/moderation/queues/pending` (50 items)": lambda: (
                client.get("/api/v1/moderation/queues/pending", headers=bearer).status_code
            ),
            "one-click approve (POST answered by a redirect)": approve_next,
        }
        backend = "PostgreSQL" if args.postgres else "SQLite"
        print(f"{backend}, {args.comments} comments on {args.articles} articles, n={args.n}\n")
        print("| page | median ms | slowest ms |\n|---|---|---|")
        for name, call in pages.items():
            median, slowest = timed(call, min(args.n, 45) if "approve" in name else args.n)
            print(f"| {name} | {median:.1f} | {slowest:.1f} |")
        app.extensions["engagement.engine"].dispose()


if __name__ == "__main__":
    main()
