"""Sign-in tokens the service refuses, each with a 401 that says why."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.identity.tokens import bearer, exchange, hs256, unsigned


def refusal(response: Any) -> str:
    assert response.status_code == 401, response.json
    assert response.json["error"]["field"] == "token"
    return str(response.json["error"]["code"])


def test_an_expired_token_is_refused(client: FlaskClient) -> None:
    now = int(time.time())
    assert refusal(exchange(client, hs256(iat=now - 400, exp=now - 100))) == "token_expired"


def test_a_token_with_a_forged_signature_is_refused(client: FlaskClient) -> None:
    forged = hs256(secret="not-the-magazines-secret-0123456789abcdef")
    assert refusal(exchange(client, forged)) == "token_bad_signature"


def test_a_token_for_another_audience_is_refused(client: FlaskClient) -> None:
    assert refusal(exchange(client, hs256(aud="another-service"))) == "token_wrong_audience"


def test_a_token_from_another_issuer_is_refused(client: FlaskClient) -> None:
    assert refusal(exchange(client, hs256(iss="https://evil.example"))) == "token_wrong_issuer"


def test_an_unsigned_token_alg_none_is_refused(client: FlaskClient) -> None:
    assert refusal(exchange(client, unsigned())) == "token_algorithm_refused"


def test_a_token_used_twice_is_refused_the_second_time(client: FlaskClient) -> None:
    token = hs256()
    assert exchange(client, token).status_code == 201
    assert refusal(exchange(client, token)) == "token_replayed"


@pytest.mark.parametrize("missing", ["exp", "iat", "jti", "sub", "aud", "iss"])
def test_a_token_without_a_required_claim_is_refused(client: FlaskClient, missing: str) -> None:
    assert refusal(exchange(client, hs256(**{missing: None}))) == "token_missing_claim"


def test_clock_skew_within_the_leeway_is_tolerated(client: FlaskClient) -> None:
    now = int(time.time())
    ahead = hs256(iat=now + 20, exp=now + 300)
    just_expired = hs256(iat=now - 300, exp=now - 20)
    assert exchange(client, ahead).status_code == 201
    assert exchange(client, just_expired).status_code == 201


def test_a_token_dated_beyond_the_leeway_is_refused(client: FlaskClient) -> None:
    now = int(time.time())
    assert refusal(exchange(client, hs256(iat=now + 120, exp=now + 300))) == "token_not_yet_valid"


def test_a_long_lived_token_is_refused(client: FlaskClient) -> None:
    now = int(time.time())
    week = hs256(iat=now, exp=now + 7 * 86400)
    assert refusal(exchange(client, week)) == "token_too_long_lived"


@pytest.mark.parametrize(
    "claim",
    [{"sub": 42}, {"sub": "x" * 201}, {"name": ["Ada"]}, {"roles": {"staff": True}}, {"jti": 7}],
)
def test_a_token_with_a_malformed_claim_is_refused(
    client: FlaskClient, claim: dict[str, Any]
) -> None:
    assert refusal(exchange(client, hs256(**claim))) == "token_invalid_claim"


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", "e30.e30.", "x" * 3000])
def test_something_that_is_not_a_jwt_is_refused(client: FlaskClient, token: str) -> None:
    assert refusal(exchange(client, token)) in {"token_malformed", "token_algorithm_refused"}


@pytest.mark.parametrize(
    "body", [{}, {"token": ""}, {"token": 42}, {"token": None}, {"token": "x" * 9000}]
)
def test_a_body_without_a_token_is_a_400(client: FlaskClient, body: dict[str, Any]) -> None:
    response = client.post("/api/v1/sso/session", json=body)
    assert response.status_code == 400
    assert response.json["error"]["field"] == "token"


def test_a_refused_token_signs_nobody_in(app: Flask, client: FlaskClient) -> None:
    exchange(client, hs256(aud="another-service"))
    from engagement import db as database
    from engagement.models import Reader, UsedSignInToken

    with app.app_context():
        db = database.session()
        assert db.query(Reader).count() == 0 and db.query(UsedSignInToken).count() == 0


@pytest.mark.parametrize(
    "header", ["Bearer forged.session", "Basic abc", "Bearer ", "token", "Bearer " + "x" * 5000]
)
def test_a_forged_reader_session_is_a_401(client: FlaskClient, header: str) -> None:
    response = client.get("/api/v1/sso/session", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "session_invalid"


def test_an_expired_reader_session_is_a_401(app: Flask, client: FlaskClient) -> None:
    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    from engagement.identity import sessions

    class Yesterday(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 13 * 3600  # the default session lasts 12 hours

    serializer = URLSafeTimedSerializer(
        app.config["SECRET_KEY"], salt=sessions.SALT, signer=Yesterday
    )
    old = serializer.dumps({"sub": "reader-42"})
    response = client.get("/api/v1/sso/session", headers=bearer(old))
    assert response.status_code == 401
    assert response.json["error"]["code"] == "session_expired"


def test_sign_in_is_404_where_the_site_accepts_no_tokens(app: Flask, client: FlaskClient) -> None:
    app.config["SSO_SECRET"] = ""
    response = exchange(client, hs256())
    assert response.status_code == 404
    assert response.json["error"]["code"] == "sign_in_not_configured"
