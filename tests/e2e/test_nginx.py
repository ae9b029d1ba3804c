"""The widget through the shipped nginx site (``deploy/nginx-engagement.conf``) in front of two
instances of the shipped server: what a reader's browser meets in production."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from engagement import db as database
from engagement.embed.routes import DEMO_ARTICLES
from tests import builders
from tests.conftest import TEST_SECRET, make_app
from tests.e2e.conftest import READER_USER_AGENT
from tests.e2e.sites import Site
from tests.e2e.widget import Widget
from tests.serving import processes

DEMO_KEY = DEMO_ARTICLES["en"]["key"]


@dataclass
class Proxied:
    url: str
    prefix: Path
    instance_logs: list[Path]
    instance_pids: list[int]


@pytest.fixture(scope="module")
def magazine() -> Iterator[Site]:
    site = Site()
    yield site
    site.stop()


@pytest.fixture(scope="module")
def app(magazine: Site, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The service's database, shared by this module's tests (each uses its own articles)."""
    folder = tmp_path_factory.mktemp("proxied")
    url = f"sqlite:///{folder / 'engagement.sqlite3'}"
    database.upgrade(url)
    return make_app(url, folder, ALLOWED_ORIGINS=[magazine.url], DEMO=True)


@pytest.fixture(scope="module")
def proxied(
    app: Flask, magazine: Site, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Proxied]:
    """nginx with the shipped site in front of two instances, as the README sets them up."""
    if not Path(processes.NGINX).exists():
        pytest.fail(f"{processes.NGINX} is missing: install Debian's nginx")
    env = {
        "ENGAGEMENT_DATABASE_URL": app.config["DATABASE_URL"],
        "ENGAGEMENT_SECRET_KEY": TEST_SECRET,
        "ENGAGEMENT_AUTO_MIGRATE": "0",
        "ENGAGEMENT_ALLOWED_ORIGINS": magazine.url,
        "ENGAGEMENT_DEMO": "1",
        "ENGAGEMENT_TRUSTED_PROXIES": "1",
        "ENGAGEMENT_RATELIMIT_ENABLED": "0",
    }
    tmp_path = tmp_path_factory.mktemp("nginx-and-instances")
    children, ports, logs = [], [], []
    try:
        for n in range(2):
            port, log = processes.free_port(), tmp_path / f"instance-{n}.log"
            instance_env = {**env, "ENGAGEMENT_INSTANCE_PATH": str(tmp_path / f"instance-{n}")}
            children.append(
                processes.start_server(
                    port, instance_env, log=log, settings={"GRANIAN_WORKERS": "1"}
                )
            )
            ports.append(port)
            logs.append(log)
        for port, child in zip(ports, children, strict=True):
            processes.wait_until_up(f"http://127.0.0.1:{port}/healthz", child, "granian")
        port = processes.free_port()
        nginx = processes.start_nginx(tmp_path / "nginx", port, [f"127.0.0.1:{p}" for p in ports])
        children.append(nginx)
        url = f"http://127.0.0.1:{port}"
        processes.wait_until_up(f"{url}/healthz", nginx, "nginx")
        yield Proxied(url, tmp_path / "nginx", logs, [child.pid for child in children[:2]])
    finally:
        for child in reversed(children):
            processes.stop(child)


def test_widget_works_through_nginx_in_front_of_two_instances(
    page: Page, magazine: Site, proxied: Proxied, app: Flask
) -> None:
    # The demo article as the magazine embeds it, every request through nginx.
    page.goto(magazine.publish_demo(proxied.url))
    widget = Widget(page)
    expect(widget.counter).to_have_text("0 comments / 1 view")
    widget.post("Posted through the proxy.")
    expect(widget.comment("Posted through the proxy")).to_have_count(1)
    page.reload()
    expect(widget.counter).to_have_text("1 comment / 1 view")
    expect(widget.comment("Posted through the proxy")).to_have_count(1)
    assert builders.counters(app, DEMO_KEY) == (1, 1)
    # Both instances took their share of the page's requests.
    for log in proxied.instance_logs:
        assert '"logger": "engagement.requests"' in log.read_text()


def test_nginx_keeps_the_widget_script_with_long_caching(proxied: Proxied) -> None:
    with urlopen(f"{proxied.url}/embed.js", timeout=10) as first:
        body = first.read()
    with urlopen(f"{proxied.url}/embed.js", timeout=10) as second:
        assert second.read() == body
        assert second.headers["X-Cache-Status"] == "HIT"
        assert second.headers["Cache-Control"] == "public, max-age=86400"
        assert second.headers["Content-Type"].startswith("text/javascript")


def _view_from(proxied: Proxied, source: str, key: str) -> dict[str, Any]:
    """Record a view through nginx from the client address ``source`` (on the loopback)."""
    host, port = proxied.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10, source_address=(source, 0))
    connection.request(
        "POST",
        f"/api/v1/articles/{key}/views",
        headers={"User-Agent": READER_USER_AGENT, "X-Forwarded-For": "198.51.100.1"},
    )
    response = connection.getresponse()
    answer = {"status": response.status, "id": response.headers["X-Request-ID"]}
    answer.update(json.loads(response.read()))
    connection.close()
    return answer


def test_the_service_sees_each_clients_own_address_through_nginx(
    proxied: Proxied, app: Flask
) -> None:
    builders.article(app, key="via-proxy")
    # Two readers with the same browser on two addresses are two visitors; the address a
    # client writes into X-Forwarded-For itself is not believed.
    first = _view_from(proxied, "127.0.0.2", "via-proxy")
    second = _view_from(proxied, "127.0.0.3", "via-proxy")
    again = _view_from(proxied, "127.0.0.2", "via-proxy")
    assert (first["counted"], second["counted"], again["counted"]) == (True, True, False)


def test_nginx_gives_each_request_an_id_that_the_service_logs(proxied: Proxied, app: Flask) -> None:
    builders.article(app, key="with-an-id")
    answer = _view_from(proxied, "127.0.0.2", "with-an-id")
    assert re.fullmatch(r"[0-9a-f]{32}", answer["id"])  # nginx's $request_id
    served_by = [log for log in proxied.instance_logs if answer["id"] in log.read_text()]
    assert len(served_by) == 1


def _workers(master: int) -> set[int]:
    return {int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()}


def test_reloading_the_instances_one_at_a_time_fails_no_request(proxied: Proxied) -> None:
    # The README's upgrade: each instance reloaded gracefully in turn (SIGHUP); while one
    # replaces its worker, nginx sends what it refuses to the other.
    failures: list[str] = []
    answered = 0
    stop = threading.Event()

    def keep_reading() -> None:
        nonlocal answered
        while not stop.is_set():
            try:
                with urlopen(f"{proxied.url}/api/v1/counters?keys=reload", timeout=10) as answer:
                    answer.read()
            except OSError as error:
                failures.append(str(error))
            answered += 1

    readers = [threading.Thread(target=keep_reading) for _ in range(2)]
    for reader in readers:
        reader.start()
    try:
        for master in proxied.instance_pids:
            before = _workers(master)
            os.kill(master, signal.SIGHUP)
            # The old worker goes once the new one has had GRANIAN_RESPAWN_INTERVAL (15 s).
            deadline = time.monotonic() + 45
            while time.monotonic() < deadline and (
                not _workers(master) or _workers(master) & before
            ):
                time.sleep(0.1)
            assert _workers(master) and not _workers(master) & before, "no new worker"
            time.sleep(1)
    finally:
        stop.set()
        for reader in readers:
            reader.join(timeout=15)
    assert failures == [] and answered > 20
