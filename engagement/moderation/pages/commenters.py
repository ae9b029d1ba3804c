"""The admins' page of a commenter's data: download it as JSON, or erase it, by email address
or by signed-in reader id."""

from __future__ import annotations

import json

from flask import Response, abort, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from engagement import db as database
from engagement.identity import readers
from engagement.moderation.access import admin_required
from engagement.moderation.pages.blueprint import bp
from engagement.moderation.pages.forms import go, refused
from engagement.moderation.requests import actor
from engagement.portability import commenters as portability
from engagement.refusals import Refusal, invalid


def _commenter(form: MultiDict[str, str]) -> tuple[str | None, str | None]:
    """The normalized email address or the reader id the form names: one of the two."""
    email = form.get("email", "").strip() or None
    subject = form.get("subject", "") or None
    if (email is None) == (subject is None) or (
        subject is not None and len(subject) > readers.SUBJECT_MAX
    ):
        raise invalid("email", "Give an email address or a reader id (one of the two).")
    try:
        return (portability.normalized(email) if email is not None else None), subject
    except portability.NotAnEmail:
        raise invalid("email", "That is not an email address.") from None


def _download(email: str | None, subject: str | None) -> Response:
    document = portability.export(database.session(), email=email, subject=subject)
    response = current_app.response_class(
        json.dumps(document, ensure_ascii=False, indent=2), mimetype="application/json"
    )
    response.headers["Content-Disposition"] = 'attachment; filename="commenter.json"'
    return response


@bp.get("/commenters")
@admin_required
def commenters() -> ResponseReturnValue:
    """Export or erase a commenter's data, by email address or SSO subject."""
    return render_template("moderation/commenters.html")


@bp.post("/commenters")
@admin_required
def commenter_data() -> ResponseReturnValue:
    """Download a commenter's data as JSON, or erase it (with the confirmation box ticked)."""
    action, back = request.form.get("action"), url_for("moderation_pages.commenters")
    if action not in {"export", "erase"}:
        abort(400, "Choose export or erase.")
    try:
        email, subject = _commenter(request.form)
    except Refusal as refusal:
        return refused(refusal, back)
    if action == "export":
        return _download(email, subject)
    if request.form.get("confirm") != "erase":
        return go(back, error="Tick the box to confirm the erasure.")
    db = database.session()
    erased = portability.erase(db, actor=actor(), email=email, subject=subject)
    db.commit()
    return go(back, ok=f"Erased {erased.comments} comments and the commenter's personal data.")
