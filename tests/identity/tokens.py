"""Sign-in tokens as the magazine's backend signs them, and a JWKS server for their keys."""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from flask.testing import FlaskClient

SECRET = "the-magazine-shared-secret-0123456789abcdef"
ISSUER = "https://magazine.example"
AUDIENCE = "engagement"
SSO_SETTINGS: dict[str, Any] = {
    "SSO_SECRET": SECRET,
    "SSO_ISSUER": ISSUER,
    "SSO_AUDIENCE": AUDIENCE,
}


def claims(subject: str = "reader-42", **overrides: Any) -> dict[str, Any]:
    """A fresh token's claims: five minutes to live, a new ``jti``."""
    now = int(time.time())
    values: dict[str, Any] = {
        "sub": subject,
        "name": "Ada Lovelace",
        "email": "ada@readers.example",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
    }
    values.update(overrides)
    return {name: value for name, value in values.items() if value is not None}


def hs256(subject: str = "reader-42", *, secret: str = SECRET, **overrides: Any) -> str:
    """A token signed with the shared secret."""
    return jwt.encode(claims(subject, **overrides), secret, algorithm="HS256")


def unsigned(subject: str = "reader-42", **overrides: Any) -> str:
    """A token with ``alg: none``: no signature at all."""
    return jwt.encode(claims(subject, **overrides), None, algorithm="none")


def exchange(client: FlaskClient, token: str) -> Any:
    """POST the token to the sign-in route; the response."""
    return client.post("/api/v1/sso/session", json={"token": token})


def sign_in(client: FlaskClient, subject: str = "reader-42", **overrides: Any) -> str:
    """A reader session for ``subject`` (HS256 sign-in)."""
    response = exchange(client, hs256(subject, **overrides))
    assert response.status_code == 201, response.json
    return str(response.json["session"])


def bearer(session: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {session}"}


class KeyPair:
    """A signing key of the magazine with its ``kid`` and its public JWK."""

    def __init__(self, kind: str, kid: str) -> None:
        self.kid = kid
        if kind == "RS256":
            self.private: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            self.algorithm = jwt.algorithms.RSAAlgorithm(jwt.algorithms.RSAAlgorithm.SHA256)
        else:
            self.private = ec.generate_private_key(ec.SECP256R1())
            self.algorithm = jwt.algorithms.ECAlgorithm(jwt.algorithms.ECAlgorithm.SHA256)
        self.kind = kind

    def jwk(self) -> dict[str, Any]:
        public = json.loads(self.algorithm.to_jwk(self.private.public_key()))
        return {**public, "kid": self.kid, "alg": self.kind, "use": "sig"}

    def sign(self, subject: str = "reader-42", **overrides: Any) -> str:
        return jwt.encode(
            claims(subject, **overrides),
            self.private,
            algorithm=self.kind,
            headers={"kid": self.kid},
        )


class JwksServer:
    """The magazine's JWKS endpoint on 127.0.0.1, counting how often it is read."""

    def __init__(self) -> None:
        self.keys: list[KeyPair] = []
        self.fetches = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.fetches += 1
                body = json.dumps({"keys": [key.jwk() for key in outer.keys]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/.well-known/jwks.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
