"""What a webhook receiver gets: the event bodies and the signing headers, as the OpenAPI
document's ``webhooks`` section describes them (one entry per event type)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from engagement import openapi
from engagement.notifications import events

CommentEventType = Literal[
    "comment.created",
    "comment.approved",
    "comment.rejected",
    "comment.deleted",
    "comment.edited",
    "comment.reported",
]
ArticleEventType = Literal["article.closed", "article.opened"]
EventType = Literal[CommentEventType, ArticleEventType]
assert set(EventType.__args__) == set(events.EVENTS)  # type: ignore[attr-defined]


class EventArticle(BaseModel):
    key: str
    title: str
    url: str | None
    open: bool


class EventComment(BaseModel):
    id: int
    parent_id: int | None
    status: Literal["pending", "approved", "rejected", "spam"]
    deleted: bool
    text: str = Field(description="The Markdown source.")
    html: str = Field(description="The sanitized rendering readers see.")
    author_name: str | None
    author_website: str | None
    avatar: str
    created_at: datetime
    edited_at: datetime | None


class CommentEventData(BaseModel):
    comment: EventComment
    article: EventArticle


class ArticleEventData(BaseModel):
    article: EventArticle


@openapi.schema
class CommentEvent(BaseModel):
    """The body of every `comment.*` webhook. No email, address or visitor hash, ever."""

    type: CommentEventType
    timestamp: datetime = Field(description="When it happened (not when it was sent).")
    data: CommentEventData


@openapi.schema
class ArticleEvent(BaseModel):
    """The body of the `article.closed` and `article.opened` webhooks."""

    type: ArticleEventType
    timestamp: datetime
    data: ArticleEventData


WEBHOOK_HEADERS = [
    {
        "name": "webhook-id",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "The event's id (`msg_...`): the same on every retry and replay.",
    },
    {
        "name": "webhook-timestamp",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "Seconds since the epoch when this attempt was sent.",
    },
    {
        "name": "webhook-signature",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "`v1,<base64 HMAC-SHA256>` of `id.timestamp.body`, one per secret in "
        "force, space-separated (two for a day after a rotation).",
    },
]


def document_webhooks(document: dict[str, Any]) -> None:
    """Add the ``webhooks`` section (OpenAPI 3.1) to ``document``: one entry per event type."""
    section: dict[str, Any] = {}
    for event in events.EVENTS:
        body = ArticleEvent if event.startswith("article.") else CommentEvent
        section[event] = {
            "post": {
                "summary": f"`{event}`, signed per Standard Webhooks",
                "parameters": WEBHOOK_HEADERS,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": f"#/components/schemas/{body.__name__}"}
                        }
                    },
                },
                "responses": {
                    "2XX": {
                        "description": "Received. Any other answer (or none within "
                        "ENGAGEMENT_WEBHOOK_TIMEOUT_SECONDS) is retried."
                    }
                },
            }
        }
    document["webhooks"] = section
