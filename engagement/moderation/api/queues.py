"""The moderation queues through the API: their sizes, and a queue page by page."""

from __future__ import annotations

from flask import jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, Field

from engagement import db as database
from engagement import openapi, parsing
from engagement.models import Comment
from engagement.moderation import queues
from engagement.moderation.api.blueprint import (
    MAX_LIMIT,
    SCOPE,
    bp,
    optional,
    page_limit,
)
from engagement.moderation.api.moderated import ModeratedComment, item_json
from engagement.moderation.requests import queue_counts, report_threshold

openapi.path_parameter(
    "queue",
    {"type": "string", "enum": [queue.value for queue in queues.Queue]},
    "Which queue: pending, reported or spam.",
)


class QueueSizes(BaseModel):
    """The number of comments in each queue."""

    pending: int
    reported: int
    spam: int


class QueueQuery(BaseModel):
    after: int = optional(
        "The next_after of the previous page.", ge=1, le=parsing.column_max(Comment.id)
    )
    limit: int = Field(default=queues.PAGE_SIZE, ge=1, le=MAX_LIMIT, description="Page size.")


class QueueOut(BaseModel):
    """One page of the queue."""

    queue: str
    comments: list[ModeratedComment]
    next_after: int | None = Field(description="Pass as ?after= for the next page.")


@bp.get("/queues")
@openapi.operation({200: QueueSizes}, scope=SCOPE)
def queue_sizes() -> ResponseReturnValue:
    """Sizes of the moderation queues."""
    return jsonify(queue_counts())


@bp.get("/queues/<queue>")
@openapi.operation({200: QueueOut}, query=QueueQuery, scope=SCOPE)
def queue(queue: str) -> ResponseReturnValue:
    """The comments in a moderation queue, oldest first.

    pending: waiting for approval; reported: open reports at or above
    ENGAGEMENT_REPORT_THRESHOLD; spam: held as spam. Each comment comes with its article, its
    parent for context, its open reports and its author's history.
    """
    page = queues.queue(
        database.session(),
        queue=queues.queue_named(queue),
        threshold=report_threshold(),
        after_id=parsing.optional_id(request.args, "after", column=Comment.id),
        limit=page_limit(queues.PAGE_SIZE),
    )
    return jsonify(
        queue=queue, comments=[item_json(item) for item in page.items], next_after=page.next_after
    )
