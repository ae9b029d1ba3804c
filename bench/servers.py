#!/usr/bin/env python3
"""The production server, chosen by measurement: the candidates a Flask operator would pick,
side by side in one run, on bare Flask and on the service's hot paths, then under slow clients.

    .venv/bin/python bench/servers.py [--rounds 2] [--duration 8] [--conns 16] [--slow 200]

Candidates (two workers each, one per core, 127.0.0.1):

- ``sync+nginx``: gunicorn's sync workers behind Debian's nginx with the shipped site
  (``deploy/nginx-engagement.conf``: request and answer buffering, keep-alive upstream);
- ``gthread``: gunicorn's threaded workers (8 threads each);
- ``gevent``: gunicorn's gevent workers (1,000 connections each);
- ``granian``: granian's WSGI mode with the shipped settings (``deploy/granian.env``).

Each round measures, for each candidate: the bare Flask endpoint (``bench/hello.py``), a view
(``POST /api/v1/articles/<key>/views``, a new visitor every request), a 50-key counters batch
and the first page of a 300-comment thread, on PostgreSQL, with ``wrk -t2 -cN`` keep-alive
clients. Then the slow-client probe: ``--slow`` connections that trickle their headers in, one
line a second, held open while ``wrk -c4`` asks for the bare endpoint for ``--duration``
seconds; its p99 and errors tell whether the slow clients starved the server.

Results go to ``bench/out/servers-<time>/`` (``results.jsonl``, raw wrk output, server logs,
``table.md``); the table is printed. See bench/results.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(BENCH), str(ROOT)]

import run  # noqa: E402  (bench/run.py: wrk, draining, seeding)

from tests.serving import processes  # noqa: E402

HOST = "127.0.0.1"
HELLO_PORT, APP_PORT, HELLO_PROXY_PORT, APP_PROXY_PORT = 8410, 8411, 8412, 8413
VENV_BIN = Path(sys.executable).parent
CANDIDATES = ("sync", "sync+nginx", "gthread", "gevent", "granian")
# With --only: granian with 2, 4 or 8 application threads per worker.
THREAD_VARIANTS = ("granian-t2", "granian-t4", "granian-t8")
# granian's application threads per worker (GRANIAN_BLOCKING_THREADS); plain "granian" runs
# the shipped deploy/granian.env as it is.
GRANIAN_THREADS = {"granian": None, "granian-t2": "2", "granian-t4": "4", "granian-t8": "8"}
THREAD_KEY = "article-1"


def gunicorn(kind: str, app: str, port: int, chdir: Path) -> list[str]:
    argv = [str(VENV_BIN / "gunicorn"), "--no-control-socket", "--chdir", str(chdir)]
    argv += ["-w", "2", "-b", f"{HOST}:{port}", "--keep-alive", "5"]
    if kind == "gthread":
        argv += ["-k", "gthread", "--threads", "8"]
    elif kind == "gevent":
        argv += ["-k", "gevent", "--worker-connections", "1000"]
    return [*argv, app]


class Candidate:
    """One server kind, serving the bare endpoint and the service; nginx in front if asked."""

    def __init__(self, kind: str, out: Path, env: dict[str, str]) -> None:
        self.kind = kind
        self.out = out
        self.env = env
        self.children: list[subprocess.Popen[bytes]] = []

    def _start(self, app: str, port: int, chdir: Path, env: dict[str, str]) -> None:
        log = self.out / "logs" / f"{self.kind}-{port}.log"
        if self.kind in GRANIAN_THREADS:
            threads = GRANIAN_THREADS[self.kind]
            settings = {"GRANIAN_BLOCKING_THREADS": threads} if threads else {}
            process = processes.start_server(
                port, env, log=log, app=app, chdir=chdir, settings=settings
            )
        else:
            with log.open("ab") as out:
                process = subprocess.Popen(
                    gunicorn(self.kind, app, port, chdir),
                    env={**os.environ, **env},
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
        self.children.append(process)
        processes.wait_until_up(
            f"http://{HOST}:{port}/healthz" if app == "wsgi:app" else f"http://{HOST}:{port}/hello",
            process,
            self.kind,
            60,
        )

    def start(self) -> None:
        self._start("hello:app", HELLO_PORT, BENCH, self.env)
        app_env = dict(self.env)
        if self.kind == "sync+nginx":
            # wrk's X-Forwarded-For is one more proxy in front of nginx.
            app_env["ENGAGEMENT_TRUSTED_PROXIES"] = "2"
        self._start("wsgi:app", APP_PORT, ROOT, app_env)
        if self.kind == "sync+nginx":
            for port, upstream in ((HELLO_PROXY_PORT, HELLO_PORT), (APP_PROXY_PORT, APP_PORT)):
                nginx = processes.start_nginx(
                    self.out / f"nginx-{port}", port, [f"{HOST}:{upstream}"]
                )
                self.children.append(nginx)
                processes.wait_until_up(
                    f"http://{HOST}:{port}/healthz"
                    if upstream == APP_PORT
                    else f"http://{HOST}:{port}/hello",
                    nginx,
                    "nginx",
                    30,
                )

    def stop(self) -> None:
        for child in reversed(self.children):
            processes.stop(child)
        self.children.clear()

    @property
    def hello(self) -> str:
        return f"http://{HOST}:{HELLO_PROXY_PORT if self.kind == 'sync+nginx' else HELLO_PORT}"

    @property
    def app(self) -> str:
        return f"http://{HOST}:{APP_PROXY_PORT if self.kind == 'sync+nginx' else APP_PORT}"


def slow_clients(count: int, port: int, seconds: float, held: list[int]) -> None:
    """Open ``count`` connections that send a header line a second for ``seconds``."""
    socks = []
    for _ in range(count):
        try:
            sock = socket.create_connection((HOST, port), timeout=2)
            sock.sendall(b"GET /hello HTTP/1.1\r\nHost: bench\r\n")
            socks.append(sock)
        except OSError:
            break
    held.append(len(socks))
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        time.sleep(1)
        n += 1
        alive = 0
        for sock in socks:
            try:
                sock.sendall(f"X-Slow-{n}: x\r\n".encode())
                alive += 1
            except OSError:
                pass
        held.append(alive)
    for sock in socks:
        sock.close()


def probe_slow(bench: run.Bench, candidate: Candidate, slow: int) -> dict[str, Any]:
    """wrk -c4 on the bare endpoint while ``slow`` connections trickle their headers in."""
    port = int(candidate.hello.rsplit(":", 1)[1])
    url = f"{candidate.hello}/hello"
    run.drain(url)
    held: list[int] = []
    trickle = threading.Thread(
        target=slow_clients, args=(slow, port, bench.duration + 3, held), daemon=True
    )
    trickle.start()
    time.sleep(2)  # every slow connection open and trickling before the clients come
    cmd, result = bench.wrk(url, "get.lua", [], bench.duration, "5s", 4)
    trickle.join(timeout=bench.duration + 10)
    raw = bench.out / "raw" / f"{candidate.kind}-hello_under_slow-{len(bench.records)}.txt"
    raw.write_text("$ " + " ".join(cmd) + "\n" + result.stdout + result.stderr)
    match = re.search(r"^WRKJSON (\{.*\})$", result.stdout, re.M)
    if not match:
        raise SystemExit(f"wrk failed; see {raw}")
    record: dict[str, Any] = {
        "group": candidate.kind,
        "name": "hello_under_slow",
        "cmd": " ".join(cmd),
        "time": time.strftime("%H:%M:%S"),
        "loadavg": Path("/proc/loadavg").read_text().split()[0],
        "slow_opened": held[0] if held else 0,
        "slow_still_open": min(held[1:]) if len(held) > 1 else 0,
        **json.loads(match.group(1)),
    }
    record["socket_errors"] = sum(
        record[k] for k in ("err_connect", "err_read", "err_write", "err_timeout")
    )
    bench.records.append(record)
    with (bench.out / "results.jsonl").open("a") as f:
        f.write(json.dumps(record) + "\n")
    print(
        f"  {candidate.kind:<10} hello_under_slow  {record['rps']:9.1f} req/s"
        f"  p99 {record['p99_ms']:7.2f} ms  errors {record['socket_errors']}"
        f"  tally {record['tally']}  slow held {record['slow_opened']}",
        flush=True,
    )
    return record


def seed(candidate: Candidate, token: str) -> None:
    for key in run.BATCH_KEYS:
        run.register(candidate.app, token, key, f"Bench {key}")
    threads = run.thread_content(big=300, small=0)
    run.seed_engagement(candidate.app, token, threads)


def round_for(bench: run.Bench, candidate: Candidate, token: str, round_no: int, slow: int) -> None:
    app = candidate.app
    bench.measure(
        name="hello",
        group=candidate.kind,
        url=f"{candidate.hello}/hello",
        drain_url=f"{candidate.hello}/hello",
    )
    view_key = f"bench-view-{candidate.kind.replace('+', '-')}-{round_no}"
    run.register(app, token, view_key, "Bench views")
    bench.measure(
        name="views",
        group=candidate.kind,
        url=f"{app}/api/v1/articles/{view_key}/views",
        drain_url=f"{app}/healthz",
        script="views.lua",
        args=["address", str(round_no * 2 + 1)],
        warm_args=["address", str(round_no * 2)],
    )
    keys = ",".join(run.BATCH_KEYS)
    bench.measure(
        name="counters50",
        group=candidate.kind,
        url=f"{app}/api/v1/counters?keys={keys}",
        drain_url=f"{app}/healthz",
    )
    bench.measure(
        name="thread_page",
        group=candidate.kind,
        url=f"{app}/api/v1/articles/{THREAD_KEY}/comments",
        drain_url=f"{app}/healthz",
    )
    probe_slow(bench, candidate, slow)


HEADER = (
    "| server | bare Flask req/s | views req/s | counters50 req/s | first page req/s "
    "| p99 ms (bare, views, counters, page) | bare Flask under slow clients |\n"
    "|---|---:|---:|---:|---:|---|---|\n"
)


def _median(records: list[dict[str, Any]], name: str, field: str) -> float:
    values = [r[field] for r in records if r["name"] == name]
    return statistics.median(values) if values else float("nan")


def table(records: list[dict[str, Any]]) -> str:
    """Medians over the rounds; under slow clients, the worst round's p99 and errors."""
    rows = []
    for kind in CANDIDATES + THREAD_VARIANTS:
        mine = [r for r in records if r["group"] == kind]
        if not mine:
            continue
        slow = [r for r in mine if r["name"] == "hello_under_slow"]
        worst = max(slow, key=lambda r: r["p99_ms"]) if slow else None
        slow_cell = (
            f"{_median(mine, 'hello_under_slow', 'rps'):.0f} req/s, p99 {worst['p99_ms']:.0f} ms,"
            f" {worst['socket_errors']} errors ({worst['slow_opened']} slow held)"
            if worst
            else ""
        )
        names = ("hello", "views", "counters50", "thread_page")
        rates = " | ".join(f"{_median(mine, n, 'rps'):.0f}" for n in names)
        p99s = ", ".join(f"{_median(mine, n, 'p99_ms'):.0f}" for n in names)
        rows.append(f"| {kind} | {rates} | {p99s} | {slow_cell} |\n")
    return HEADER + "".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--conns", type=int, default=16)
    parser.add_argument("--slow", type=int, default=200)
    parser.add_argument("--only", default=",".join(CANDIDATES))
    options = parser.parse_args()
    out = BENCH / "out" / time.strftime("servers-%Y%m%d-%H%M%S")
    (out / "raw").mkdir(parents=True)
    (out / "logs").mkdir()
    bench = run.Bench(
        out=out, duration=options.duration, warmup=options.warmup, conns=options.conns
    )
    env = run.service_env("postgres", out)
    env["ENGAGEMENT_AUTO_MIGRATE"] = "true"
    env["BENCH_REFERENCE_POSTGRES"] = run.POSTGRES_URL
    env["BENCH_REFERENCE_SQLITE"] = str(out / "reference.sqlite3")
    kinds = [k for k in CANDIDATES + THREAD_VARIANTS if k in options.only.split(",")]
    seeded, token = False, ""
    for round_no in range(options.rounds):
        for kind in kinds:
            candidate = Candidate(kind, out, env)
            try:
                candidate.start()
                if not seeded:
                    token = run.create_token(env)
                    seed(candidate, token)
                    seeded = True
                round_for(bench, candidate, token, round_no, options.slow)
            finally:
                candidate.stop()
    text = table(bench.records)
    (out / "table.md").write_text(text)
    print(text)
    print(json.dumps({"out": str(out)}))


if __name__ == "__main__":
    main()
