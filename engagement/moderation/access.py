"""Who may use the moderation pages: login sessions, roles, CSRF, safe redirects, headers.

Sessions are Flask's signed cookies (HttpOnly, SameSite=Lax, Secure unless debugging) carrying
``<moderator id>:<session version>``. Logging out, a password or role change, or disabling the
account bumps the version, so every cookie issued before, even a copied one, stops working.
CSRF tokens (Flask-WTF) are checked on every form post of the moderation pages; the JSON API
authenticates with bearer tokens, which a browser never sends on its own, and needs none.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, abort
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFProtect

from engagement import db as database
from engagement import parsing
from engagement.models import Moderator, Role
from engagement.refusals import Refusal

F = TypeVar("F", bound=Callable[..., Any])

HOME = "/moderation/"
login_manager = LoginManager()
csrf = CSRFProtect()

# Pages render only our own files: no inline script or style, no framing, forms post home.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class Account(UserMixin):
    """The logged-in moderator, as Flask-Login sees it."""

    def __init__(self, moderator: Moderator) -> None:
        self.moderator = moderator

    def get_id(self) -> str:
        return f"{self.moderator.id}:{self.moderator.session_version}"

    @property
    def is_active(self) -> bool:
        return self.moderator.active

    @property
    def is_admin(self) -> bool:
        return self.moderator.role is Role.ADMIN


def init_app(app: Flask) -> None:
    """Session cookie hardening, Flask-Login and CSRF for the moderation pages."""
    app.config.update(
        SESSION_COOKIE_NAME="engagement_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not app.config["DEBUG"],
        PERMANENT_SESSION_LIFETIME=timedelta(hours=app.config["MODERATION_SESSION_HOURS"]),
        # Only the moderation pages check CSRF (pages/guard.py); tokens last as long as the session.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,
    )
    login_manager.init_app(app)
    csrf.init_app(app)
    # Flask-Login refreshes its remember-me cookie after every request of the app, reading the
    # session to see whether to; that read alone costs every API answer a ``Vary: Cookie``
    # header and the work behind it. Only the moderation pages have sessions: it runs there.
    app.after_request_funcs[None].remove(login_manager._update_remember_cookie)


def refresh_login_cookie(response: Response) -> Response:
    """Flask-Login's after-request step (the remember-me cookie), for the pages with sessions."""
    return login_manager._update_remember_cookie(response)


@login_manager.user_loader
def _load_account(user_id: str) -> Account | None:
    ident, _, version = user_id.partition(":")
    try:
        moderator_id = parsing.row_id(ident, field="session", column=Moderator.id)
        session_version = parsing.whole_number(
            version,
            field="session",
            minimum=0,
            maximum=parsing.column_max(Moderator.session_version),
        )
    except Refusal:  # signed by us, so only an old format could fail here: no session
        return None
    moderator = database.session().get(Moderator, moderator_id)
    if moderator is None or not moderator.active or moderator.session_version != session_version:
        return None
    return Account(moderator)


def current_moderator() -> Moderator:
    """The moderator of the current request (the pages require a login before any view)."""
    return current_user.moderator  # type: ignore[no-any-return]


def is_logged_in() -> bool:
    """Whether the request carries a live moderator session."""
    return bool(current_user.is_authenticated)


def admin_required(view: F) -> F:
    """Answer 403 unless the logged-in moderator is an admin."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated or not current_user.is_admin:
            abort(403, "This needs an admin account.")
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def safe_next(raw: str | None) -> str:
    """Where to go after login: a path of the moderation pages, never another site."""
    if not raw or any(char in raw for char in "\\\r\n\t") or ord(min(raw)) < 0x20:
        return HOME
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or not parts.path.startswith(HOME):
        return HOME
    if raw.startswith("//"):
        return HOME
    return raw


def harden(response: Response) -> Response:
    """Add the moderation pages' security headers to a response."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def check_csrf() -> None:
    """Refuse (400) a form post without this session's CSRF token."""
    csrf.protect()
