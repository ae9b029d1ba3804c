"""API tokens: the CMS's credential. Shown once at creation, stored as a SHA-256 hash."""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import g, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from engagement import db as database
from engagement.errors import ApiError
from engagement.models import ApiToken, TokenScope, utcnow
from engagement.moderation.audit import Actor, record

F = TypeVar("F", bound=Callable[..., Any])
PREFIX = "eng_"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create(
    db: Session, *, actor: Actor, name: str, scopes: Iterable[TokenScope]
) -> tuple[ApiToken, str]:
    """Create a token, logged as ``actor``'s; returns it with its secret, which is not stored
    and cannot be shown again."""
    wanted = set(scopes)
    ordered = [scope.value for scope in TokenScope if scope in wanted]
    if not ordered:
        raise ValueError("a token needs at least one scope")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        token_hash=_digest(secret),
        scopes=" ".join(ordered),
        created_by_id=actor.moderator_id,
    )
    db.add(token)
    db.flush()
    record(db, actor=actor, action="token.create", after=_state(token))
    return token, secret


def _state(token: ApiToken) -> dict[str, Any]:
    return {"id": token.id, "name": token.name, "scopes": token.scopes}


def authenticate(db: Session, secret: str) -> ApiToken | None:
    """The live token with this secret, or None."""
    # The lookup is by hash of a 256-bit secret: timing reveals nothing usable about the secret.
    token = db.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    if token is None or token.revoked_at is not None:
        return None
    return token


def revoke(db: Session, *, actor: Actor, token: ApiToken, reason: str | None = None) -> bool:
    """Revoke a token, logged as ``actor``'s: requests carrying it are refused from now on.
    False, and nothing logged, when it was revoked already."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    db.flush()
    record(db, actor=actor, action="token.revoke", reason=reason, after=_state(token))
    return True


def get(db: Session, *, token_id: int) -> ApiToken | None:
    """The token with this id (live or revoked), or None."""
    return db.get(ApiToken, token_id)


def all_tokens(db: Session) -> list[ApiToken]:
    """Every token, live ones first, newest first; their secrets are not known to anyone."""
    return list(
        db.scalars(select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc()))
    )


def bearer() -> str | None:
    """The secret from ``Authorization: Bearer ...``, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


def require_token(scope: TokenScope) -> ApiToken:
    """The request's live API token (also kept in ``g.api_token``), which must hold ``scope``.

    401 without a live token; 403 when the token lacks the scope.
    """
    secret = bearer()
    if secret is None:
        raise ApiError(401, "unauthorized", "Send an API token: Authorization: Bearer <token>.")
    token = authenticate(database.session(), secret)
    if token is None:
        raise ApiError(401, "invalid_token", "The API token is unknown or revoked.")
    if not token.may(scope):
        raise ApiError(
            403,
            "insufficient_scope",
            f"This API token may not do this: it needs the scope '{scope}'.",
        )
    g.api_token = token
    return token


def token_required(scope: TokenScope) -> Callable[[F], F]:
    """Refuse the request unless it carries a live API token holding ``scope`` (see
    ``require_token``)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            require_token(scope)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
