"""Bans: who may not comment (an email, a visitor hash, an IP network or a name), why, until when.

A ban is active from its creation until it expires or is lifted. Values are stored normalized
(lower-cased email, CIDR network, case-folded name), so looking one up is an equality test;
networks are few and are matched in Python, which works the same on every database.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import Field
from sqlalchemy import ColumnElement, and_, bindparam, or_, select
from sqlalchemy.orm import Session

from engagement.models import Ban, BanKind, Comment, utcnow
from engagement.parsing import column_length, comparable_name, whole_number
from engagement.refusals import NotFound, Refusal, invalid

VALUE_MAX = column_length(Ban.value)
NAME_MAX = column_length(Comment.author_name)

# A ban lasts at most this many days, or for good.
MAX_DAYS = 36500
DAYS_RULE = f"A ban lasts 1 to {MAX_DAYS} days, or leave it empty for good."
# A ban's length in a JSON body (``days: bans.Days | None``, null: for good); ``days_from_text``
# is the same rule for a form.
Days = Annotated[int, Field(ge=1, le=MAX_DAYS)]
# Broader networks are refused: a typo like 0.0.0.0/0 would ban every reader.
MIN_PREFIX = {4: 8, 6: 32}
_VISITOR = re.compile(r"[0-9a-f]{32,64}")
_SPACES = re.compile(r"\s+")


def expiry(days: int | None) -> datetime | None:
    """When a ban of ``days`` from now ends (None: it lasts for good)."""
    return utcnow() + timedelta(days=days) if days else None


def normalize(kind: BanKind, value: str) -> str:
    """The stored form of a ban's value; refused as invalid (``value``) when it cannot be one.

    A name is kept as ``parsing.comparable_name`` gives it, so a ban typed in any Unicode form
    (composed, decomposed, full-width, any case) matches the poster's name in any other.
    """
    raw = value.strip()
    if kind is BanKind.EMAIL:
        email = raw.lower()
        if "@" not in email.strip("@") or len(email) > VALUE_MAX or _SPACES.search(email):
            raise invalid("value", "An email ban needs an address like reader@example.com.")
        return email
    if kind is BanKind.VISITOR:
        visitor = raw.lower()
        if not _VISITOR.fullmatch(visitor):
            raise invalid("value", "A visitor ban needs a visitor hash (32 to 64 hex digits).")
        return visitor
    if kind is BanKind.NETWORK:
        return _network(raw)
    name = comparable_name(raw)
    if not name or len(name) > NAME_MAX:
        raise invalid("value", f"A name ban needs a name of 1 to {NAME_MAX} characters.")
    return name


def _network(raw: str) -> str:
    try:
        network = ipaddress.ip_network(raw, strict=False)
    except ValueError:
        raise invalid(
            "value", "A network ban needs an IP address or a CIDR network like 203.0.113.0/24."
        ) from None
    if network.prefixlen < MIN_PREFIX[network.version]:
        raise invalid(
            "value",
            f"An IPv{network.version} network ban may be at most "
            f"/{MIN_PREFIX[network.version]} wide.",
        )
    return str(network)


def days_from_text(raw: str) -> int | None:
    """A ban's length in days as typed in a form, None when empty (for good); else an
    ``Invalid`` refusal naming ``days``."""
    text = raw.strip()
    if not text:
        return None
    try:
        return whole_number(text, field="days", maximum=MAX_DAYS)
    except Refusal:
        raise invalid("days", DAYS_RULE) from None


def is_active(ban: Ban, *, now: datetime | None = None) -> bool:
    """Whether the ban applies at ``now``: not lifted, not expired."""
    moment = now or utcnow()
    return ban.revoked_at is None and (ban.expires_at is None or ban.expires_at > moment)


def _active(now: datetime | ColumnElement[datetime]) -> ColumnElement[bool]:
    return and_(Ban.revoked_at.is_(None), or_(Ban.expires_at.is_(None), Ban.expires_at > now))


def ban(
    db: Session,
    *,
    kind: BanKind,
    value: str,
    reason: str | None = None,
    expires_at: datetime | None = None,
    created_by: str | None = None,
    now: datetime | None = None,
) -> Ban:
    """Ban ``value`` until ``expires_at`` (None: until lifted).

    Banning what is already banned replaces that ban's reason, expiry and author.
    """
    moment = now or utcnow()
    if expires_at is not None and expires_at <= moment:
        raise invalid("expires_at", "A ban's expiry must be in the future.")
    normalized = normalize(kind, value)
    existing = db.scalar(
        select(Ban).where(Ban.kind == kind, Ban.value == normalized, _active(moment)).limit(1)
    )
    record = existing or Ban(kind=kind, value=normalized, created_at=moment)
    record.reason = reason.strip() if reason and reason.strip() else None
    record.expires_at = expires_at
    record.created_by = created_by
    if existing is None:
        db.add(record)
    db.flush()
    return record


def get(db: Session, *, ban_id: int) -> Ban | None:
    """The ban with this id, active or not."""
    return db.get(Ban, ban_id)


def lift(db: Session, *, ban_id: int, now: datetime | None = None) -> Ban:
    """End a ban now; lifting an ended ban changes nothing. ``ban_not_found`` if unknown."""
    record = get(db, ban_id=ban_id)
    if record is None:
        raise NotFound("ban_not_found", f"No ban with id {ban_id}.", "id")
    if is_active(record, now=now):
        record.revoked_at = now or utcnow()
        db.flush()
    return record


# Named for how callers read it, ``bans.list(db)``; the builtin is not needed below.
def list(db: Session, *, active_only: bool = True, now: datetime | None = None) -> Sequence[Ban]:
    """Bans, newest first: the active ones, or every ban ever made."""
    query = select(Ban).order_by(Ban.created_at.desc(), Ban.id.desc())
    if active_only:
        query = query.where(_active(now or utcnow()))
    return db.scalars(query).all()


# Built once: every comment post runs it. A trait the poster did not give is None, and
# ``value = NULL`` matches no ban.
_BANS_FOR_POSTER = (
    select(Ban)
    .where(
        _active(bindparam("now")),
        or_(
            Ban.kind == BanKind.NETWORK,
            and_(Ban.kind == BanKind.EMAIL, Ban.value == bindparam("email")),
            and_(Ban.kind == BanKind.VISITOR, Ban.value == bindparam("visitor")),
            and_(Ban.kind == BanKind.NAME, Ban.value == bindparam("name")),
        ),
    )
    .order_by(Ban.id)
)


def active_ban_for(
    db: Session,
    *,
    email: str | None = None,
    visitor: str | None = None,
    address: str | None = None,
    name: str | None = None,
    now: datetime | None = None,
) -> Ban | None:
    """The oldest active ban matching any of these traits of a poster, or None."""
    params: dict[str, Any] = {"now": now or utcnow()}
    for kind, raw in ((BanKind.EMAIL, email), (BanKind.VISITOR, visitor), (BanKind.NAME, name)):
        try:
            params[kind.value] = normalize(kind, raw) if raw and raw.strip() else None
        except Refusal:
            params[kind.value] = None  # a value no ban can have
    client = _address(address)
    for candidate in db.scalars(_BANS_FOR_POSTER, params):
        if candidate.kind is not BanKind.NETWORK:
            return candidate
        if client is not None and client in ipaddress.ip_network(candidate.value):
            return candidate
    return None


def _address(raw: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(raw) if raw else None
    except ValueError:
        return None


def as_json(record: Ban, *, now: datetime | None = None) -> dict[str, Any]:
    """A ban as the moderation API shows it (moderators only: it may hold an email)."""
    return {
        "id": record.id,
        "kind": record.kind.value,
        "value": record.value,
        "reason": record.reason,
        "created_at": record.created_at.isoformat(),
        "created_by": record.created_by,
        "expires_at": record.expires_at.isoformat() if record.expires_at else None,
        "revoked_at": record.revoked_at.isoformat() if record.revoked_at else None,
        "active": is_active(record, now=now),
    }
