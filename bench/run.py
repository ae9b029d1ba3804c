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
HOST = "127.0.0.1"
HELLO_PORT = 18190
APP_PORT = 18191
SECRET = "bench-secret-key-0123456789"
POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/bench_engagement"
)
BATCH_KEYS = [f"bench-{i:03d}" for i in range(50)]
VIEW_KEY = "bench-view"

# Targets from the requirements: ratio to the bare Flask endpoint measured in the same run.
TARGETS = {"views": 0.5, "views_new_agent": 0.5, "counters50": 0.6}


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
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if not port_is_free(self.port):
            raise SystemExit(f"port {self.port} is taken; stop whatever listens there first")
        argv = [
            str(VENV_BIN / "gunicorn"),
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
            self.process = subprocess.Popen(argv, env=env, stdout=log, stderr=log)
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
        self, url: str, script: str, args: list[str], seconds: int, timeout: str
    ) -> tuple[list[str], subprocess.CompletedProcess[str]]:
        cmd = [
            "wrk",
            f"-t{self.threads}",
            f"-c{self.conns}",
            f"-d{seconds}s",
            "--timeout",
            timeout,
            "-s",
            str(LUA / script),
            url,
        ]
        if args:
            cmd += ["--", *args]
        return cmd, subprocess.run(cmd, capture_output=True, text=True, check=False)

    def measure(
        self,
        *,
        name: str,
        group: str,
        url: str,
        drain_url: str,
        warm_url: str | None = None,
        script: str = "get.lua",
        args: list[str] | None = None,
        timeout: str = "30s",
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Drain, warm up, drain, measure once; record and print the result."""
        drain(drain_url)
        if self.warmup:
            self.wrk(warm_url or url, script, args or [], self.warmup, timeout)
            drain(drain_url)
            time.sleep(1)
        load_before = Path("/proc/loadavg").read_text().split()[0]
        cmd, result = self.wrk(url, script, args or [], self.duration, timeout)
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
            "conns": self.conns,
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
            f"  {group:<10} {name:<12} {record['rps']:9.1f} req/s  p50 {record['p50_ms']:7.2f} ms"
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
    }


def create_token(env: dict[str, str]) -> str:
    result = subprocess.run(
        [str(VENV_BIN / "engagement"), "create-token", "bench"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
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


def counters(bench: Bench, hello: Server, dbs: list[str], rounds: int, agents: bool) -> None:
    for db in dbs:
        print(f"== counters on {db}", flush=True)
        app = Server(
            name=f"engagement-{db}",
            app="wsgi:app",
            port=APP_PORT,
            chdir=ROOT,
            log=bench.out / "logs" / f"engagement-{db}.log",
            env=service_env(db, bench.out),
        )
        app.start()
        try:
            token = create_token(app.env)
            for i, key in enumerate(BATCH_KEYS):
                register(app.url, token, key, f"Story {i}")
            batch_url = f"{app.url}/api/v1/counters?keys={','.join(BATCH_KEYS)}"
            for _ in range(rounds):
                bench.measure(
                    name="hello", group=db, url=f"{hello.url}/hello", drain_url=f"{hello.url}/hello"
                )
                measure_views(bench, app, token, db, "address")
                if agents:
                    measure_views(bench, app, token, db, "agent")
                bench.measure(
                    name="counters50", group=db, url=batch_url, drain_url=f"{app.url}/healthz"
                )
        finally:
            app.stop()


# -- report ------------------------------------------------------------------------------


def table(records: list[dict[str, Any]]) -> str:
    """One row per group and target: median req/s over rounds, ratio to the bare endpoint."""
    lines = [
        "| database | target | req/s (median) | p99 ms | x bare Flask | goal | non-2xx / socket "
        "errors | notes |",
        "|---|---|---:|---:|---:|---:|---|---|",
    ]
    groups = list(dict.fromkeys(r["group"] for r in records))
    for group in groups:
        rows = [r for r in records if r["group"] == group]
        hello = statistics.median(r["rps"] for r in rows if r["name"] == "hello")
        for name in dict.fromkeys(r["name"] for r in rows):
            runs = [r for r in rows if r["name"] == name]
            rps = statistics.median(r["rps"] for r in runs)
            p99 = statistics.median(r["p99_ms"] for r in runs)
            ratio = rps / hello
            goal = TARGETS.get(name)
            goal_text = f"≥ {goal} {'met' if ratio >= goal else 'MISSED'}" if goal else ""
            status_errors = sum(r["err_status"] for r in runs)
            errors = f"{status_errors} / {sum(r['socket_errors'] for r in runs)}"
            notes = [f"{len(runs)} runs: " + ", ".join(f"{r['rps']:.0f}" for r in runs)]
            if name.startswith("views"):
                excess = [r["views_excess"] for r in runs]
                lost = any(e < 0 for e in excess)
                notes.append(
                    "counter - counted responses: "
                    + ", ".join(f"{e:+d}" for e in excess)
                    + (" LOST UPDATES" if lost else "")
                )
                not_counted = sum(r["tally"].get("not_counted", 0) for r in runs)
                notes.append(f"{not_counted} not counted")
            lines.append(
                f"| {group} | {name} | {rps:.0f} | {p99:.1f} | {ratio:.2f} | {goal_text} | "
                f"{errors} | {'; '.join(notes)} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", choices=["counters"])
    parser.add_argument("--db", default="sqlite,postgres", help="sqlite, postgres or both")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warmup per run")
    parser.add_argument("--conns", type=int, default=16, help="wrk connections")
    parser.add_argument("--rounds", type=int, default=2, help="alternations per target")
    parser.add_argument(
        "--new-agents",
        action="store_true",
        help="also measure views where every request has a never-seen user agent",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")

    out = BENCH / "out" / time.strftime("%Y%m%dT%H%M%S")
    for sub in ("raw", "logs"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    bench = Bench(out=out, duration=args.duration, warmup=args.warmup, conns=args.conns)
    hello = Server(
        name="hello", app="hello:app", port=HELLO_PORT, chdir=BENCH, log=out / "logs" / "hello.log"
    )
    print(f"results in {out}", flush=True)
    hello.start()
    try:
        if args.scenario == "counters":
            dbs = [db.strip() for db in args.db.split(",")]
            counters(bench, hello, dbs, args.rounds, args.new_agents)
    finally:
        hello.stop()
    report = table(bench.records)
    (out / "table.md").write_text(report + "\n")
    print(report)


if __name__ == "__main__":
    main()
