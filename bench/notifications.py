#!/usr/bin/env python3
"""What notifications cost a comment post, and how fast one worker delivers.

    .venv/bin/python bench/notifications.py [--db sqlite,postgres] [--rounds 2] [--duration 10]

Two copies of the service under gunicorn (two sync workers each), side by side, on databases
of their own: **plain**, with no mail server and no webhook endpoint (nothing listens, so no
event is written), and **notifying**, with a mail server (a local catcher) and two enabled
webhook endpoints taking every event, so each post writes its outbox event, and each post's
reader (one of 50 per wrk thread) asks for reply mails. Rounds alternate the two. Posts are
``POST /api/v1/articles/<key>/comments`` from ``lua/post_comment.lua``; no worker runs while
wrk does, so the figures are the posting path's own.

Then one ``engagement worker`` process (mail off, so webhooks alone) drains the notifying
copy's outbox for ``--drain`` seconds, its start-up included, into a local receiver answering
204 at once: events per second (each event fanned out to two endpoints and both deliveries
made, signed and logged) and deliveries per second.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # bench/run.py: servers, wrk, HTTP helpers

PLAIN_PORT, NOTIFYING_PORT, RECEIVER_PORT = 8650, 8651, 8652
POSTGRES = {
    "plain": "postgresql://postgres@127.0.0.1:5432/bench_notify_plain",
    "notifying": "postgresql://postgres@127.0.0.1:5432/bench_notify_hooks",
}


class Receiver:
    """A webhook receiver that answers 204 at once and counts what it got."""

    def __init__(self, port: int) -> None:
        self.count = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.count += 1
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((run.HOST, port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def database(db: str, copy: str, out: Path) -> str:
    if db == "sqlite":
        folder = out / f"instance-{db}-{copy}"
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{folder / 'engagement.sqlite3'}"
    from sqlalchemy import create_engine, text

    url = POSTGRES[copy]
    server = create_engine(
        url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/postgres",
        isolation_level="AUTOCOMMIT",
    )
    with server.connect() as conn:
        name = url.rsplit("/", 1)[1]
        if not conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    run.reset_postgres(url)
    return url


def environment(db: str, copy: str, out: Path, smtp_port: int) -> dict[str, str]:
    instance = out / f"instance-{db}-{copy}"
    instance.mkdir(parents=True, exist_ok=True)
    env = {
        "ENGAGEMENT_DATABASE_URL": database(db, copy, out),
        "ENGAGEMENT_SECRET_KEY": run.SECRET,
        "ENGAGEMENT_INSTANCE_PATH": str(instance),
        "ENGAGEMENT_AUTO_MIGRATE": "true",
        "ENGAGEMENT_LOG_LEVEL": "warning",
        "ENGAGEMENT_TRUSTED_PROXIES": "1",
        "ENGAGEMENT_RATELIMIT_ENABLED": "false",
    }
    if copy == "notifying":
        env |= {
            "ENGAGEMENT_SMTP_HOST": "127.0.0.1",
            "ENGAGEMENT_SMTP_PORT": str(smtp_port),
            "ENGAGEMENT_SMTP_TLS": "none",
            "ENGAGEMENT_MAIL_FROM": "bench@example.com",
            "ENGAGEMENT_PUBLIC_URL": "http://127.0.0.1",
            "ENGAGEMENT_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
        }
    return env


def create_token(env: dict[str, str]) -> str:
    """A token that registers articles and webhooks."""
    result = subprocess.run(
        [
            *(str(run.VENV_BIN / "engagement"), "create-token", "bench"),
            *("--scope", "articles", "--scope", "moderation"),
        ],
        env={**run.os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
        cwd=run.ROOT,
    )
    return result.stdout.strip().rsplit(" ", 1)[-1]


def add_endpoints(base: str, token: str) -> None:
    for name in ("crm", "search"):
        status, body = run.http(
            "POST",
            f"{base}/api/v1/moderation/webhooks",
            {"url": f"http://127.0.0.1:{RECEIVER_PORT}/{name}", "events": EVENTS},
            {"Authorization": f"Bearer {token}"},
        )
        if status != 201:
            raise SystemExit(f"registering a webhook failed: {status} {body}")


EVENTS = [
    "comment.created",
    "comment.approved",
    "comment.rejected",
    "comment.deleted",
    "comment.edited",
    "comment.reported",
    "article.closed",
    "article.opened",
]


def posts(bench: run.Bench, server: run.Server, token: str, name: str, group: str) -> None:
    round_ = len(bench.records)
    key, warm = f"bench-{round_}", f"bench-{round_}-warm"
    run.register(server.url, token, key, "Posting")
    run.register(server.url, token, warm, "Posting, warmup")
    mode = "notify" if name == "notifying" else "engagement"
    bench.measure(
        name=name,
        group=group,
        url=f"{server.url}/api/v1/articles/{key}/comments",
        warm_url=f"{server.url}/api/v1/articles/{warm}/comments",
        drain_url=f"{server.url}/healthz",
        script="post_comment.lua",
        args=[mode, str(round_)],
        warm_args=[mode, f"{round_}w"],
    )


def outbox(env: dict[str, str]) -> tuple[int, int]:
    """(events waiting, deliveries made) in the notifying copy's database."""
    from sqlalchemy import create_engine, text

    url = env["ENGAGEMENT_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    with engine.connect() as conn:
        events = conn.execute(text("SELECT count(*) FROM outbox_events")).scalar_one()
        delivered = conn.execute(
            text("SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered'")
        ).scalar_one()
    engine.dispose()
    return int(events), int(delivered)


def worker_rate(env: dict[str, str], seconds: int, log: Path) -> dict[str, float]:
    receiver = Receiver(RECEIVER_PORT)
    waiting, _ = outbox(env)
    started = time.monotonic()
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(run.VENV_BIN / "engagement"), "worker", "--batch", "100"],
            # Webhooks alone: the confirmation mails to the catcher would share the time.
            env={**run.os.environ, **env, "ENGAGEMENT_SMTP_HOST": ""},
            stdout=out,
            stderr=out,
            preexec_fn=run._niced,
        )
    time.sleep(seconds)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    elapsed = time.monotonic() - started
    left, delivered = outbox(env)
    receiver.stop()
    return {
        "events_waiting": waiting,
        "events_fanned_out": waiting - left,
        "deliveries": delivered,
        "received": receiver.count,
        "seconds": round(elapsed, 1),
        "events_per_s": round(delivered / 2 / elapsed, 1),
        "deliveries_per_s": round(delivered / elapsed, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--conns", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--drain", type=int, default=20, help="seconds the worker runs")
    parser.add_argument("--nice", type=int, default=0)
    args = parser.parse_args()
    run.NICE["value"] = args.nice
    out = run.BENCH / "out" / time.strftime("notifications-%Y%m%d-%H%M%S")
    (out / "raw").mkdir(parents=True)
    (out / "logs").mkdir()
    bench = run.Bench(out=out, duration=args.duration, warmup=args.warmup, conns=args.conns)

    from engagement.notifications.catcher import MailCatcher

    catcher = MailCatcher(out / "mail").start()
    rates: dict[str, dict[str, float]] = {}
    try:
        for db in args.db.split(","):
            print(f"== {db}", flush=True)
            envs = {
                copy: environment(db, copy, out, catcher.port) for copy in ("plain", "notifying")
            }
            servers = {
                copy: run.Server(
                    name=f"engagement-{copy}",
                    app="wsgi:app",
                    port=PLAIN_PORT if copy == "plain" else NOTIFYING_PORT,
                    chdir=run.ROOT,
                    log=out / "logs" / f"{db}-{copy}.log",
                    env=envs[copy],
                )
                for copy in envs
            }
            try:
                for server in servers.values():
                    server.start()
                tokens = {copy: create_token(envs[copy]) for copy in envs}
                add_endpoints(servers["notifying"].url, tokens["notifying"])
                for _ in range(args.rounds):
                    for copy in ("plain", "notifying"):
                        posts(bench, servers[copy], tokens[copy], copy, db)
            finally:
                for server in servers.values():
                    server.stop()
            rates[db] = worker_rate(
                envs["notifying"], args.drain, out / "logs" / f"{db}-worker.log"
            )
            print(f"  worker: {rates[db]}", flush=True)
    finally:
        catcher.stop()

    lines = [
        "| database | posts, plain (req/s) | posts, notifying (req/s) | ratio | goal "
        "| one worker: events/s (deliveries/s) |",
        "|---|---:|---:|---:|---|---|",
    ]
    for db, rate in rates.items():
        medians = {
            name: statistics.median(
                r["rps"] for r in bench.records if r["group"] == db and r["name"] == name
            )
            for name in ("plain", "notifying")
        }
        ratio = medians["notifying"] / medians["plain"]
        runs = {
            name: ", ".join(
                f"{r['rps']:.0f}" for r in bench.records if r["group"] == db and r["name"] == name
            )
            for name in medians
        }
        lines.append(
            f"| {db} | {medians['plain']:.1f} ({runs['plain']}) | {medians['notifying']:.1f} "
            f"({runs['notifying']}) | {ratio:.2f} | ≥ 0.9: {'met' if ratio >= 0.9 else 'MISSED'} "
            f"| {rate['events_per_s']} ({rate['deliveries_per_s']}; {rate['deliveries']} "
            f"deliveries in {rate['seconds']} s) |"
        )
    table = "\n".join(lines)
    (out / "table.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
