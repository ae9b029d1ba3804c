"""What every moderation page shares: a login (401 with the login form otherwise), the CSRF
token on every form post (400), a second factor once admins require one, the security headers,
and the navigation with the queues' sizes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, g, request, url_for
from flask.typing import ResponseReturnValue

from engagement import db as database
from engagement.moderation import queues, second_factor, stats
from engagement.moderation.access import (
    check_csrf,
    current_moderator,
    harden,
    is_logged_in,
    refresh_login_cookie,
)
from engagement.moderation.pages.blueprint import bp
from engagement.moderation.pages.forms import go
from engagement.moderation.pages.login import login_page
from engagement.moderation.requests import report_threshold

PUBLIC_ENDPOINTS = {
    "moderation_pages.login_form",
    "moderation_pages.login",
    "moderation_pages.second_factor_form",
    "moderation_pages.second_factor_login",
    "moderation_pages.static",
}
# Where a moderator without a second factor may go while admins require one.
ENROLMENT_ENDPOINTS = {
    "moderation_pages.account",
    "moderation_pages.account_second_factor_start",
    "moderation_pages.account_second_factor_confirm",
    "moderation_pages.logout",
    "moderation_pages.static",
}


def guard() -> ResponseReturnValue | None:
    """Before any page: the login, the CSRF token, the second factor admins may require."""
    if request.endpoint not in PUBLIC_ENDPOINTS and not is_logged_in():
        return login_page(status=401, next_path=request.full_path.rstrip("?"))
    if request.endpoint != "moderation_pages.static":
        check_csrf()
    if (
        request.endpoint not in PUBLIC_ENDPOINTS | ENROLMENT_ENDPOINTS
        and not second_factor.enabled(current_moderator())
        and second_factor.is_required(database.session())
    ):
        return go(
            url_for("moderation_pages.account"),
            error="Admins require a second factor: set it up to continue.",
        )
    return None


def headers(response: Response) -> Response:
    """After any page: the security headers, and the login cookie's refresh."""
    return harden(refresh_login_cookie(response))


def navigation() -> dict[str, Any]:
    """What the pages' frame shows: who is logged in, and how many comments wait where."""
    if not is_logged_in():
        return {"moderator": None}
    if "queue_sizes" not in g:
        g.queue_sizes = queues.queue_sizes(database.session(), threshold=report_threshold())
    return {
        "moderator": current_moderator(),
        "sizes": g.queue_sizes,
        "Queue": queues.Queue,
        "refresh_seconds": current_app.config["QUEUE_REFRESH_SECONDS"],
    }


def as_moderation_pages(pages: Blueprint) -> None:
    """Give another blueprint's pages under ``/moderation/`` the same guard, headers and
    navigation as these (the notifications' alert and webhook pages)."""
    pages.before_request(guard)
    pages.after_request(headers)
    pages.context_processor(navigation)


as_moderation_pages(bp)


@bp.app_template_filter("plural")
def _plural(count: int, word: str) -> str:
    return stats.plural(count, word)
