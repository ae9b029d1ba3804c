"""The production server as shipped (``deploy/granian.env``), started for real with two workers:
slow clients cannot starve it, its metrics add up every worker, and it warns about
per-process rate limits."""

from __future__ import annotations

import contextlib
import http.client
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.request import Request, urlopen

import pytest
from sqlalchemy.orm import Session

from engagement import db as database
from engagement import tokens
from engagement.models import TokenScope
from tests.builders import SETUP
from tests.conftest import ALLOWED_ORIGIN, TEST_SECRET
from tests.serving import processes

SLOW_CLIENTS = 200
CLIENTS = 4
MEASURED_SECONDS = 5.0


@dataclass
class Served:
    url: str
    port: int
    log: Path
    metrics_dir: Path
    metrics_token: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One instance started with the shipped configuration, on its own SQLite database."""
    folder = tmp_path_factory.mktemp("served")
    url = f"sqlite:///{folder / 'engagement.sqlite3'}"
    database.upgrade(url)
    engine = database.make_engine(url, pooled=False)
    with Session(engine) as db:
        _, secret = tokens.create(db, actor=SETUP, name="prometheus", scopes=[TokenScope.METRICS])
        db.commit()
    engine.dispose()
    metrics_dir = folder / "metrics"
    metrics_dir.mkdir()
    env = {
        "ENGAGEMENT_DATABASE_URL": url,
        "ENGAGEMENT_SECRET_KEY": TEST_SECRET,
        "ENGAGEMENT_INSTANCE_PATH": str(folder / "instance"),
        "ENGAGEMENT_ALLOWED_ORIGINS": ALLOWED_ORIGIN,
        "ENGAGEMENT_AUTO_MIGRATE": "0",
        # Limits on, counted per process (the start-up warning's case), too high to refuse.
        "ENGAGEMENT_RATELIMIT_ENABLED": "1",
        "ENGAGEMENT_LIMIT_READS": "100000 per minute",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    port = processes.free_port()
    log = folder / "server.log"
    process = processes.start_server(port, env, log=log)
    base = f"http://127.0.0.1:{port}"
    try:
        processes.wait_until_up(f"{base}/healthz", process, "granian")
        yield Served(base, port, log, metrics_dir, secret)
    finally:
        processes.stop(process)


class SlowClients:
    """Connections that send a request's headers a line at a time and never finish them."""

    def __init__(self, port: int, count: int) -> None:
        self.sockets = []
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET /api/v1/counters?keys=a HTTP/1.1\r\nHost: slow\r\n")
            self.sockets.append(sock)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._trickle, daemon=True)
        self.thread.start()

    def _trickle(self) -> None:
        line = 0
        while not self.stopping.wait(0.5):
            line += 1
            for sock in self.sockets:
                with contextlib.suppress(OSError):  # counted by still_open()
                    sock.sendall(b"X-Slow-%d: x\r\n" % line)

    def still_open(self) -> int:
        """How many the server has not closed (a closed one reads as EOF at once)."""
        open_ = 0
        for sock in self.sockets:
            sock.setblocking(False)
            try:
                open_ += sock.recv(1) != b""
            except BlockingIOError:
                open_ += 1
            except OSError:
                pass
        return open_

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
        for sock in self.sockets:
            sock.close()


def _latencies(port: int, seconds: float) -> tuple[list[float], list[int]]:
    """One keep-alive client asking for counters for ``seconds``: latencies and statuses."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    latencies, statuses = [], []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        connection.request("GET", "/api/v1/counters?keys=served-a,served-b")
        response = connection.getresponse()
        response.read()
        latencies.append(time.perf_counter() - started)
        statuses.append(response.status)
    connection.close()
    return latencies, statuses


def test_slow_clients_do_not_starve_other_clients(served: Served) -> None:
    _latencies(served.port, 0.5)  # both workers warm
    slow = SlowClients(served.port, SLOW_CLIENTS)
    try:
        time.sleep(1)
        with ThreadPoolExecutor(CLIENTS) as pool:
            runs = list(
                pool.map(lambda _: _latencies(served.port, MEASURED_SECONDS), range(CLIENTS))
            )
        held = slow.still_open()
    finally:
        slow.close()
    latencies = sorted(value for run in runs for value in run[0])
    statuses = {status for run in runs for status in run[1]}
    p99 = statistics.quantiles(latencies, n=100)[98]
    assert held == SLOW_CLIENTS  # all of them still trickling when the clients were done
    assert statuses == {200}
    assert len(latencies) > 100
    assert p99 < 0.100, f"p99 {p99 * 1000:.1f} ms over {len(latencies)} requests"


def _scrape(served: Served) -> str:
    request = Request(
        f"{served.url}/metrics", headers={"Authorization": f"Bearer {served.metrics_token}"}
    )
    with urlopen(request, timeout=10) as response:
        return response.read().decode()


def _count(text: str, route: str) -> float:
    prefix = "engagement_http_request_duration_seconds_count{"
    total = 0.0
    for line in text.splitlines():
        if line.startswith(prefix) and f'route="{route}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def _get(url: str) -> int:
    # A new connection each time, so that both workers take their share.
    try:
        with urlopen(url, timeout=10) as response:
            return response.status
    except OSError as error:
        return getattr(error, "code", 0)


def test_metrics_add_up_every_workers_requests(served: Served) -> None:
    route = "/api/v1/articles/<key>"
    before = _count(_scrape(served), route)
    with ThreadPoolExecutor(8) as pool:
        statuses = list(
            pool.map(_get, [f"{served.url}/api/v1/articles/unknown-{i}" for i in range(80)])
        )
    assert set(statuses) == {404}
    # Whichever worker answers the scrape, it counts both workers' requests.
    for _ in range(6):
        assert _count(_scrape(served), route) - before == 80
    workers = {path.stem.rsplit("_", 1)[-1] for path in served.metrics_dir.glob("histogram_*.db")}
    assert len(workers) == 2


def test_per_process_rate_limits_under_several_workers_are_warned_about(served: Served) -> None:
    log = served.log.read_text()
    assert "rate limits are counted in memory:// by each of the 2 worker processes" in log
