#!/usr/bin/env python3
"""Load benchmarks of the service, side by side with a bare Flask endpoint in the same run.

    .venv/bin/python bench/run.py counters [--db sqlite,postgres] [--duration 10] [--rounds 2]

Every server runs under gunicorn with two sync workers on 127.0.0.1; the load tool is wrk.
Each measurement is a drain, a short warmup, a drain, then ``--duration`` seconds of
``wrk -t2 -cN``; rounds alternate the bare endpoint and the targets so that drift in the
machine's load reaches both. Results go to ``bench/out/<time>/`` (``results.jsonl``, raw wrk
output, server logs, ``table.md``) and the table is printed. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
LUA = BENCH / "lua"
VENV_BIN = Path(sys.executable).parent
# Scheduling priority of the servers and wrk (``--nice``): on a shared machine, other work
# then disturbs the measured processes, all alike, less.
NICE = {"value": 0}
# Settings given on the command line (``--counters-cache``); the service's defaults otherwise.
SERVICE_SETTINGS: dict[str, str] = {}
# The checkout whose service is measured (``--code``): this one unless told, so that an earlier
# revision's figures can be taken with the same script, venv and machine, right before or after.
CODE = {"root": ROOT}


def _niced() -> None:
    if NICE["value"]:
        os.nice(NICE["value"])


HOST = "127.0.0.1"
HELLO_PORT = 18190
APP_PORT = 18191
SECRET = "bench-secret-key-0123456789"
POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/bench_engagement"
)
BATCH_KEYS = [f"bench-{i:03d}" for i in range(50)]
VIEW_KEY = "bench-view"

ISSO_PORT = 18192
ISSO_VENV = Path(os.environ.get("ISSO_VENV", BENCH / "out" / "isso-venv"))
ISSO_PACKAGES = ["isso==0.14.0", "gunicorn==27.0.1"]

# Goals: each target's req/s divided by its baseline's, measured in the same run.
# A goal of None marks a reference: measured for comparison, with no goal of its own.
TARGETS: dict[str, tuple[str, float | None]] = {
    "one_update": ("hello", None),
    "view_statements": ("hello", None),
    "views": ("hello", 0.5),
    "views_new_agent": ("hello", 0.5),
    "counters50": ("hello", 0.6),
    "thread_whole": ("isso_thread", 100),
    "thread_page": ("hello", 0.4),
    "posts": ("isso_posts", 1.0),
}


# -- servers -----------------------------------------------------------------------------


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((HOST, port)) != 0


def wait_for_port(port: int, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if not port_is_free(port):
            return
        time.sleep(0.1)
    raise SystemExit(f"nothing listens on {HOST}:{port} after {seconds}s")


@dataclass
class Server:
    """A gunicorn master started by this script, stopped by its own pid."""

    name: str
    app: str
    port: int
    chdir: Path
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    workers: int = 2
    bin: Path = VENV_BIN
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if not port_is_free(self.port):
            raise SystemExit(f"port {self.port} is taken; stop whatever listens there first")
        argv = [
            str(self.bin / "gunicorn"),
            "--no-control-socket",
            "--chdir",
            str(self.chdir),
            "-w",
            str(self.workers),
            "-b",
            f"{HOST}:{self.port}",
            self.app,
        ]
        env = {**os.environ, **self.env, "PYTHONDONTWRITEBYTECODE": "1"}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                argv, env=env, stdout=log, stderr=log, preexec_fn=_niced
            )
        wait_for_port(self.port)
        time.sleep(0.5)
        if self.process.poll() is not None:
            raise SystemExit(f"{self.name} exited at start; see {self.log}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


# -- HTTP helpers ------------------------------------------------------------------------


def http(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def drain(url: str, fast: float = 0.25, need: int = 3, limit: float = 120) -> None:
    """Wait until ``url`` answers quickly three times in a row.

    gunicorn's sync workers go on serving connections that wrk abandoned when a run stopped;
    the next run must not start on top of that backlog.
    """
    deadline = time.time() + limit
    streak = 0
    while streak < need and time.time() < deadline:
        started = time.time()
        try:
            with urllib.request.urlopen(url, timeout=limit) as response:
                response.read()
        except OSError:
            streak = 0
            time.sleep(0.5)
            continue
        streak = streak + 1 if time.time() - started < fast else 0
        time.sleep(0.05)


# -- wrk ---------------------------------------------------------------------------------


@dataclass
class Bench:
    out: Path
    duration: int
    warmup: int
    conns: int
    threads: int = 2
    records: list[dict[str, Any]] = field(default_factory=list)

    def wrk(
        self, url: str, script: str, args: list[str], seconds: int, timeout: str, conns: int
    ) -> tuple[list[str], subprocess.CompletedProcess[str]]:
        cmd = [
            "wrk",
            f"-t{min(self.threads, conns)}",
            f"-c{conns}",
            f"-d{seconds}s",
            "--timeout",
            timeout,
            "-s",
            str(LUA / script),
            url,
        ]
        if args:
            cmd += ["--", *args]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False, preexec_fn=_niced)
        return cmd, result

    def measure(
        self,
        *,
        name: str,
        group: str,
        url: str,
        drain_url: str,
        warm_url: str | None = None,
        warm_args: list[str] | None = None,
        script: str = "get.lua",
        args: list[str] | None = None,
        timeout: str = "30s",
        conns: int | None = None,
        warmup: bool = True,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Drain, warm up, drain, measure once; record and print the result."""
        conns = conns or self.conns
        drain(drain_url)
        if self.warmup and warmup:
            warm = warm_args if warm_args is not None else args or []
            self.wrk(warm_url or url, script, warm, self.warmup, timeout, conns)
            drain(drain_url)
            time.sleep(1)
        load_before = Path("/proc/loadavg").read_text().split()[0]
        cmd, result = self.wrk(url, script, args or [], self.duration, timeout, conns)
        load_after = Path("/proc/loadavg").read_text().split()[0]
        raw = self.out / "raw" / f"{group}-{name}-{len(self.records)}.txt"
        raw.write_text("$ " + " ".join(cmd) + "\n" + result.stdout + result.stderr)
        match = re.search(r"^WRKJSON (\{.*\})$", result.stdout, re.M)
        if result.returncode != 0 or not match:
            raise SystemExit(f"wrk failed; see {raw}")
        record: dict[str, Any] = {
            "group": group,
            "name": name,
            "url": url,
            "cmd": " ".join(cmd),
            "conns": conns,
            "loadavg_before": load_before,
            "loadavg_after": load_after,
            "time": time.strftime("%H:%M:%S"),
            **json.loads(match.group(1)),
            **(extra or {}),
        }
        record["socket_errors"] = sum(
            record[k] for k in ("err_connect", "err_read", "err_write", "err_timeout")
        )
        self.records.append(record)
        with (self.out / "results.jsonl").open("a") as f:
            f.write(json.dumps(record) + "\n")
        print(
            f"  {group:<10} {name:<17} {record['rps']:9.1f} req/s  p50 {record['p50_ms']:7.2f} ms"
            f"  p99 {record['p99_ms']:7.2f} ms  tally {record['tally']}"
            f"  load {load_before}->{load_after}",
            flush=True,
        )
        return record


