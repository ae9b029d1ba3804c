"""Moderator accounts: creating them, checking passwords, lockout, roles, ending sessions."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, NoReturn

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from engagement.models import Moderator, Role, utcnow
from engagement.moderation.audit import Actor, record
from engagement.refusals import Conflict, invalid

USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{1,79}")
MIN_PASSWORD = 10
MAX_PASSWORD = 200
# Checked against when the username is unknown, so both answers take the same time.
_DUMMY_HASH = generate_password_hash("not a password of anyone")


class LoginRefused(Exception):
    """A login attempt failed; ``locked`` says whether the account is locked out."""

    def __init__(self, *, locked: bool) -> None:
        super().__init__("locked" if locked else "invalid")
        self.locked = locked


def _check_username(username: str) -> str:
    if not USERNAME.fullmatch(username):
        raise invalid(
            "username",
            "A username is 2 to 80 letters, digits, '.', '_', '@' or '-', starting with a "
            "letter or digit.",
        )
    return username


def _check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise invalid(
            "password", f"A password is {MIN_PASSWORD} to {MAX_PASSWORD} characters long."
        )
    return password


def get(db: Session, *, moderator_id: int) -> Moderator | None:
    """The moderator with this id, or None."""
    return db.get(Moderator, moderator_id)


def by_username(db: Session, *, username: str) -> Moderator | None:
    """The moderator with this username, or None."""
    return db.scalar(select(Moderator).where(Moderator.username == username))


def all_moderators(db: Session) -> list[Moderator]:
    """Every account, by username."""
    return list(db.scalars(select(Moderator).order_by(Moderator.username)))


def state(moderator: Moderator) -> dict[str, Any]:
    """What the audit log keeps of an account before and after a change."""
    return {
        "username": moderator.username,
        "role": moderator.role.value,
        "active": moderator.active,
    }


def create(
    db: Session, *, actor: Actor, username: str, password: str, role: Role = Role.MODERATOR
) -> Moderator:
    """Create an account with a hashed password, logged; 409 when the username is taken."""
    _check_username(username)
    _check_password(password)
    if by_username(db, username=username) is not None:
        raise Conflict("username_taken", f"The username {username!r} is taken.", "username")
    moderator = Moderator(
        username=username, password_hash=generate_password_hash(password), role=role
    )
    db.add(moderator)
    db.flush()
    record(db, actor=actor, action="moderator.create", after=state(moderator))
    return moderator


def set_password(db: Session, *, actor: Actor, moderator: Moderator, password: str) -> None:
    """Replace the password, lift any lockout and end every open session of the account;
    logged (without the password)."""
    moderator.password_hash = generate_password_hash(_check_password(password))
    moderator.failed_logins = 0
    moderator.locked_until = None
    end_sessions(db, moderator=moderator)
    record(db, actor=actor, action="moderator.password", after=state(moderator))


def _keep_an_admin(db: Session, *, moderator: Moderator) -> None:
    """Refuse a change that would leave no active admin (409 ``last_admin``)."""
    if moderator.role is not Role.ADMIN or not moderator.active:
        return
    # Locked, so two admins demoting each other at once cannot both pass (PostgreSQL; SQLite
    # writers queue anyway).
    admins = db.scalars(
        select(Moderator.id)
        .where(Moderator.role == Role.ADMIN, Moderator.active.is_(True))
        .with_for_update()
    ).all()
    if set(admins) <= {moderator.id}:
        raise Conflict(
            "last_admin",
            f"{moderator.username} is the last active admin: make another account admin first.",
        )


def _change(
    db: Session,
    *,
    actor: Actor,
    moderator: Moderator,
    action: str,
    reason: str | None,
    **changes: Any,
) -> bool:
    """Apply ``changes`` to the account, end its sessions and log it; False, and nothing
    logged, when the account is already so."""
    if all(getattr(moderator, name) == value for name, value in changes.items()):
        return False
    before = state(moderator)
    for name, value in changes.items():
        setattr(moderator, name, value)
    end_sessions(db, moderator=moderator)
    record(db, actor=actor, action=action, reason=reason, before=before, after=state(moderator))
    return True


def set_role(
    db: Session, *, actor: Actor, moderator: Moderator, role: Role, reason: str | None = None
) -> bool:
    """Give the account another role (its open sessions end so the change applies at once);
    the last active admin stays admin. Whether anything changed."""
    if role is not Role.ADMIN:
        _keep_an_admin(db, moderator=moderator)
    return _change(
        db, actor=actor, moderator=moderator, action="moderator.role", reason=reason, role=role
    )


def set_active(
    db: Session, *, actor: Actor, moderator: Moderator, active: bool, reason: str | None = None
) -> bool:
    """Enable or disable the account (disabling ends its sessions); the last active admin
    cannot be disabled. Whether anything changed."""
    if not active:
        _keep_an_admin(db, moderator=moderator)
    action = "moderator.enable" if active else "moderator.disable"
    return _change(
        db, actor=actor, moderator=moderator, action=action, reason=reason, active=active
    )


def unlock(db: Session, *, actor: Actor, moderator: Moderator, reason: str | None = None) -> bool:
    """Lift a lockout after failed logins; logged. False when there was nothing to lift."""
    if moderator.locked_until is None and not moderator.failed_logins:
        return False
    before = {**state(moderator), "locked_until": _when(moderator.locked_until)}
    moderator.failed_logins = 0
    moderator.locked_until = None
    db.flush()
    after = {**state(moderator), "locked_until": None}
    record(db, actor=actor, action="moderator.unlock", reason=reason, before=before, after=after)
    return True


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def end_sessions(db: Session, *, moderator: Moderator) -> None:
    """Make every session cookie issued to this account so far worthless."""
    moderator.session_version += 1
    db.flush()


def is_locked(moderator: Moderator, *, now: datetime) -> bool:
    """Whether the account is locked out after failed logins."""
    return moderator.locked_until is not None and moderator.locked_until > now


def authenticate(
    db: Session,
    *,
    username: str,
    password: str,
    max_failures: int,
    lockout: timedelta,
    now: datetime | None = None,
) -> Moderator:
    """The account if the password is right and the account usable; else ``LoginRefused``.

    For an account with a second factor the login is not complete yet: the caller asks for a
    code and calls ``succeed`` (or ``register_failure``).

    ``max_failures`` wrong passwords in a row lock the account for ``lockout``; while it is
    locked even the right password is refused, so guessing gains nothing.
    """
    now = now or utcnow()
    moderator = by_username(db, username=username)
    if moderator is None:
        check_password_hash(_DUMMY_HASH, password)
        raise LoginRefused(locked=False)
    if is_locked(moderator, now=now):
        raise LoginRefused(locked=True)
    if not check_password_hash(moderator.password_hash, password) or not moderator.active:
        register_failure(
            db, moderator=moderator, max_failures=max_failures, lockout=lockout, now=now
        )
    if moderator.totp_enabled_at is not None:
        # Half-way: failures keep counting until the second factor is right, so knowing the
        # password gives no fresh supply of code guesses.
        return moderator
    succeed(db, moderator=moderator, now=now)
    return moderator


def register_failure(
    db: Session, *, moderator: Moderator, max_failures: int, lockout: timedelta, now: datetime
) -> NoReturn:
    """Count a failed attempt (wrong password or second factor); lock the account at
    ``max_failures``; always raises ``LoginRefused``."""
    failures = db.scalar(
        update(Moderator)
        .where(Moderator.id == moderator.id)
        .values(failed_logins=Moderator.failed_logins + 1)
        .returning(Moderator.failed_logins)
        .execution_options(synchronize_session=False)
    )
    locked = failures is not None and failures >= max_failures
    if locked:
        db.execute(
            update(Moderator)
            .where(Moderator.id == moderator.id)
            .values(failed_logins=0, locked_until=now + lockout)
            .execution_options(synchronize_session=False)
        )
    db.refresh(moderator)
    raise LoginRefused(locked=locked)


def succeed(db: Session, *, moderator: Moderator, now: datetime) -> None:
    """A complete login: the failure count starts again."""
    moderator.failed_logins = 0
    moderator.locked_until = None
    moderator.last_login_at = now
    db.flush()
