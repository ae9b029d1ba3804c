"""Moderators' second factor: TOTP codes (pyotp) and ten one-time recovery codes.

Enrolment stores a fresh secret, shows it as a QR code (segno, drawn inline: no outside
service sees it) and takes effect once the moderator types a code from their app; then ten
recovery codes are shown once and only their keyed hashes are kept. A TOTP code is accepted
once (the last accepted time step is kept) within one step of clock drift; a recovery code
works once. Admins may require the second factor of every moderator (a site setting).
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime

import pyotp
import segno
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from engagement.keyed import site_hash
from engagement.models import Moderator, RecoveryCode, SiteSetting, utcnow
from engagement.moderation.audit import Actor, record

ISSUER = "engagement moderation"
RECOVERY_CODES = 10
REQUIRED_SETTING = "second_factor_required"
# Codes are read as typed: spaces and dashes people add are ignored, letters case-folded.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def enabled(moderator: Moderator) -> bool:
    """Whether logging in as this moderator takes a second factor."""
    return moderator.totp_enabled_at is not None and moderator.totp_secret is not None


def start_enrolment(db: Session, *, moderator: Moderator) -> str:
    """A new secret for the moderator's app; in force only once ``confirm`` has run."""
    if enabled(moderator):
        raise ValueError("the second factor is already on")
    moderator.totp_secret = pyotp.random_base32()
    moderator.totp_last_step = None
    db.flush()
    return moderator.totp_secret


def provisioning_uri(moderator: Moderator) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    assert moderator.totp_secret is not None
    return pyotp.TOTP(moderator.totp_secret).provisioning_uri(
        name=moderator.username, issuer_name=ISSUER
    )


def qr_code(uri: str) -> str:
    """The URI as an inline SVG image (a ``data:`` URI for an ``<img>``)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=4, border=2))


def _clean(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()[:40]


def _totp_step(moderator: Moderator, code: str, now: datetime) -> int | None:
    """The time step the code belongs to (this one or the one either side), or None."""
    # isdigit() alone accepts full-width and other digits that are no code.
    if moderator.totp_secret is None or not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(moderator.totp_secret)
    step = totp.timecode(now)
    for candidate in (step, step - 1, step + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def _use_totp(db: Session, *, moderator: Moderator, code: str, now: datetime) -> bool:
    step = _totp_step(moderator, code, now)
    if step is None:
        return False
    # Each step's code is accepted once: a code seen over a shoulder is worthless afterwards.
    used = db.execute(
        update(Moderator)
        .where(
            Moderator.id == moderator.id,
            (Moderator.totp_last_step.is_(None)) | (Moderator.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    db.refresh(moderator)
    return used.rowcount == 1  # type: ignore[attr-defined]


def _code_hash(code: str) -> str:
    return site_hash(_clean(code), person=b"recovery")


def _new_recovery_codes(db: Session, *, moderator: Moderator) -> list[str]:
    db.execute(delete(RecoveryCode).where(RecoveryCode.moderator_id == moderator.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    db.add_all(RecoveryCode(moderator_id=moderator.id, code_hash=_code_hash(c)) for c in codes)
    db.flush()
    return codes


def confirm(
    db: Session, *, moderator: Moderator, code: str, now: datetime | None = None
) -> list[str] | None:
    """Turn the second factor on if ``code`` comes from the new secret; the recovery codes
    (shown once), or None for a wrong code."""
    moment = now or utcnow()
    if enabled(moderator) or not _use_totp(db, moderator=moderator, code=_clean(code), now=moment):
        return None
    moderator.totp_enabled_at = moment
    db.flush()
    return _new_recovery_codes(db, moderator=moderator)


def verify(db: Session, *, moderator: Moderator, code: str, now: datetime | None = None) -> bool:
    """Whether ``code`` is a current TOTP code or an unused recovery code (then spent)."""
    if not enabled(moderator):
        return False
    cleaned = _clean(code)
    if _use_totp(db, moderator=moderator, code=cleaned, now=now or utcnow()):
        return True
    if len(cleaned) != 10 or not cleaned.isascii():
        return False
    spent = db.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.moderator_id == moderator.id,
            RecoveryCode.code_hash == _code_hash(cleaned),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return spent.rowcount == 1  # type: ignore[attr-defined]


def recovery_codes_left(db: Session, *, moderator: Moderator) -> int:
    """How many recovery codes the moderator has not used."""
    return len(
        db.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.moderator_id == moderator.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def new_recovery_codes(db: Session, *, moderator: Moderator) -> list[str]:
    """Replace the moderator's recovery codes with ten new ones (shown once)."""
    return _new_recovery_codes(db, moderator=moderator)


def turn_off(db: Session, *, moderator: Moderator) -> None:
    """Remove the second factor: secret and recovery codes."""
    moderator.totp_secret = None
    moderator.totp_enabled_at = None
    moderator.totp_last_step = None
    db.execute(delete(RecoveryCode).where(RecoveryCode.moderator_id == moderator.id))
    db.flush()


def is_required(db: Session) -> bool:
    """Whether admins require a second factor of every moderator."""
    setting = db.get(SiteSetting, REQUIRED_SETTING)
    return bool(setting and setting.value)


def set_required(db: Session, *, actor: Actor, required: bool) -> None:
    """Require (or stop requiring) a second factor of every moderator; logged."""
    before = is_required(db)
    setting = db.get(SiteSetting, REQUIRED_SETTING)
    if setting is None:
        setting = SiteSetting(name=REQUIRED_SETTING, value=required)
        db.add(setting)
    setting.value = required
    setting.updated_by = actor.name
    setting.updated_at = utcnow()
    db.flush()
    if before != required:
        record(
            db,
            actor=actor,
            action="settings.second_factor",
            before={"required": before},
            after={"required": required},
        )
