"""The request side of identity: the settings the identity verbs take, read from the app's
config, and the reader session a request carries (``Authorization: Bearer``)."""

from __future__ import annotations

import threading
from datetime import timedelta

import jwt
from flask import current_app, request

from engagement.identity import sessions, signin
from engagement.identity.sessions import ReaderSession

_JWKS = "engagement.jwks"
_jwks_lock = threading.Lock()


def _jwks_client() -> jwt.PyJWKClient | None:
    """The app's JWKS client (kept: it caches the key set), or None without a JWKS URL."""
    config = current_app.config
    url = config["SSO_JWKS_URL"]
    if not url:
        return None
    wanted = (url, config["SSO_JWKS_CACHE_SECONDS"], config["SSO_JWKS_REFRESH_SECONDS"])
    with _jwks_lock:
        kept = current_app.extensions.get(_JWKS)
        if kept is None or kept[0] != wanted:
            client = signin.jwks_client(url, cache_seconds=wanted[1], refresh_seconds=wanted[2])
            kept = current_app.extensions[_JWKS] = (wanted, client)
        return kept[1]  # type: ignore[no-any-return]


def sign_in_settings() -> signin.SignInSettings:
    """How this site checks sign-in tokens (``ENGAGEMENT_SSO_*``)."""
    config = current_app.config
    return signin.SignInSettings(
        secret=config["SSO_SECRET"],
        keys=_jwks_client(),
        issuer=config["SSO_ISSUER"],
        audience=config["SSO_AUDIENCE"],
        leeway_seconds=config["SSO_LEEWAY_SECONDS"],
        max_token_seconds=config["SSO_MAX_TOKEN_SECONDS"],
    )


def secret_key() -> str:
    """The key reader sessions are signed with."""
    return str(current_app.config["SECRET_KEY"])


def session_lifetime() -> timedelta:
    """How long a reader session lasts (``ENGAGEMENT_SSO_SESSION_HOURS``)."""
    return timedelta(hours=current_app.config["SSO_SESSION_HOURS"])


def current() -> ReaderSession | None:
    """The reader the request's ``Authorization: Bearer`` session names; None for a guest.
    A forged, damaged or expired session is refused (401), never a silent guest."""
    return sessions.from_header(
        request.headers.get("Authorization"),
        secret_key=secret_key(),
        lifetime=session_lifetime(),
    )
