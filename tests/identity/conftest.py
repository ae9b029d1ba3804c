from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.identity.tokens import SSO_SETTINGS, JwksServer


@pytest.fixture
def settings() -> dict[str, Any]:
    """Sign-in with HS256 tokens of the shared secret."""
    return dict(SSO_SETTINGS)


@pytest.fixture
def jwks() -> Iterator[JwksServer]:
    """The magazine's JWKS endpoint, served by the test."""
    server = JwksServer()
    yield server
    server.stop()
