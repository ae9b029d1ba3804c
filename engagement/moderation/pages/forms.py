"""What the moderation pages' routes share: reading a form's common fields, and answering a
form post with a redirect and a message (303, so a reload never posts again)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from flask import abort, flash, redirect, request
from werkzeug.wrappers import Response

from engagement import db as database
from engagement import parsing
from engagement.moderation import audit
from engagement.moderation.access import safe_next
from engagement.refusals import Refusal

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")


def reason() -> str | None:
    """The form's reason for an action, trimmed to what the audit log keeps; None when empty."""
    return (request.form.get("reason") or "").strip()[: audit.MAX_REASON] or None


def path_id(raw: str, column: Any) -> int:
    """An id from the path: a malformed one is a 400 page, like any malformed input here."""
    return parsing.row_id(raw, field="id", column=column)


def choice(raw: str, kind: type[E], message: str) -> E:
    """``raw`` as one of ``kind``; 400 with ``message`` otherwise."""
    if raw not in set(kind):
        abort(400, message)
    return kind(raw)


def optional_choice(raw: str, kind: type[E], message: str) -> E | None:
    """``raw`` as one of ``kind``, None when empty (the default); 400 with ``message`` otherwise."""
    return choice(raw, kind, message) if raw else None


def or_404(found: T | None) -> T:
    """``found``, or a 404 page when there is no such thing."""
    if found is None:
        abort(404)
    return found


def wants_json() -> bool:
    """Whether the page's script asked (the queue's keyboard shortcuts) rather than a form."""
    return request.accept_mimetypes.best == "application/json"


def back_to(default: str) -> str:
    """Where the form came from (its ``next`` field, a moderation page), else ``default``."""
    target = request.form.get("next")
    return safe_next(target) if target else default


def go(url: str, *, ok: str | None = None, error: str | None = None) -> Response:
    """A 303 to ``url``, flashing a success or an error message for the page it shows."""
    if ok is not None:
        flash(ok, "ok")
    if error is not None:
        flash(error, "error")
    return redirect(url, code=303)


def refused(refusal: Refusal, url: str) -> Response:
    """Undo the request's changes and go to ``url``, saying why the service refused."""
    database.session().rollback()
    return go(url, error=refusal.message)
