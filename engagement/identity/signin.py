"""Checking the sign-in tokens the magazine's backend signs for its logged-in readers (SSO).

A token is a JWT: HS256 under the shared secret ``ENGAGEMENT_SSO_SECRET``, or RS256/ES256
under a key of the JWKS at ``ENGAGEMENT_SSO_JWKS_URL`` (named by the token's ``kid``). Its
``iss`` and ``aud`` must be the configured ones; ``exp``, ``iat``, ``sub`` and ``jti`` are
required; ``exp`` and ``iat`` are checked with ``ENGAGEMENT_SSO_LEEWAY_SECONDS`` of clock skew
and a token may live at most ``ENGAGEMENT_SSO_MAX_TOKEN_SECONDS``. Each token is exchanged
once (``exchange``): its ``jti`` is kept until it expires, so a replay is refused.

Every refusal is ``SignInRequired`` (a 401) whose code says why (``token_expired``,
``token_replayed``...). The settings come from the caller (``SignInSettings``), never from the
app's config.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from sqlalchemy import delete
from sqlalchemy.orm import Session

from engagement import db as database
from engagement.models import UsedSignInToken, utcnow
from engagement.refusals import NotFound, SignInRequired, Unavailable

HMAC_ALGORITHMS = ["HS256"]
KEY_ALGORITHMS = ["RS256", "ES256"]
REQUIRED = ["exp", "iat", "sub", "jti", "iss", "aud"]
SUBJECT_MAX = 200
NAME_MAX = 100
EMAIL_MAX = 254
AVATAR_MAX = 500
ROLES = frozenset({"staff", "subscriber"})
# Seconds the service waits for the JWKS URL: a slow identity provider cannot hang a post.
JWKS_TIMEOUT = 5


@dataclass(frozen=True)
class SignIn:
    """Who the magazine says the reader is."""

    subject: str
    name: str | None
    email: str | None
    avatar: str | None
    roles: frozenset[str]
    expires_at: datetime
    # SHA-256 of the token's issuer and ``jti``: what a replay is recognised by.
    token_id: str


@dataclass(frozen=True)
class SignInSettings:
    """What checking a token needs (``ENGAGEMENT_SSO_*``): the shared secret and the JWKS
    client (either may be absent), the expected issuer and audience, the clock skew allowed
    and the longest life a token may have."""

    secret: str
    keys: jwt.PyJWKClient | None
    issuer: str
    audience: str
    leeway_seconds: int
    max_token_seconds: int

    @property
    def configured(self) -> bool:
        """Whether the site accepts sign-in tokens at all."""
        return bool(self.secret or self.keys)


def jwks_client(url: str, *, cache_seconds: int, refresh_seconds: int) -> jwt.PyJWKClient:
    """A JWKS client for ``url``: it caches the key set for ``cache_seconds`` and refetches it
    for an unknown ``kid``, at most once per ``refresh_seconds``."""
    return jwt.PyJWKClient(
        url,
        cache_jwk_set=True,
        lifespan=cache_seconds,
        cooldown_duration=refresh_seconds,
        timeout=JWKS_TIMEOUT,
    )


def refused(code: str, message: str) -> SignInRequired:
    """The refusal (a 401) a sign-in token gets."""
    return SignInRequired(code, message, "token")


def _key_for(token: str, header: dict[str, Any], settings: SignInSettings) -> tuple[Any, list[str]]:
    """The key that must have signed the token, and the algorithms it may have used."""
    algorithm = header.get("alg")
    if algorithm in HMAC_ALGORITHMS and settings.secret:
        return settings.secret, HMAC_ALGORITHMS
    if algorithm in KEY_ALGORITHMS and settings.keys is not None:
        if not isinstance(header.get("kid"), str):
            raise refused("token_unknown_key", "The token names no key (`kid`).")
        try:
            key = settings.keys.get_signing_key_from_jwt(token)
        except jwt.PyJWKClientConnectionError:
            raise Unavailable(
                "sign_in_unavailable", "The magazine's sign-in keys cannot be read now."
            ) from None
        except jwt.PyJWKClientError:
            raise refused(
                "token_unknown_key", "The token's key (`kid`) is not one of the magazine's."
            ) from None
        return key.key, [algorithm]
    raise refused(
        "token_algorithm_refused", f"Sign-in tokens signed with {algorithm!r} are not accepted."
    )


def _text(claims: dict[str, Any], name: str, limit: int) -> str | None:
    value = claims.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > limit or any(ord(c) < 0x20 for c in value):
        raise refused("token_invalid_claim", f"The token's `{name}` is not valid.")
    return " ".join(value.split()) or None


def _roles(claims: dict[str, Any]) -> frozenset[str]:
    raw = claims.get("roles", [])
    if isinstance(raw, str):
        raw = raw.split()
    if not isinstance(raw, list) or not all(isinstance(role, str) for role in raw):
        raise refused("token_invalid_claim", "The token's `roles` is not a list of names.")
    # Roles this service has no use for are the magazine's own business: ignored.
    return frozenset(raw) & ROLES


def verify(token: str, *, settings: SignInSettings, now: datetime | None = None) -> SignIn:
    """The sign-in a token carries, or the refusal saying what is wrong with it (no replay
    check)."""
    if not settings.configured:
        raise NotFound("sign_in_not_configured", "This site does not accept sign-in tokens.")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise refused("token_malformed", "The sign-in token is not a JWT.") from None
    key, algorithms = _key_for(token, header, settings)
    moment = now or utcnow()
    try:
        claims = _decode_at(token, key, algorithms, moment, settings)
    except jwt.ExpiredSignatureError:
        raise refused("token_expired", "The sign-in token has expired.") from None
    except jwt.InvalidAudienceError:
        raise refused("token_wrong_audience", "The token is meant for another site.") from None
    except jwt.InvalidIssuerError:
        raise refused("token_wrong_issuer", "The token comes from another issuer.") from None
    except jwt.ImmatureSignatureError:
        raise refused("token_not_yet_valid", "The sign-in token is dated in the future.") from None
    except jwt.MissingRequiredClaimError as exc:
        raise refused("token_missing_claim", f"The sign-in token has no `{exc.claim}`.") from None
    except jwt.InvalidSignatureError:
        raise refused("token_bad_signature", "The sign-in token's signature is wrong.") from None
    except (jwt.exceptions.InvalidSubjectError, jwt.exceptions.InvalidJTIError):
        raise refused("token_invalid_claim", "The token's `sub` or `jti` is not valid.") from None
    except jwt.InvalidTokenError as exc:
        raise refused("token_invalid", f"The sign-in token is not valid: {exc}.") from None
    return _sign_in(claims, moment, settings)


def _decode_at(
    token: str, key: Any, algorithms: list[str], moment: datetime, settings: SignInSettings
) -> dict[str, Any]:
    """The token's claims once its signature, issuer and audience are right, and ``exp`` and
    ``iat`` hold at ``moment``."""
    claims: dict[str, Any] = jwt.decode(
        token,
        key,
        algorithms=algorithms,
        audience=settings.audience,
        issuer=settings.issuer,
        options={"require": REQUIRED, "verify_exp": False, "verify_iat": False},
    )
    leeway = settings.leeway_seconds
    stamp = moment.timestamp()
    if not isinstance(claims["exp"], int | float) or claims["exp"] <= stamp - leeway:
        raise jwt.ExpiredSignatureError
    if not isinstance(claims["iat"], int | float) or claims["iat"] > stamp + leeway:
        raise jwt.ImmatureSignatureError
    return claims


def _sign_in(claims: dict[str, Any], moment: datetime, settings: SignInSettings) -> SignIn:
    issued, expires = claims["iat"], claims["exp"]
    if not isinstance(issued, int | float) or not isinstance(expires, int | float):
        raise refused("token_invalid_claim", "The token's `iat` and `exp` must be numbers.")
    if expires - issued > settings.max_token_seconds:
        raise refused(
            "token_too_long_lived",
            f"A sign-in token may live at most {settings.max_token_seconds} seconds.",
        )
    if issued > moment.timestamp() + settings.leeway_seconds:
        raise refused("token_not_yet_valid", "The sign-in token is dated in the future.")
    subject = claims["sub"]
    if not isinstance(subject, str) or not 1 <= len(subject) <= SUBJECT_MAX:
        raise refused("token_invalid_claim", "The token's `sub` is not a reader id.")
    if not isinstance(claims["jti"], str) or not claims["jti"]:
        raise refused("token_invalid_claim", "The token's `jti` must be a non-empty string.")
    email = _text(claims, "email", EMAIL_MAX)
    avatar = _text(claims, "avatar", AVATAR_MAX)
    if avatar is not None and not avatar.startswith("https://"):
        avatar = None  # only an https image may be shown to other readers
    return SignIn(
        subject=subject,
        name=_text(claims, "name", NAME_MAX),
        email=email.lower() if email else None,
        avatar=avatar,
        roles=_roles(claims),
        expires_at=datetime.fromtimestamp(expires, UTC),
        token_id=hashlib.sha256(f"{claims['iss']}\x00{claims['jti']}".encode()).hexdigest(),
    )


def _use_once(db: Session, *, sign_in: SignIn, now: datetime, leeway: timedelta) -> None:
    """Record the token as exchanged; refused (``token_replayed``) if it was already."""
    db.execute(delete(UsedSignInToken).where(UsedSignInToken.expires_at < now))
    insert = database.insert(db)
    result = db.execute(
        insert(UsedSignInToken)
        .values(token_hash=sign_in.token_id, expires_at=sign_in.expires_at + leeway)
        .on_conflict_do_nothing(index_elements=["token_hash"])
        .returning(UsedSignInToken.token_hash)
    )
    if result.first() is None:
        raise refused("token_replayed", "This sign-in token was used already.")


def exchange(
    db: Session, *, token: str, settings: SignInSettings, now: datetime | None = None
) -> SignIn:
    """Check a sign-in token and spend it: it is accepted once."""
    moment = now or utcnow()
    sign_in = verify(token, settings=settings, now=now)
    leeway = timedelta(seconds=settings.leeway_seconds)
    _use_once(db, sign_in=sign_in, now=moment, leeway=leeway)
    return sign_in
