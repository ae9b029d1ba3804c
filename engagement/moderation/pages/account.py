"""The moderator's own account: the name their replies appear under, and their second factor
(turning it on with a QR code, off, and new recovery codes)."""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from engagement import db as database
from engagement.comments import inputs as comment_inputs
from engagement.moderation import audit, second_factor
from engagement.moderation.access import current_moderator
from engagement.moderation.pages.blueprint import bp
from engagement.moderation.pages.forms import go, refused
from engagement.moderation.requests import actor
from engagement.refusals import Refusal


def _account_page(**extra: Any) -> str:
    db = database.session()
    moderator = current_moderator()
    qr = secret = None
    if not second_factor.enabled(moderator) and moderator.totp_secret:
        secret = moderator.totp_secret
        qr = second_factor.qr_code(second_factor.provisioning_uri(moderator))
    return render_template(
        "moderation/account.html",
        enabled=second_factor.enabled(moderator),
        required=second_factor.is_required(db),
        codes_left=second_factor.recovery_codes_left(db, moderator=moderator),
        qr=qr,
        secret=secret,
        **extra,
    )


def _to_account(*, ok: str | None = None, error: str | None = None) -> Response:
    return go(url_for("moderation_pages.account"), ok=ok, error=error)


@bp.get("/account")
def account() -> ResponseReturnValue:
    """The moderator's display name and second factor."""
    return _account_page()


@bp.post("/account/name")
def account_name() -> ResponseReturnValue:
    """Set the name one's replies appear under."""
    raw = request.form.get("display_name", "")
    try:
        name = comment_inputs.one_line(raw, "display_name", comment_inputs.NAME_MAX)
    except Refusal as refusal:
        return refused(refusal, url_for("moderation_pages.account"))
    current_moderator().display_name = name
    database.session().commit()
    return _to_account(ok="Display name saved.")


@bp.post("/account/second-factor/start")
def account_second_factor_start() -> ResponseReturnValue:
    """Make a new secret and show it as a QR code, to be confirmed with a code."""
    moderator = current_moderator()
    if second_factor.enabled(moderator):
        return _to_account(error="The second factor is already on.")
    db = database.session()
    second_factor.start_enrolment(db, moderator=moderator)
    db.commit()
    return _to_account()


@bp.post("/account/second-factor/confirm")
def account_second_factor_confirm() -> ResponseReturnValue:
    """Turn the second factor on with a code from the app; shows the recovery codes once."""
    db = database.session()
    codes = second_factor.confirm(db, moderator=current_moderator(), code=_code())
    if codes is None:
        db.rollback()
        return _to_account(
            error="That code is not right: check the app's clock and try the next code."
        )
    audit.record(db, actor=actor(), action="moderator.second_factor", after={"on": True})
    db.commit()
    return _account_page(recovery_codes=codes)


def _code() -> str:
    return request.form.get("code", "")


def _wrong_code() -> Response | None:
    """A redirect saying so when the form's code is not a current code of the moderator's app."""
    db = database.session()
    if second_factor.verify(db, moderator=current_moderator(), code=_code()):
        return None
    db.rollback()
    return _to_account(error="That code is not right.")


@bp.post("/account/second-factor/off")
def account_second_factor_off() -> ResponseReturnValue:
    """Turn the second factor off, with a current code."""
    db = database.session()
    if second_factor.is_required(db):
        return _to_account(error="Admins require a second factor: it cannot be turned off.")
    if wrong := _wrong_code():
        return wrong
    second_factor.turn_off(db, moderator=current_moderator())
    audit.record(db, actor=actor(), action="moderator.second_factor", after={"on": False})
    db.commit()
    return _to_account(ok="The second factor is off.")


@bp.post("/account/recovery-codes")
def account_recovery_codes() -> ResponseReturnValue:
    """Replace the recovery codes, with a current code; shows the new ones once."""
    if wrong := _wrong_code():
        return wrong
    db = database.session()
    codes = second_factor.new_recovery_codes(db, moderator=current_moderator())
    db.commit()
    return _account_page(recovery_codes=codes)
