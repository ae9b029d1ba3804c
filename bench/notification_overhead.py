#!/usr/bin/env python3
"""What notifications cost a comment post, request by request, robust to a busy machine.

    .venv/bin/python bench/notification_overhead.py [--n 2000] [--postgres URL]

In-process (Flask's test client), two copies of the service on databases of their own:
**plain** (no mail server, no webhook endpoint: nothing listens, no event is written) and
**notifying** (a mail server set, two enabled webhook endpoints taking every event, and every
post asking for reply mails from one of 50 readers). Posts alternate one by one between the
two, so drift in the machine's load reaches both alike; the table shows the median time per
post in microseconds and the ratio of posts per second. No worker runs: this is the posting
path's own cost. ``bench/notifications.py`` measures the same under gunicorn and wrk.

Then one worker (``Worker.drain``, in-process, mail off: webhooks alone) delivers the
notifying copy's events to a local receiver answering 204 at once: events per second, each
fanned out to the two endpoints and both deliveries made, signed and logged.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, text

from engagement import create_app
from engagement import db as database
from engagement.articles import service as articles
from engagement.notifications import events, webhooks
from engagement.notifications.worker import Worker

SECRET = "bench-secret-key-0123456789"
MAIL = {
    "SMTP_HOST": "127.0.0.1",
    "SMTP_PORT": 2525,
    "SMTP_TLS": "none",
    "MAIL_FROM": "bench@example.com",
    "PUBLIC_URL": "http://127.0.0.1",
}


def reset(url: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def build(url: str, instance: Path, notifying: bool) -> Flask:
    settings: dict[str, Any] = {
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET,
        "INSTANCE_PATH": str(instance),
        "RATELIMIT_ENABLED": False,
        "AUTO_MIGRATE": False,
        "WEBHOOK_ALLOWED_NETWORKS": ["127.0.0.0/8"],
        **(MAIL if notifying else {}),
    }
    app = create_app(environ={}, **settings)
    with app.app_context():
        db = database.session()
        articles.put(db, key="bench", title="Bench")
        if notifying:
            for name in ("crm", "search"):
                url = f"http://127.0.0.1:{RECEIVER_PORT}/{name}"
                webhooks.create(db, url=url, events=list(events.EVENTS))
        db.commit()
    return app


RECEIVER_PORT = 8653


def start_receiver() -> tuple[ThreadingHTTPServer, list[int]]:
    """A receiver answering 204 at once (HTTP/1.1, kept alive); the list counts requests."""
    received: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.append(1)
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", RECEIVER_PORT), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, received


def worker_rate(app: Flask, events_waiting: int) -> tuple[float, float, int]:
    """(events/s, seconds, deliveries received) of one in-process worker draining the outbox."""
    server, received = start_receiver()
    app.config["SMTP_HOST"] = ""  # webhooks alone
    started = time.perf_counter()
    Worker(app, batch=100).drain(limit=100_000)
    seconds = time.perf_counter() - started
    server.shutdown()
    server.server_close()
    return events_waiting / seconds, seconds, len(received)


def interleaved(apps: dict[str, Flask], n: int) -> dict[str, float]:
    """Median µs per post of each app, posts interleaved one by one across the apps."""
    clients = {name: app.test_client() for name, app in apps.items()}
    timings: dict[str, list[float]] = {name: [] for name in apps}
    for round_ in range(n + 50):
        for name, client in clients.items():
            body: dict[str, Any] = {"text": f"comment {round_} with *some* markdown"}
            if name == "notifying":
                body |= {
                    "author_email": f"reader-{round_ % 50}@example.com",
                    "notify_replies": True,
                    "lang": "en",
                }
            headers = {"User-Agent": f"Mozilla/5.0 (X11; Linux x86_64) reader {round_}"}
            start = time.perf_counter()
            answer = client.post("/api/v1/articles/bench/comments", json=body, headers=headers)
            if round_ >= 50:  # the first ones warm up
                timings[name].append(time.perf_counter() - start)
            assert answer.status_code == 201, answer.json
    return {name: statistics.median(values) * 1e6 for name, values in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument(
        "--postgres",
        nargs=2,
        metavar=("PLAIN_URL", "NOTIFYING_URL"),
        help="two PostgreSQL databases to empty and use instead of SQLite files",
    )
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-notifications-"))
    urls = {
        "plain": f"sqlite:///{folder / 'plain.sqlite3'}",
        "notifying": f"sqlite:///{folder / 'notifying.sqlite3'}",
    }
    if args.postgres:
        urls = dict(zip(urls, args.postgres, strict=True))
        for url in urls.values():
            reset(url)
    for url in urls.values():
        database.upgrade(url)
    apps = {name: build(url, folder / name, name == "notifying") for name, url in urls.items()}
    medians = interleaved(apps, args.n)
    kind = "PostgreSQL" if args.postgres else "SQLite"
    print(f"median µs per post of {args.n}, interleaved (in-process, {kind})\n")
    print("| plain | notifying | posts/s, notifying ÷ plain |")
    print("|---:|---:|---:|")
    ratio = medians["plain"] / medians["notifying"]
    print(f"| {medians['plain']:.0f} | {medians['notifying']:.0f} | {ratio:.2f} |")
    waiting = args.n + 51  # every post, the warmup's and the article's registration
    rate, seconds, received = worker_rate(apps["notifying"], waiting)
    print(
        f"\none worker: {rate:.0f} events/s ({waiting} events, {received} deliveries "
        f"to two endpoints, in {seconds:.1f} s)"
    )


if __name__ == "__main__":
    main()
