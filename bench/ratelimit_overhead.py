#!/usr/bin/env python3
"""What a rate limit costs per request: the same requests with limits off, in memory, in Redis.

    .venv/bin/python bench/ratelimit_overhead.py [--redis redis://127.0.0.1:6379/2] [--n 3000]

In-process (Flask's test client, no network between client and app), on a temporary SQLite
file, so the figures isolate the limiter's own work: one moving-window check per request, plus
one Redis round trip with ``redis://``. Requests alternate one by one between the three setups,
so drift in the machine's load reaches all of them alike; the table shows the median time per
request in microseconds. The Redis keys it writes are deleted at the end.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import redis
from flask import Flask

from engagement import create_app
from engagement import db as database
from engagement.articles import service as articles

SECRET = "bench-secret-key-0123456789"
ROUTES = {
    "GET counters": ("GET", "/api/v1/counters?keys=bench"),
    "POST views": ("POST", "/api/v1/articles/bench/views"),
}


def build(url: str, instance: Path, storage: str | None) -> Flask:
    settings: dict[str, object] = {
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET,
        "INSTANCE_PATH": str(instance),
        "RATELIMIT_ENABLED": storage is not None,
        # High enough never to refuse: the cost of counting, not of refusing, is measured.
        "LIMIT_READS": "100000000 per minute",
        "LIMIT_VIEWS": "100000000 per minute",
    }
    if storage is not None:
        settings["RATELIMIT_STORAGE_URL"] = storage
    return create_app(environ={}, **settings)


def interleaved(apps: dict[str, Flask], method: str, path: str, n: int) -> dict[str, float]:
    """Median µs per request of each app, requests interleaved one by one across the apps."""
    clients = {name: app.test_client() for name, app in apps.items()}
    headers = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"}
    timings: dict[str, list[float]] = {name: [] for name in apps}
    for round_ in range(n + 50):
        for name, client in clients.items():
            start = time.perf_counter()
            client.open(path, method=method, headers=headers)
            if round_ >= 50:  # the first ones warm up
                timings[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) * 1e6 for name, values in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/2")
    parser.add_argument("--n", type=int, default=3000)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-ratelimit-"))
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    database.upgrade(url)
    setups = {"off": None, "memory://": "memory://", "redis://": args.redis}
    apps = {name: build(url, folder / name[:5], storage) for name, storage in setups.items()}
    with apps["off"].app_context():
        session = database.session()
        articles.put(session, key="bench", title="Bench")
        session.commit()

    print(f"median µs per request of {args.n}, interleaved (in-process, SQLite)\n")
    print("| route | limits off | memory:// | redis:// |")
    print("|---|---|---|---|")
    for route, (method, path) in ROUTES.items():
        medians = interleaved(apps, method, path, args.n)
        print(f"| {route} | {' | '.join(f'{medians[name]:.0f}' for name in setups)} |")

    client = redis.Redis.from_url(args.redis)
    keys = list(client.scan_iter("LIMITS:LIMITER/engagement/*"))
    if keys:
        client.delete(*keys)


if __name__ == "__main__":
    main()
