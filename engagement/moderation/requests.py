"""What a moderation request carries besides its input: who acts, and the settings the
moderation verbs take. The pages and the JSON API read both here, so they cannot drift."""

from __future__ import annotations

from flask import current_app, g
from sqlalchemy.orm import Session

from engagement import db as database
from engagement.models import Comment
from engagement.moderation import queues, replies
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


def queue_counts() -> dict[str, int]:
    """How many comments wait in each queue, by queue name."""
    sizes = queues.queue_sizes(database.session(), threshold=report_threshold())
    return {queue.value: size for queue, size in sizes.items()}


def comment_max_length() -> int:
    """The most characters a comment's text may have (``COMMENT_MAX_LENGTH``)."""
    return int(current_app.config["COMMENT_MAX_LENGTH"])


def trust_clean_days() -> int:
    """Days back a rejected comment counts against a reader's record (``TRUST_CLEAN_DAYS``)."""
    return int(current_app.config["TRUST_CLEAN_DAYS"])


def staff_reply(db: Session, *, parent: Comment, text: str, name: str) -> Comment:
    """The newsroom's reply to ``parent`` by whoever acts in this request."""
    return replies.staff_reply(
        db,
        actor=actor(),
        parent=parent,
        text=text,
        name=name,
        close_after_days=current_app.config["CLOSE_AFTER_DAYS"],
    )
