#!/usr/bin/env python3
"""A hot thread: readers load the first page of a 200,000-comment thread while a comment
arrives on it every second.

    .venv/bin/python bench/hot_thread.py \\
        --url postgresql://postgres@127.0.0.1:5432/bench_million [--seconds 30] [--readers 2]

Needs the database ``bench/million.py`` builds (its ``article-1`` is the 200k-comment thread);
the posts this adds land in that thread. Runs the service under gunicorn (two sync workers,
127.0.0.1:``--port``) and, for ``--seconds`` each, three phases: readers alone with the
service's thread cache; readers with one post per second, cache on; the same with the cache
off (``ENGAGEMENT_THREAD_CACHE_MB=0``), where every read is an uncached page. Each reader is a
thread of this script asking for the first page (the three sorts in turn) as soon as its last
answer came, one connection per request. The table gives p50, p99 and the slowest read in
milliseconds, and how many posts were answered 201.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import HOST, Server

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-key-0123456789"
ORIGIN = "https://magazine.example"
SORTS = ("oldest", "newest", "top")


def request(port: int, method: str, path: str, body: bytes | None = None, **headers: str) -> int:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def read_loop(port: int, stop: threading.Event, samples: list[float], seed: int) -> None:
    turn = seed
    while not stop.is_set():
        sort = SORTS[turn % len(SORTS)]
        turn += 1
        start = time.perf_counter()
        status = request(port, "GET", f"/api/v1/articles/article-1/comments?sort={sort}")
        samples.append((time.perf_counter() - start) * 1000)
        if status != 200:
            raise SystemExit(f"the first page answered {status}")


def post_loop(port: int, stop: threading.Event, answers: list[int]) -> None:
    rng = random.Random(time.time_ns())  # texts of their own: a repeat would be held as spam
    number = 0
    next_at = time.monotonic()
    while not stop.is_set():
        number += 1
        body = json.dumps({"text": f"A hot take, number {number} ({rng.random():.6f})."})
        answers.append(
            request(
                port,
                "POST",
                "/api/v1/articles/article-1/comments",
                body.encode(),
                **{
                    "Content-Type": "application/json",
                    "Origin": ORIGIN,
                    "X-Forwarded-For": f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.7",
                },
            )
        )
        next_at += 1.0
        stop.wait(max(0.0, next_at - time.monotonic()))


def phase(port: int, seconds: float, readers: int, posting: bool) -> tuple[list[float], list[int]]:
    stop = threading.Event()
    samples: list[float] = []
    answers: list[int] = []
    workers = [
        threading.Thread(target=read_loop, args=(port, stop, samples, seed))
        for seed in range(readers)
    ]
    if posting:
        workers.append(threading.Thread(target=post_loop, args=(port, stop, answers)))
    for worker in workers:
        worker.start()
    time.sleep(seconds)
    stop.set()
    for worker in workers:
        worker.join(timeout=60)
    return samples, answers


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/bench_million")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--port", type=int, default=18193)
    args = parser.parse_args()

    lines = [
        "| phase | reads | p50 ms | p99 ms | slowest ms | posts (201) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    phases = (
        ("cache on, no posts", "64", False),
        ("cache on, one post per second", "64", True),
        ("cache off, one post per second", "0", True),
    )
    with tempfile.TemporaryDirectory() as tmp:
        for name, cache_mb, posting in phases:
            server = Server(
                name="engagement",
                app="wsgi:app",
                port=args.port,
                chdir=ROOT,
                log=Path(tmp) / "server.log",
                env={
                    "ENGAGEMENT_DATABASE_URL": args.url,
                    "ENGAGEMENT_SECRET_KEY": SECRET,
                    "ENGAGEMENT_INSTANCE_PATH": tmp,
                    "ENGAGEMENT_AUTO_MIGRATE": "false",
                    "ENGAGEMENT_LOG_LEVEL": "warning",
                    "ENGAGEMENT_TRUSTED_PROXIES": "1",
                    "ENGAGEMENT_RATELIMIT_ENABLED": "false",
                    "ENGAGEMENT_ALLOWED_ORIGINS": ORIGIN,
                    "ENGAGEMENT_THREAD_CACHE_MB": cache_mb,
                },
            )
            server.start()
            try:
                phase(args.port, 3, args.readers, posting=False)  # warm up
                samples, answers = phase(args.port, args.seconds, args.readers, posting)
            finally:
                server.stop()
            created = sum(1 for status in answers if status == 201)
            lines.append(
                f"| {name} | {len(samples)} | {statistics.median(samples):.1f}"
                f" | {percentile(samples, 0.99):.1f} | {max(samples):.1f}"
                f" | {created if posting else '-'} |"
            )
            print(lines[-1], flush=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
