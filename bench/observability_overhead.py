#!/usr/bin/env python3
"""What the request log and the request metrics cost per request, on the view hot path.

    .venv/bin/python bench/observability_overhead.py [--n 3000]

In-process (Flask's test client), on a temporary SQLite file, with prometheus-client in its
multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, a temporary folder) as under the production
server, and the JSON lines written to /dev/null. One application, switched request by request
between three setups:

- ``neither``: the request hooks of the log and the metrics taken out;
- ``metrics``: the request metrics, no request line (``ENGAGEMENT_REQUEST_LOG=false``);
- ``log + metrics``: as shipped.

Requests alternate one by one between the setups, so drift in the machine's load reaches all of
them alike; the table shows the median microseconds per request.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# prometheus-client picks its multiprocess mode when imported: before the service is.
os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="bench-metrics-")

from flask import Flask

from engagement import create_app, logs, metrics
from engagement import db as database
from engagement.articles import service as articles

SECRET = "bench-secret-key-0123456789"
ROUTES = {
    "POST views": ("POST", "/api/v1/articles/bench/views"),
    "GET counters": ("GET", "/api/v1/counters?keys=bench"),
}


Hooks = tuple[list[Any], list[Any], bool]


def build(url: str, instance: Path) -> tuple[Flask, dict[str, Hooks]]:
    """The application, and its request hooks and request-log setting for each setup."""
    app = create_app(
        environ={},
        DATABASE_URL=url,
        SECRET_KEY=SECRET,
        INSTANCE_PATH=str(instance),
        RATELIMIT_ENABLED=False,
    )
    before, after = app.before_request_funcs[None], app.after_request_funcs[None]
    ours = {logs._begin, logs._finish, metrics._count_request}
    setups: dict[str, Hooks] = {
        "neither": (
            [f for f in before if f not in ours],
            [f for f in after if f not in ours],
            False,
        ),
        "metrics": (list(before), list(after), False),
        "log + metrics": (list(before), list(after), True),
    }
    return app, setups


def interleaved(
    app: Flask, setups: dict[str, Hooks], method: str, path: str, n: int
) -> dict[str, float]:
    """Median µs per request in each setup, requests interleaved one by one across them."""
    client = app.test_client()
    headers = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"}
    timings: dict[str, list[float]] = {name: [] for name in setups}
    for round_ in range(n + 50):
        for name, (before, after, request_log) in setups.items():
            app.before_request_funcs[None], app.after_request_funcs[None] = before, after
            app.config["REQUEST_LOG"] = request_log
            start = time.perf_counter()
            client.open(path, method=method, headers=headers)
            if round_ >= 50:  # the first ones warm up
                timings[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) * 1e6 for name, values in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000)
    args = parser.parse_args()

    results = sys.stdout
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115  (the JSON lines' stream, for the run)
    folder = Path(tempfile.mkdtemp(prefix="bench-observability-"))
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    database.upgrade(url)
    app, setups = build(url, folder / "instance")
    with app.app_context():
        session = database.session()
        articles.put(session, key="bench", title="Bench")
        session.commit()

    print(f"median µs per request of {args.n}, interleaved (in-process, SQLite)\n", file=results)
    print("| route | " + " | ".join(setups) + " | log + metrics cost |", file=results)
    print("|---|---:|---:|---:|---:|", file=results)
    for route, (method, path) in ROUTES.items():
        medians = interleaved(app, setups, method, path, args.n)
        cost = medians["log + metrics"] - medians["neither"]
        row = " | ".join(f"{medians[name]:.0f}" for name in setups)
        print(
            f"| {route} | {row} | {cost:+.0f} µs ({cost / medians['neither']:+.0%}) |",
            file=results,
        )


if __name__ == "__main__":
    main()
