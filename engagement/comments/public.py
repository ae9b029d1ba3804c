"""A comment as readers see it: the one builder of its public JSON (``schemas.Comment``).

A thread page builds it from rows read without ORM objects (``COLUMNS``, in that order), an
answer to the author from the ORM comment: both go through ``shown``. Never an email, a visitor
hash or a secret.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from engagement.comments.service import filed_by_screening
from engagement.identity.sessions import reader_id
from engagement.models import Comment, CommentStatus

# What the public shape reads of a comment, in the order ``shown`` unpacks it: first what a
# thread needs to place a comment (``threads._entry``).
COLUMNS = (
    Comment.id,
    Comment.parent_id,
    Comment.status,
    Comment.deleted_at,
    Comment.created_at,
    Comment.html,
    Comment.author_name,
    Comment.author_website,
    Comment.author_subject,
    Comment.author_staff,
    Comment.author_avatar_url,
    Comment.avatar,
    Comment.likes,
    Comment.pinned,
    Comment.edited_at,
)
_NAMES = tuple(column.key for column in COLUMNS)
PLACEHOLDER_STATUS = "deleted"


def shown(values: Sequence[Any]) -> dict[str, Any]:
    """The public JSON of a comment from its ``COLUMNS`` values (a thread's row, say)."""
    (id_, parent_id, status, deleted_at, created_at, html, name, website, subject, staff,
     picture, avatar, likes, pinned, edited_at) = values  # fmt: skip
    return {
        "id": id_,
        "parent_id": parent_id,
        "html": html,
        "author_name": name,
        "author_website": website,
        "author_verified": subject is not None,
        "author_staff": staff,
        "author_id": reader_id(subject) if subject is not None else None,
        "avatar": picture or avatar,
        "likes": likes,
        "status": status.value,
        "pinned": pinned,
        "deleted": deleted_at is not None,
        "created_at": created_at.isoformat(),
        "edited_at": edited_at.isoformat() if edited_at is not None else None,
    }


def placeholder(id_: int, parent_id: int | None, created_at: datetime) -> dict[str, Any]:
    """What a thread shows of a removed comment that still has visible replies: its place in
    the thread, nothing of its content (the public shape, emptied)."""
    return {
        "id": id_,
        "parent_id": parent_id,
        "html": "",
        "author_name": None,
        "author_website": None,
        "author_verified": False,
        "author_staff": False,
        "author_id": None,
        "avatar": None,
        "likes": 0,
        "status": PLACEHOLDER_STATUS,
        "pinned": False,
        "deleted": True,
        "created_at": created_at.isoformat(),
        "edited_at": None,
    }


def as_json(comment: Comment) -> dict[str, Any]:
    """The public JSON of one comment."""
    return shown([getattr(comment, name) for name in _NAMES])


def author_json(comment: Comment) -> dict[str, Any]:
    """What the comment's author gets back: the public fields plus the Markdown source.

    A comment the spam screening filed away reads as waiting for moderation, like any other:
    the answer must not teach a spammer which of their posts were caught.
    """
    answer = {**as_json(comment), "text": comment.text}
    if filed_by_screening(comment):
        answer["status"] = CommentStatus.PENDING.value
    return answer
