"""Who the client is behind proxies: X-Forwarded-For counts only for the trusted hops."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from engagement import ratelimit
from tests import builders

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"
PROXY = "10.0.0.2"


@pytest.fixture
def settings() -> dict[str, Any]:
    return {"RATELIMIT_ENABLED": True, "LIMIT_VIEWS": "2 per minute"}


def view(client: FlaskClient, *, peer: str, forwarded_for: str | None = None) -> TestResponse:
    headers = {"User-Agent": BROWSER}
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    return client.post(
        "/api/v1/articles/the-story/views", headers=headers, environ_base={"REMOTE_ADDR": peer}
    )


def test_without_trusted_proxies_a_forged_header_does_not_escape_the_limit(
    app: Flask, client: FlaskClient
) -> None:
    builders.article(app)
    answers = [view(client, peer="198.51.100.7", forwarded_for=f"203.0.113.{i}") for i in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 429, 429]


@pytest.mark.parametrize("settings", [{"RATELIMIT_ENABLED": True, "TRUSTED_PROXIES": 1}])
def test_behind_one_proxy_each_forwarded_client_has_its_own_budget(
    app: Flask, client: FlaskClient
) -> None:
    app.config["LIMIT_VIEWS"] = "2 per minute"
    builders.article(app)
    for _ in range(2):
        view(client, peer=PROXY, forwarded_for="203.0.113.1")
    assert view(client, peer=PROXY, forwarded_for="203.0.113.1").status_code == 429
    assert view(client, peer=PROXY, forwarded_for="203.0.113.2").status_code == 200


@pytest.mark.parametrize("settings", [{"RATELIMIT_ENABLED": True, "TRUSTED_PROXIES": 1}])
def test_behind_one_proxy_entries_the_client_forged_are_ignored(
    app: Flask, client: FlaskClient
) -> None:
    app.config["LIMIT_VIEWS"] = "2 per minute"
    builders.article(app)
    # The client sends its own X-Forwarded-For; the proxy appends the address it saw.
    answers = [
        view(client, peer=PROXY, forwarded_for=f"192.0.2.{i}, 203.0.113.1") for i in range(4)
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 429, 429]


@pytest.mark.parametrize(
    ("peer", "key"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:aa:1::5", "2001:db8:aa:1::/64"),
        ("2001:db8:aa:1:ffff:ffff:ffff:ffff", "2001:db8:aa:1::/64"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("not-an-address", "unparsed:not-an-address"),
    ],
)
def test_client_key_is_the_address_or_its_ipv6_64(app: Flask, peer: str, key: str) -> None:
    with app.test_request_context(environ_base={"REMOTE_ADDR": peer}):
        assert ratelimit.client_key() == key
