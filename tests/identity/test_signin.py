"""The magazine's sign-in tokens: each accepted algorithm, and every way a token is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from flask import Flask
from flask.testing import FlaskClient

from tests.identity.tokens import (
    SSO_SETTINGS,
    JwksServer,
    KeyPair,
    bearer,
    claims,
    exchange,
    hs256,
)


def refusal(response: Any) -> str:
    assert response.status_code == 401, response.json
    return str(response.json["error"]["code"])


def test_an_hs256_token_opens_a_reader_session(client: FlaskClient) -> None:
    response = exchange(client, hs256(roles=["subscriber", "editor-in-chief"]))
    assert response.status_code == 201
    reader = response.json["reader"]
    assert reader["name"] == "Ada Lovelace"
    assert (reader["staff"], reader["subscriber"]) == (False, True)
    assert "reader-42" not in response.get_data(as_text=True), "the subject stays private"
    whoami = client.get("/api/v1/sso/session", headers=bearer(response.json["session"]))
    assert whoami.status_code == 200 and whoami.json["id"] == reader["id"]


@pytest.fixture
def settings(jwks: JwksServer) -> dict[str, Any]:
    return {**SSO_SETTINGS, "SSO_JWKS_URL": jwks.url, "SSO_JWKS_REFRESH_SECONDS": 0}


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_a_token_signed_with_a_key_of_the_jwks_is_accepted(
    client: FlaskClient, jwks: JwksServer, algorithm: str
) -> None:
    key = KeyPair(algorithm, kid=f"{algorithm}-2026")
    jwks.keys.append(key)
    response = exchange(client, key.sign(name="Grace Hopper"))
    assert response.status_code == 201
    assert response.json["reader"]["name"] == "Grace Hopper"


def test_the_jwks_is_fetched_once_and_kept(client: FlaskClient, jwks: JwksServer) -> None:
    key = KeyPair("ES256", kid="k1")
    jwks.keys.append(key)
    for _ in range(3):
        assert exchange(client, key.sign()).status_code == 201
    assert jwks.fetches == 1


def test_an_unknown_kid_fetches_the_jwks_again(client: FlaskClient, jwks: JwksServer) -> None:
    old = KeyPair("RS256", kid="2026-11")
    jwks.keys.append(old)
    assert exchange(client, old.sign()).status_code == 201
    rotated = KeyPair("RS256", kid="2026-12")
    jwks.keys.append(rotated)
    assert exchange(client, rotated.sign()).status_code == 201
    assert jwks.fetches == 2


def test_a_kid_the_jwks_does_not_have_is_refused(client: FlaskClient, jwks: JwksServer) -> None:
    jwks.keys.append(KeyPair("RS256", kid="published"))
    stranger = KeyPair("RS256", kid="never-published")
    assert refusal(exchange(client, stranger.sign())) == "token_unknown_key"


def test_a_token_signed_by_another_key_under_a_known_kid_is_refused(
    client: FlaskClient, jwks: JwksServer
) -> None:
    jwks.keys.append(KeyPair("ES256", kid="k1"))
    forger = KeyPair("ES256", kid="k1")
    assert refusal(exchange(client, forger.sign())) == "token_bad_signature"


def test_an_hs256_token_keyed_with_the_public_key_is_refused(
    app: Flask, client: FlaskClient, jwks: JwksServer
) -> None:
    """The classic key confusion: the public key used as an HMAC secret."""
    app.config["SSO_SECRET"] = ""  # keys only: HS256 must not be accepted at all
    key = KeyPair("RS256", kid="k1")
    jwks.keys.append(key)
    pem = key.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    head = _b64({"alg": "HS256", "typ": "JWT", "kid": "k1"})
    body = _b64(claims())
    signature = hmac.new(pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
    forged = f"{head}.{body}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"
    assert refusal(exchange(client, forged)) == "token_algorithm_refused"


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def test_a_jwks_that_does_not_answer_is_a_503(app: Flask, client: FlaskClient) -> None:
    app.config["SSO_JWKS_URL"] = "http://127.0.0.1:9/jwks.json"
    key = KeyPair("RS256", kid="k1")
    response = exchange(client, key.sign())
    assert response.status_code == 503
    assert response.json["error"]["code"] == "sign_in_unavailable"


def test_tokens_and_sessions_are_checked_with_the_settings_given_without_an_app() -> None:
    from datetime import timedelta

    from engagement.identity import sessions, signin
    from engagement.refusals import NotFound, SignInRequired
    from tests.identity.tokens import AUDIENCE, ISSUER, SECRET

    given = signin.SignInSettings(
        secret=SECRET,
        keys=None,
        issuer=ISSUER,
        audience=AUDIENCE,
        leeway_seconds=30,
        max_token_seconds=3600,
    )
    sign_in = signin.verify(hs256(), settings=given)
    session = sessions.issue(sign_in, secret_key="k" * 32)
    header = f"Bearer {session}"
    found = sessions.from_header(header, secret_key="k" * 32, lifetime=timedelta(hours=1))
    assert found is not None and found.subject == "reader-42"
    with pytest.raises(SignInRequired):
        sessions.from_header(header, secret_key="another" * 8, lifetime=timedelta(hours=1))
    with pytest.raises(NotFound):
        signin.verify(hs256(), settings=signin.SignInSettings("", None, ISSUER, AUDIENCE, 30, 60))
