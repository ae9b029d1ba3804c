"""A signed-in reader's page: their trust, their record, their latest comments; and the form
that marks them trusted or untrusted."""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engagement import db as database
from engagement.identity import readers
from engagement.models import Trust
from engagement.moderation import reader_trust as trust_verbs
from engagement.moderation.pages.blueprint import bp
from engagement.moderation.pages.forms import back_to, go, optional_choice, or_404, reason
from engagement.moderation.requests import actor, trust_clean_days
from engagement.refusals import Refusal


def _subject(raw: str | None) -> str:
    subject = raw or ""
    if not 1 <= len(subject) <= readers.SUBJECT_MAX:
        abort(400, f"A reader id is 1 to {readers.SUBJECT_MAX} characters.")
    return subject


@bp.get("/readers")
def reader_page() -> ResponseReturnValue:
    """A signed-in reader: their trust, their record, their latest comments."""
    if not request.args.get("subject"):
        abort(404)  # the page of nobody
    subject = _subject(request.args.get("subject"))
    try:
        history = trust_verbs.reader_history(
            database.session(),
            subject=subject,
            clean_days=trust_clean_days(),
        )
    except Refusal:
        abort(404)
    clean_days = trust_clean_days()
    return render_template("moderation/reader.html", history=history, clean_days=clean_days)


@bp.post("/readers/trust")
def reader_trust() -> ResponseReturnValue:
    """Mark a signed-in reader trusted, untrusted, or back to the rules."""
    subject = _subject(request.form.get("subject"))
    message = "Trust is trusted, untrusted, or empty for the rules."
    trust = optional_choice(request.form.get("trust", ""), Trust, message)
    db = database.session()
    reader = or_404(readers.get(db, subject=subject))
    trust_verbs.set_reader_trust(db, actor=actor(), reader=reader, trust=trust, reason=reason())
    db.commit()
    said = trust.value if trust else "back to the rules"
    back = back_to(url_for("moderation_pages.reader_page", subject=subject))
    return go(back, ok=f"{reader.name or 'The reader'}: {said}.")
