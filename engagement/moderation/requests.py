"""What a moderation request carries besides its input: who acts, and the settings the
moderation verbs take. The pages and the JSON API read both here, so they cannot drift."""

from __future__ import annotations

from flask import current_app, g

from engagement.moderation.access import current_moderator
from engagement.moderation.audit import Actor


def actor() -> Actor:
    """Who acts in this request, as the audit log names them: the API token that authenticated
    it (the JSON API), else the logged-in moderator (the pages)."""
    token = g.get("api_token")
    return Actor.token(token) if token is not None else Actor.moderator(current_moderator())


def report_threshold() -> int:
    """How many open reports put a comment in the reported queue (``REPORT_THRESHOLD``)."""
    return int(current_app.config["REPORT_THRESHOLD"])
