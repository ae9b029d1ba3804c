"""Logging in and out: the password, then the second factor's code when the moderator has one;
logging out; changing one's password."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from flask import Response, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_user, logout_user
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from engagement import db as database
from engagement import parsing
from engagement.models import Moderator, utcnow
from engagement.moderation import accounts, second_factor
from engagement.moderation.access import (
    HOME,
    Account,
    current_moderator,
    harden,
    is_logged_in,
    safe_next,
)
from engagement.moderation.pages.blueprint import bp
from engagement.moderation.pages.forms import go, refused
from engagement.moderation.requests import actor
from engagement.ratelimit import limit
from engagement.refusals import Refusal

# A login half-way (password right, code not yet given) lasts this long.
PENDING_LOGIN = "pending_login"
PENDING_SECONDS = 300
LOCKED = "Too many failed attempts: this account is locked for a while."
USERNAME_MAX = parsing.column_length(Moderator.username)
CODE_MAX = 40


def login_page(*, status: int, next_path: str, error: str | None = None) -> Response:
    """The login form, to go on to ``next_path``; also what any page answers without a login."""
    page = render_template(
        "moderation/login.html", next_path=safe_next(next_path), error=error, moderator=None
    )
    return harden(Response(page, status=status, mimetype="text/html"))


def _code_page(*, status: int, error: str | None = None) -> Response:
    page = render_template("moderation/login_code.html", error=error, moderator=None)
    return harden(Response(page, status=status, mimetype="text/html"))


def _lockout_rule() -> dict[str, Any]:
    """How many failures in a row lock an account, and for how long (the settings)."""
    config = current_app.config
    return {
        "max_failures": config["LOGIN_MAX_FAILURES"],
        "lockout": timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"]),
    }


def _password(field: str) -> str:
    return request.form.get(field, "")[: accounts.MAX_PASSWORD]


# --- the password ------------------------------------------------------------------------------


@bp.get("/login")
def login_form() -> ResponseReturnValue:
    """The login form."""
    next_path = request.args.get("next") or HOME
    if is_logged_in():
        return redirect(safe_next(next_path))
    return login_page(status=200, next_path=next_path)


@bp.post("/login")
@limit("login")
def login() -> ResponseReturnValue:
    """Check the login form; on success start a session and go where the moderator was going."""
    next_path = request.form.get("next") or HOME
    db = database.session()
    username = request.form.get("username", "")[:USERNAME_MAX]
    try:
        moderator = accounts.authenticate(
            db, username=username, password=_password("password"), **_lockout_rule()
        )
    except accounts.LoginRefused as refusal:
        db.commit()  # the failure counts toward the lockout
        error = LOCKED if refusal.locked else "Wrong username or password."
        return login_page(status=401, next_path=next_path, error=error)
    db.commit()
    if second_factor.enabled(moderator):
        return _ask_for_code(moderator, next_path)
    return _complete_login(moderator, next_path)


def _ask_for_code(moderator: Moderator, next_path: str) -> BaseResponse:
    """Remember, for a few minutes, who gave the right password and where they were going."""
    session.clear()
    session[PENDING_LOGIN] = {
        "id": moderator.id,
        "version": moderator.session_version,
        "at": int(time.time()),
        "next": safe_next(next_path),
    }
    return go(url_for("moderation_pages.second_factor_form"))


def _complete_login(moderator: Moderator, next_path: str) -> BaseResponse:
    session.clear()
    session.permanent = True
    login_user(Account(moderator))
    return go(safe_next(next_path))


# --- the second factor's code ------------------------------------------------------------------


def _pending_login() -> tuple[Moderator, str] | None:
    """The moderator whose password was right a moment ago, and where they were going."""
    pending = session.get(PENDING_LOGIN)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    moderator = accounts.get(database.session(), moderator_id=int(pending.get("id", 0)))
    if moderator is None or moderator.session_version != pending.get("version"):
        return None
    return moderator, str(pending.get("next") or HOME)


@bp.get("/login/code")
def second_factor_form() -> ResponseReturnValue:
    """The second step of a login: the code."""
    if _pending_login() is not None:
        return _code_page(status=200)
    if is_logged_in():
        return redirect(HOME)
    return login_page(status=401, next_path=HOME)


@bp.post("/login/code")
@limit("login")
def second_factor_login() -> ResponseReturnValue:
    """Check the code; a wrong one counts toward the lockout like a wrong password."""
    found = _pending_login()
    if found is None:
        return login_page(status=401, next_path=HOME, error="Log in again.")
    moderator, next_path = found
    db = database.session()
    now = utcnow()
    if accounts.is_locked(moderator, now=now):
        return _locked_out(next_path)
    code = request.form.get("code", "")[:CODE_MAX]
    if not second_factor.verify(db, moderator=moderator, code=code, now=now):
        return _wrong_code(db, moderator, next_path=next_path, now=now)
    accounts.succeed(db, moderator=moderator, now=now)
    db.commit()
    return _complete_login(moderator, next_path)


def _locked_out(next_path: str) -> Response:
    session.pop(PENDING_LOGIN, None)
    return login_page(status=401, next_path=next_path, error=LOCKED)


def _wrong_code(db: Session, moderator: Moderator, *, next_path: str, now: datetime) -> Response:
    """Count the failure; when it locks the account, the half-done login ends too."""
    try:
        accounts.register_failure(db, moderator=moderator, now=now, **_lockout_rule())
    except accounts.LoginRefused as refusal:
        db.commit()
        if refusal.locked:
            return _locked_out(next_path)
    return _code_page(status=401, error="That code is not right.")


# --- logging out, changing the password --------------------------------------------------------


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """End the session, and every other session of the account."""
    db = database.session()
    accounts.end_sessions(db, moderator=current_moderator())
    db.commit()
    logout_user()
    session.clear()
    return go(url_for("moderation_pages.login"))


@bp.route("/password", methods=["GET", "POST"])
def password() -> ResponseReturnValue:
    """Change one's own password (which ends the other sessions)."""
    if request.method == "GET":
        return render_template("moderation/password.html")
    db, here = database.session(), url_for("moderation_pages.password")
    try:
        _change_password(db, current_moderator())
    except accounts.LoginRefused:
        db.commit()  # the failure counts toward the lockout
        return go(here, error="The current password is wrong.")
    except Refusal as refusal:
        return refused(refusal, here)
    db.commit()
    login_user(Account(current_moderator()))
    return go(HOME, ok="Password changed; other sessions of this account have ended.")


def _change_password(db: Session, moderator: Moderator) -> None:
    """The form's new password, once its current one is right (else ``LoginRefused``)."""
    accounts.authenticate(
        db, username=moderator.username, password=_password("current"), **_lockout_rule()
    )
    new = request.form.get("new", "")
    accounts.set_password(db, actor=actor(), moderator=moderator, password=new)