# -- the service -------------------------------------------------------------------------


def reset_postgres(url: str) -> None:
    """Empty the benchmark database (the service migrates it at start)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def service_env(db: str, out: Path) -> dict[str, str]:
    instance = out / f"instance-{db}"
    instance.mkdir(parents=True, exist_ok=True)
    if db == "postgres":
        reset_postgres(POSTGRES_URL)
        url = POSTGRES_URL
    else:
        url = f"sqlite:///{instance / 'engagement.sqlite3'}"
    return {
        "ENGAGEMENT_DATABASE_URL": url,
        "ENGAGEMENT_SECRET_KEY": SECRET,
        "ENGAGEMENT_INSTANCE_PATH": str(instance),
        "ENGAGEMENT_AUTO_MIGRATE": "true",
        "ENGAGEMENT_LOG_LEVEL": "warning",
        # Visitors differ by client address, as behind the proxy of a real deployment.
        "ENGAGEMENT_TRUSTED_PROXIES": "1",
        # Benchmarks measure the service, not the limiter that would refuse one client's load.
        "ENGAGEMENT_RATELIMIT_ENABLED": "false",
        # The measured checkout's package comes first (``--code``), before the installed one.
        "PYTHONPATH": str(CODE["root"]),
        **SERVICE_SETTINGS,
    }


def create_token(env: dict[str, str]) -> str:
    result = subprocess.run(
        [str(VENV_BIN / "engagement"), "create-token", "bench"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
        cwd=CODE["root"],
    )
    return result.stdout.strip().rsplit(" ", 1)[-1]


def register(base: str, token: str, key: str, title: str) -> None:
    status, body = http(
        "PUT",
        f"{base}/api/v1/articles/{key}",
        {"title": title},
        {"Authorization": f"Bearer {token}"},
    )
    if status not in (200, 201):
        raise SystemExit(f"registering {key} failed: {status} {body}")


def views_of(base: str, key: str) -> int:
    status, body = http("GET", f"{base}/api/v1/articles/{key}")
    if status != 200:
        raise SystemExit(f"reading {key} failed: {status} {body}")
    return int(body["views"])


# -- scenarios ---------------------------------------------------------------------------


def measure_views(bench: Bench, app: Server, token: str, group: str, mode: str) -> None:
    """Views of a fresh article (warmup on another one), then the counter against the tally."""
    name = "views" if mode == "address" else "views_new_agent"
    run = len(bench.records)
    key, warm_key = f"{VIEW_KEY}-{run}", f"{VIEW_KEY}-{run}-warm"
    register(app.url, token, key, "The viewed story")
    register(app.url, token, warm_key, "The warmup story")
    record = bench.measure(
        name=name,
        group=group,
        url=f"{app.url}/api/v1/articles/{key}/views",
        warm_url=f"{app.url}/api/v1/articles/{warm_key}/views",
        drain_url=f"{app.url}/healthz",
        script="views.lua",
        args=[mode, str(run)],
    )
    time.sleep(1)
    counted = record["tally"].get("counted", 0)
    # Requests in flight when wrk stops are completed by the server but not seen by wrk:
    # the counter may exceed the counted responses by at most the connection count.
    record["views_delta"] = views_of(app.url, key)
    record["views_excess"] = record["views_delta"] - counted
    print(
        f"  {'':<10} {'':<12} counter +{record['views_delta']}, counted responses {counted} "
        f"(excess {record['views_excess']:+d}, must be 0..{bench.conns})",
        flush=True,
    )


def reference_sqlite(out: Path) -> Path:
    return out / "reference.sqlite3"


def create_reference_table(db: str, out: Path) -> None:
    """What the bare endpoint's references write (see hello.py): the one-row table of
    ``/one-update/<db>`` and, in the service's schema, the article of ``/view-statements/<db>``.

    On PostgreSQL both live in the service's database, which the service has migrated; on
    SQLite in a file of their own, migrated here.
    """
    from sqlalchemy import create_engine, text

    from engagement import db as database

    if db == "postgres":
        url = POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    else:
        url = f"sqlite:///{reference_sqlite(out)}"
        database.upgrade(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_reference"))
        conn.execute(text("CREATE TABLE bench_reference (id INTEGER PRIMARY KEY, n BIGINT)"))
        conn.execute(text("INSERT INTO bench_reference VALUES (1, 0)"))
        conn.execute(
            text(
                "INSERT INTO articles (key, title, comments_open, view_count, comment_count,"
                " thread_version, created_at, updated_at)"
                " VALUES ('bench-reference', '', true, 0, 0, 0, :now, :now)"
            ),
            {"now": "2026-11-30 00:00:00+00:00"},
        )
    engine.dispose()


def counters(bench: Bench, hello: Server, dbs: list[str], rounds: int, agents: bool) -> None:
    for db in dbs:
        print(f"== counters on {db}", flush=True)
        app = Server(
            name=f"engagement-{db}",
            app="wsgi:app",
            port=APP_PORT,
            chdir=CODE["root"],
            log=bench.out / "logs" / f"engagement-{db}.log",
            env=service_env(db, bench.out),
        )
        app.start()
        try:
            token = create_token(app.env)
            for i, key in enumerate(BATCH_KEYS):
                register(app.url, token, key, f"Story {i}")
            create_reference_table(db, bench.out)  # after the service has migrated its database
            batch_url = f"{app.url}/api/v1/counters?keys={','.join(BATCH_KEYS)}"
            for _ in range(rounds):
                bench.measure(
                    name="hello", group=db, url=f"{hello.url}/hello", drain_url=f"{hello.url}/hello"
                )
                bench.measure(
                    name="one_update",
                    group=db,
                    url=f"{hello.url}/one-update/{db}",
                    drain_url=f"{hello.url}/hello",
                    script="post.lua",
                )
                bench.measure(
                    name="view_statements",
                    group=db,
                    url=f"{hello.url}/view-statements/{db}",
                    drain_url=f"{hello.url}/hello",
                    script="post.lua",
                )
                measure_views(bench, app, token, db, "address")
                if agents:
                    measure_views(bench, app, token, db, "agent")
                bench.measure(
                    name="counters50", group=db, url=batch_url, drain_url=f"{app.url}/healthz"
                )
        finally:
            app.stop()


# -- comments against Isso -----------------------------------------------------------

# Isso's settings: no moderation, no admin, and the guard off, as the service runs with its
# rate limits off. Everything else is Isso's default.
ISSO_CONFIG = """[general]
dbpath = {dbpath}
host = http://localhost
notify = stdout
gravatar = false
latest-enabled = false

