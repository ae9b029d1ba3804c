"""Moderator logins spend the `login` budget; the login page itself is only a read."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.moderation.conftest import log_in, make_moderator


@pytest.fixture
def settings() -> dict[str, Any]:
    return {"RATELIMIT_ENABLED": True, "LIMIT_LOGIN": "3 per 15 minutes"}


def test_login_attempts_beyond_the_limit_get_a_429_page(app: Flask, client: FlaskClient) -> None:
    make_moderator(app, "mia")
    attempts = [log_in(client, "mia", "wrong password").status_code for _ in range(4)]
    assert attempts == [401, 401, 401, 429]
    refused = log_in(client, "mia")
    assert refused.status_code == 429
    assert refused.mimetype == "text/html"
    assert 890 <= int(refused.headers["Retry-After"]) <= 900


def test_showing_the_login_form_is_not_an_attempt(app: Flask, client: FlaskClient) -> None:
    make_moderator(app, "mia")
    assert {client.get("/moderation/login").status_code for _ in range(5)} == {200}
    assert log_in(client, "mia").status_code == 303
