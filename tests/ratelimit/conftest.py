"""Redis for the rate-limit tests: the shared one (``ENGAGEMENT_TEST_REDIS_URL``), and one of
their own they may stop and start."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from engagement import ratelimit
from tests.conftest import REDIS_URL, REQUIRE_SERVICES, require

NO_RETRY = Retry(NoBackoff(), 0)


def clear_limits(url: str) -> None:
    """Forget every count this service keeps in the Redis at ``url``."""
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(f"LIMITS:LIMITER/{ratelimit.KEY_PREFIX}/*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def redis_url() -> str:
    url = require(REDIS_URL, "ENGAGEMENT_TEST_REDIS_URL")
    clear_limits(url)
    return url


def free_port() -> int:
    """A TCP port nothing listens on now, so parallel test runs never share a server."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class OwnRedis:
    """A throw-away Redis this test may stop and start at will."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self) -> None:
        server = shutil.which("redis-server")
        if server is None:
            message = "redis-server is not installed: the outage tests start their own"
            if REQUIRE_SERVICES:
                pytest.fail(message)
            pytest.skip(message)
        subprocess.run(
            [server, "--port", str(self.port), "--save", "", "--daemonize", "yes"], check=True
        )
        client = redis.Redis(port=self.port, retry=NO_RETRY)
        deadline = time.monotonic() + 5
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
            finally:
                client.close()

    def stop(self) -> None:
        client = redis.Redis(port=self.port, retry=NO_RETRY)
        try:
            client.shutdown(nosave=True)
        except redis.ConnectionError:
            pass  # already down: that is what shutting down looks like from here
        finally:
            client.close()


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    server = OwnRedis(free_port())
    server.start()
    yield server
    server.stop()
