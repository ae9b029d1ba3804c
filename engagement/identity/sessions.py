"""Reader sessions: what the widget sends after the magazine's sign-in token was exchanged.

A session is a token this service signs with its own secret key (itsdangerous), naming the
reader's subject, name, avatar and roles. The widget sends it as ``Authorization: Bearer``
on the requests that act for the reader (posting, editing and deleting their comments). It
holds no secret of the reader's; logging out is the widget forgetting it.

The secret key and the sessions' lifetime come from the caller (``web.py`` reads them from the
app's config).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from engagement.identity.signin import SignIn
from engagement.keyed import site_hash
from engagement.refusals import SignInRequired

SALT = "engagement.reader-session"
# The scheme and the longest header value worth reading: a session is a few hundred bytes.
SCHEME = "bearer "
MAX_HEADER = 4096


@dataclass(frozen=True)
class ReaderSession:
    """The signed-in reader a request acts for."""

    subject: str
    name: str | None
    avatar: str | None
    roles: frozenset[str]

    @property
    def staff(self) -> bool:
        return "staff" in self.roles

    @property
    def subscriber(self) -> bool:
        """Subscribers, and the newsroom, may comment where subscribers may."""
        return bool({"subscriber", "staff"} & self.roles)


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def issue(sign_in: SignIn, *, secret_key: str) -> str:
    """A session for the reader a sign-in token named, signed with ``secret_key``."""
    payload = {
        "sub": sign_in.subject,
        "name": sign_in.name,
        "avatar": sign_in.avatar,
        "roles": sorted(sign_in.roles),
    }
    return _serializer(secret_key).dumps(payload)


def reader_id(subject: str) -> str:
    """The public id of a signed-in reader: a keyed hash, so their subject stays private."""
    return site_hash(subject, person=b"reader")


def describe(session: ReaderSession, *, expires_at: datetime | None = None) -> dict[str, Any]:
    """What the widget learns about its signed-in reader."""
    shown: dict[str, Any] = {
        "id": reader_id(session.subject),
        "name": session.name,
        "avatar": session.avatar,
        "staff": session.staff,
        "subscriber": session.subscriber,
    }
    if expires_at is not None:
        shown["expires_at"] = expires_at.isoformat()
    return shown


def from_sign_in(sign_in: SignIn) -> ReaderSession:
    """The session a sign-in opens."""
    return ReaderSession(
        subject=sign_in.subject, name=sign_in.name, avatar=sign_in.avatar, roles=sign_in.roles
    )


def _refused(code: str, message: str) -> SignInRequired:
    return SignInRequired(code, message, "Authorization")


def from_header(
    header: str | None, *, secret_key: str, lifetime: timedelta
) -> ReaderSession | None:
    """The reader an ``Authorization: Bearer`` header's session names; None for a guest (no
    header). Sessions are signed with ``secret_key`` and last ``lifetime``.

    A session that is forged, damaged or expired is refused (a 401), never a silent guest: the
    widget must learn that its reader has to sign in again.
    """
    if header is None or header == "":
        return None
    if len(header) > MAX_HEADER or not header[: len(SCHEME)].lower() == SCHEME:
        raise _refused("session_invalid", "Send the reader session as `Authorization: Bearer`.")
    raw = header[len(SCHEME) :].strip()
    max_age = int(lifetime.total_seconds())
    try:
        payload = _serializer(secret_key).loads(raw, max_age=max_age)
    except SignatureExpired:
        raise _refused("session_expired", "The reader session has expired.") from None
    except BadSignature:
        raise _refused(
            "session_invalid", "The reader session is not valid: sign in again."
        ) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("sub"), str):
        raise _refused("session_invalid", "The reader session is not valid: sign in again.")
    return ReaderSession(
        subject=payload["sub"],
        name=payload.get("name"),
        avatar=payload.get("avatar"),
        roles=frozenset(payload.get("roles") or ()),
    )
