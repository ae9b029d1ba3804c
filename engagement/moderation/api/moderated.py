"""A comment as moderators see it through the API: its documented shape and its JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from engagement import openapi
from engagement.models import Comment, Trust
from engagement.moderation import items
from engagement.moderation.items import QueueItem


class ArticleRef(BaseModel):
    key: str
    title: str


class ParentRef(BaseModel):
    id: int
    author_name: str | None
    text: str


class ModeratedReport(BaseModel):
    """An open report on the comment."""

    reason: str
    note: str | None
    created_at: datetime


class AuthorHistoryOut(BaseModel):
    approved: int
    pending: int
    rejected: int
    spam: int


@openapi.schema
class ModeratedComment(BaseModel):
    """A comment as moderators see it: the author's email and the text source included."""

    id: int
    parent_id: int | None
    status: str
    deleted: bool
    pinned: bool
    text: str
    html: str
    author_name: str | None
    author_email: str | None
    author_website: str | None
    author_subject: str | None = Field(description="The signed-in author's reader id, or null.")
    author_staff: bool = Field(description="Written by the newsroom.")
    author_trust: Trust | None = Field(description="A moderator's mark on the signed-in author.")
    likes: int
    spam_reasons: list[str]
    created_at: datetime
    edited_at: datetime | None
    article: ArticleRef
    parent: ParentRef | None
    reports: list[ModeratedReport]
    author_history: AuthorHistoryOut


def item_json(item: QueueItem) -> dict[str, Any]:
    """A comment with its context as the moderation API shows it (``ModeratedComment``)."""
    comment, parent = item.comment, item.parent
    return {
        "id": comment.id,
        "parent_id": comment.parent_id,
        "status": comment.status.value,
        "deleted": comment.deleted_at is not None,
        "pinned": comment.pinned,
        "text": comment.text,
        "html": comment.html,
        "author_name": comment.author_name,
        "author_email": comment.author_email,
        "author_website": comment.author_website,
        "author_subject": comment.author_subject,
        "author_staff": comment.author_staff,
        "author_trust": item.reader.trust.value if item.reader and item.reader.trust else None,
        "likes": comment.likes,
        "spam_reasons": comment.spam_reasons or [],
        "created_at": comment.created_at.isoformat(),
        "edited_at": comment.edited_at.isoformat() if comment.edited_at else None,
        "article": {"key": item.article.key, "title": item.article.title},
        "parent": (
            {"id": parent.id, "author_name": parent.author_name, "text": parent.text}
            if parent
            else None
        ),
        "reports": [
            {
                "reason": report.reason.value,
                "note": report.note,
                "created_at": report.created_at.isoformat(),
            }
            for report in item.reports
        ],
        "author_history": vars(item.history),
    }


def comments_json(db: Session, comments: list[Comment]) -> list[dict[str, Any]]:
    """Comments with their context, as the moderation API shows them."""
    return [item_json(item) for item in items.items_for(db, comments=comments)]


def comment_json(db: Session, comment: Comment) -> dict[str, Any]:
    """One comment with its context, as the moderation API shows it."""
    return item_json(items.item_for(db, comment=comment))
