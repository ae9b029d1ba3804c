"""The links in reply mails: confirm an address (double opt-in), stop the mails (RFC 8058).

Opening a link only shows a page with one button; the button posts. Mail scanners that fetch
every link change nothing. Mail clients' one-click unsubscribe posts
``List-Unsubscribe=One-Click`` to the same address, with no cookie and no form token: the
signed token in the path is the whole authority.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from engagement import db as database
from engagement.notifications import subscriptions, texts

bp = Blueprint("notifications", __name__, url_prefix="/notifications", template_folder="templates")

PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def _page(
    language: str, *, title: str, message: str, button: str | None = None, status: int = 200
) -> Response:
    page = render_template(
        "notifications/page.html", language=language, title=title, message=message, button=button
    )
    response = Response(page, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PAGE_POLICY
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _invalid(kind: str) -> Response:
    language = texts.language_for(request.accept_languages.best or "")
    title = texts.t(language, f"page.{kind}.title")
    return _page(language, title=title, message=texts.t(language, "page.invalid"), status=404)


def _confirm(db: Session, holder: subscriptions.LinkHolder) -> bool:
    return subscriptions.confirm(db, holder=holder)


def _unsubscribe(db: Session, holder: subscriptions.LinkHolder) -> bool:
    subscriptions.unsubscribe(db, holder=holder)
    return True  # an address that never subscribed is as unsubscribed as can be


def _ask_then_do(
    kind: str,
    holder: subscriptions.LinkHolder | None,
    do: Callable[[Session, subscriptions.LinkHolder], bool],
) -> Response:
    """A mail link's page: GET asks with a button; its post does ``kind`` (False: the link no
    longer applies) and says it is done, in the language of the mail."""
    if holder is None:
        return _invalid(kind)
    language = texts.language_for(holder.language)

    def t(key: str) -> str:
        return texts.t(language, f"page.{kind}.{key}", email=holder.email)

    if request.method == "GET":
        return _page(language, title=t("title"), message=t("ask"), button=t("button"))
    db = database.session()
    if not do(db, holder):
        return _invalid(kind)
    db.commit()
    return _page(language, title=t("title"), message=t("done"))


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str) -> ResponseReturnValue:
    """Ask, then (on the button's post) confirm an address for reply notifications."""
    return _ask_then_do("confirm", subscriptions.read_confirm_token(token), _confirm)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> ResponseReturnValue:
    """Ask, then (on the button's post or a mail client's one-click post) stop the mails."""
    return _ask_then_do("unsubscribe", subscriptions.read_unsubscribe_token(token), _unsubscribe)