[moderation]
enabled = false

[admin]
enabled = false

[server]
listen = http://127.0.0.1:8080

[guard]
enabled = false

[markup]
renderer = mistune
"""

WORDS = [
    "comment",
    "view",
    "count",
    "article",
    "thread",
    "reply",
    "markdown",
    "render",
    "sqlite",
    "flask",
    "engagement",
    "latency",
    "benchmark",
    "python",
    "server",
    "request",
]


@dataclass(frozen=True)
class Seeded:
    text: str
    author: str
    parent: int | None  # index of the parent in its thread, or None


def thread_content(big: int = 1000, small: int = 100) -> list[tuple[str, list[Seeded]]]:
    """The seeded threads: ``article-1`` with ``big`` comments (about 40 % replies to a random
    earlier comment), ``article-2``... with 3 to 7 comments each. Deterministic (seed 42); the
    same sequence as the peer harness that measured Isso, so both services hold the same text.
    """
    rng = random.Random(42)

    def text() -> str:
        n = rng.randint(15, 60)
        words = [rng.choice(WORDS) for _ in range(n)]
        if n > 20:  # a little Markdown, so that rendering does real work
            words[3] = "*" + words[3] + "*"
            words[10] = "**" + words[10] + "**"
        if rng.random() < 0.2:
            words.append(f"see https://example.org/page/{rng.randint(1, 999)}")
        if rng.random() < 0.2:
            words.append("\n\n> quoted line\n\nand `code`")
        return " ".join(words)

    threads: list[tuple[str, list[Seeded]]] = []
    comments: list[Seeded] = []
    for i in range(big):
        body, author = text(), f"user{rng.randint(1, 300)}"
        parent = rng.randrange(i) if i and rng.random() < 0.4 else None
        comments.append(Seeded(body, author, parent))
    threads.append(("article-1", comments))
    for t in range(2, 2 + small):
        comments = []
        for i in range(rng.randint(3, 7)):
            body, author = text(), f"user{rng.randint(1, 300)}"
            parent = rng.randrange(i) if i and rng.random() < 0.33 else None
            comments.append(Seeded(body, author, parent))
        threads.append((f"article-{t}", comments))
    return threads


def isso_server(out: Path) -> Server:
    if not (ISSO_VENV / "bin" / "gunicorn").exists():
        print(f"installing {' '.join(ISSO_PACKAGES)} into {ISSO_VENV}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(ISSO_VENV)], check=True)
        pip = [str(ISSO_VENV / "bin" / "pip"), "install", "-q", *ISSO_PACKAGES]
        subprocess.run(pip, check=True)
    folder = out / "isso"
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "isso.cfg"
    config.write_text(ISSO_CONFIG.format(dbpath=folder / "comments.db"))
    return Server(
        name="isso",
        app="isso.run:application",
        port=ISSO_PORT,
        chdir=folder,
        log=out / "logs" / "isso.log",
        env={"ISSO_SETTINGS": str(config)},
        bin=ISSO_VENV / "bin",
    )


def seed_isso(base: str, threads: list[tuple[str, list[Seeded]]]) -> None:
    for key, comments in threads:
        ids: list[int] = []
        for c in comments:
            parent = ids[c.parent] if c.parent is not None else None
            body = {"text": c.text, "author": c.author, "title": key, "parent": parent}
            status, answer = http("POST", f"{base}/new?uri=/{key}", body)
            if status not in (200, 201, 202):
                raise SystemExit(f"seeding Isso failed: {status} {answer}")
            ids.append(answer["id"])


def seed_engagement(base: str, token: str, threads: list[tuple[str, list[Seeded]]]) -> None:
    for key, comments in threads:
        register(base, token, key, key)
        ids: list[int] = []
        for c in comments:
            parent = ids[c.parent] if c.parent is not None else None
            body = {"text": c.text, "author_name": c.author, "parent_id": parent}
            status, answer = http("POST", f"{base}/api/v1/articles/{key}/comments", body)
            if status != 201:
                raise SystemExit(f"seeding the service failed: {status} {answer}")
            ids.append(answer["comment"]["id"])


def count_nested(comments: list[dict[str, Any]]) -> int:
    return sum(1 + count_nested(c.get("replies") or []) for c in comments)


def comment_count(base: str, key: str) -> int:
    status, body = http("GET", f"{base}/api/v1/articles/{key}")
    if status != 200:
        raise SystemExit(f"reading {key} failed: {status} {body}")
    return int(body["comments"])


def comments(bench: Bench, hello: Server, dbs: list[str], rounds: int) -> None:
    threads = thread_content()
    big = len(threads[0][1])
    isso = isso_server(bench.out)
    isso.start()
    try:
        started = time.time()
        seed_isso(isso.url, threads)
        _, answer = http("GET", f"{isso.url}/?uri=/article-1")
        seen = count_nested(answer["replies"])
        print(f"Isso seeded in {time.time() - started:.0f}s: article-1 shows {seen}", flush=True)
        for db in dbs:
            print(f"== comments on {db}", flush=True)
            app = Server(
                name=f"engagement-{db}",
                app="wsgi:app",
                port=APP_PORT,
                chdir=CODE["root"],
                log=bench.out / "logs" / f"engagement-comments-{db}.log",
                env=service_env(db, bench.out),
            )
            app.start()
            try:
                token = create_token(app.env)
                started = time.time()
                seed_engagement(app.url, token, threads)
                whole = f"{app.url}/api/v1/articles/article-1/comments?limit=1000"
                _, answer = http("GET", whole)
                seen = count_nested(answer["comments"])
                print(f"seeded in {time.time() - started:.0f}s: article-1 shows {seen}", flush=True)
                if seen != big:
                    raise SystemExit(f"the whole thread shows {seen} comments, not {big}")
                for _ in range(rounds):
                    comments_round(bench, hello, app, isso, token, db, whole)
            finally:
                app.stop()
    finally:
        isso.stop()


def comments_round(
    bench: Bench, hello: Server, app: Server, isso: Server, token: str, db: str, whole: str
) -> None:
    health = f"{app.url}/healthz"
    bench.measure(name="hello", group=db, url=f"{hello.url}/hello", drain_url=f"{hello.url}/hello")
    bench.measure(name="thread_whole", group=db, url=whole, drain_url=health)
    # One Isso request takes most of a second: few connections, a long timeout, no warmup.
    bench.measure(
        name="isso_thread",
        group=db,
        url=f"{isso.url}/?uri=/article-1",
        drain_url=f"{isso.url}/config",
        conns=4,
        timeout="60s",
        warmup=False,
    )
    page = f"{app.url}/api/v1/articles/article-1/comments"
    bench.measure(name="thread_page", group=db, url=page, drain_url=health)

    run = len(bench.records)
    key, warm_key = f"bench-new-{run}", f"bench-new-{run}-warm"
    register(app.url, token, key, "Posting")
    register(app.url, token, warm_key, "Posting, warmup")
    record = bench.measure(
        name="posts",
        group=db,
        url=f"{app.url}/api/v1/articles/{key}/comments",
        warm_url=f"{app.url}/api/v1/articles/{warm_key}/comments",
        drain_url=health,
        script="post_comment.lua",
        args=["engagement", str(run)],
        warm_args=["engagement", f"{run}w"],
    )
    time.sleep(1)
    created = record["tally"].get("201", 0)
    record["comments_excess"] = comment_count(app.url, key) - created
    print(
        f"  {'':<10} {'':<17} stored {created + record['comments_excess']}, "
        f"201 responses {created} (excess {record['comments_excess']:+d})",
        flush=True,
    )
    bench.measure(
        name="isso_posts",
        group=db,
        url=f"{isso.url}/new?uri=/bench-new-{run}",
        warm_url=f"{isso.url}/new?uri=/bench-new-{run}-warm",
        drain_url=f"{isso.url}/config",
        script="post_comment.lua",
        args=["isso", str(run)],
        warm_args=["isso", f"{run}w"],
    )


# -- report ------------------------------------------------------------------------------


def table(records: list[dict[str, Any]]) -> str:
    """One row per group and target: median req/s over rounds, ratio to its baseline."""
    lines = [
        "| database | target | req/s (median) | p99 ms | vs | ratio | goal | non-2xx / socket "
        "errors | notes |",
        "|---|---|---:|---:|---|---:|---|---|---|",
    ]
    for group in dict.fromkeys(r["group"] for r in records):
        rows = [r for r in records if r["group"] == group]
        medians = {
            name: statistics.median(r["rps"] for r in rows if r["name"] == name)
            for name in dict.fromkeys(r["name"] for r in rows)
        }
        for name, rps in medians.items():
            runs = [r for r in rows if r["name"] == name]
            p99 = statistics.median(r["p99_ms"] for r in runs)
            baseline, goal = TARGETS.get(name, ("", 0.0))
            vs = ratio = goal_text = ""
            if baseline in medians:
                value = rps / medians[baseline]
                vs, ratio = baseline, f"{value:.2f}" if value < 10 else f"{value:.0f}"
                if goal is None:
                    goal_text = "reference"
                else:
                    goal_text = f"≥ {goal:g}: {'met' if value >= goal else 'MISSED'}"
            status_errors = sum(r["err_status"] for r in runs)
            errors = f"{status_errors} / {sum(r['socket_errors'] for r in runs)}"
            notes = [f"c={runs[0]['conns']}; runs: " + ", ".join(f"{r['rps']:.1f}" for r in runs)]
            if name.startswith("views"):
                excess = [r["views_excess"] for r in runs]
                lost = any(e < 0 for e in excess)
                notes.append(
                    "counter - counted: "
                    + ", ".join(f"{e:+d}" for e in excess)
                    + (" LOST UPDATES" if lost else "")
                )
            if name == "posts":
                excess = [r["comments_excess"] for r in runs]
                notes.append("stored - 201s: " + ", ".join(f"{e:+d}" for e in excess))
            lines.append(
                f"| {group} | {name} | {rps:.1f} | {p99:.1f} | {vs} | {ratio} | {goal_text} | "
                f"{errors} | {'; '.join(notes)} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", choices=["counters", "comments"])
    parser.add_argument(
        "--db", help="sqlite, postgres or both (default: both for counters, sqlite for comments)"
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warmup per run")
    parser.add_argument("--conns", type=int, default=16, help="wrk connections")
    parser.add_argument("--rounds", type=int, default=2, help="alternations per target")
    parser.add_argument(
        "--new-agents",
        action="store_true",
        help="also measure views where every request has a never-seen user agent",
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="niceness of the servers and wrk (negative needs root): -10 on a shared machine",
    )
    parser.add_argument(
        "--counters-cache",
        type=int,
        metavar="SECONDS",
        help="the service's ENGAGEMENT_COUNTERS_CACHE_SECONDS (0: every batch reads the "
        "database); default: the service's default",
    )
    parser.add_argument(
        "--code",
        type=Path,
        help="measure the service of another checkout (a git worktree of an earlier revision)",
    )
    args = parser.parse_args()
    NICE["value"] = args.nice
    if args.code is not None:
        CODE["root"] = args.code.resolve()
    if args.counters_cache is not None:
        SERVICE_SETTINGS["ENGAGEMENT_COUNTERS_CACHE_SECONDS"] = str(args.counters_cache)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")

    out = BENCH / "out" / time.strftime("%Y%m%dT%H%M%S")
    for sub in ("raw", "logs"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    bench = Bench(out=out, duration=args.duration, warmup=args.warmup, conns=args.conns)
    hello = Server(
        name="hello",
        app="hello:app",
        port=HELLO_PORT,
        chdir=BENCH,
        log=out / "logs" / "hello.log",
        env={
            "BENCH_REFERENCE_SQLITE": str(reference_sqlite(out)),
            "BENCH_REFERENCE_POSTGRES": POSTGRES_URL,
        },
    )
    print(f"results in {out}", flush=True)
    hello.start()
    try:
        default = "sqlite,postgres" if args.scenario == "counters" else "sqlite"
        dbs = [db.strip() for db in (args.db or default).split(",")]
        if args.scenario == "counters":
            counters(bench, hello, dbs, args.rounds, args.new_agents)
        else:
            comments(bench, hello, dbs, args.rounds)
    finally:
        hello.stop()
    report = table(bench.records)
    (out / "table.md").write_text(report + "\n")
    print(report)


if __name__ == "__main__":
    main()
