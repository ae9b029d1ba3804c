"""The queues: the comments waiting for a moderator, oldest first, and how many wait in each
(what the pages poll to keep their counts fresh)."""

from __future__ import annotations

from flask import abort, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from engagement import db as database
from engagement import parsing
from engagement.models import Comment
from engagement.moderation import queues, requests
from engagement.moderation.pages.blueprint import bp
from engagement.moderation.requests import report_threshold


@bp.get("/queues/<queue>")
def queue_page(queue: str) -> ResponseReturnValue:
    """A queue, oldest first, with one-click and bulk actions."""
    if queue not in set(queues.Queue):
        abort(404)
    chosen = queues.Queue(queue)
    after = parsing.optional_id(request.args, "after", column=Comment.id)
    page = queues.queue(
        database.session(), queue=chosen, threshold=report_threshold(), after_id=after
    )
    return render_template("moderation/queue.html", page=page, active_queue=chosen)


@bp.get("/queues.json")
def queue_counts() -> ResponseReturnValue:
    """How many comments wait in each queue: what the pages poll to keep their counts fresh."""
    return jsonify(requests.queue_counts())
