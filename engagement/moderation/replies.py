"""The newsroom's replies to readers' comments: visible at once, with the staff badge, logged."""

from __future__ import annotations

from sqlalchemy.orm import Session

from engagement.comments import posting
from engagement.models import Comment, Moderator
from engagement.moderation.audit import Actor, record


def staff_name(moderator: Moderator) -> str:
    """The name a moderator's replies appear under."""
    return moderator.display_name or moderator.username


def staff_reply(
    db: Session,
    *,
    actor: Actor,
    parent: Comment,
    text: str,
    name: str,
    close_after_days: int,
) -> Comment:
    """Answer a comment as the newsroom: visible at once, with the staff badge, logged."""
    reply = posting.staff_reply(
        db,
        parent=parent,
        text=text,
        name=name,
        author=actor.name,
        close_after_days=close_after_days,
    )
    record(
        db,
        actor=actor,
        action="comment.reply",
        comment_id=reply.id,
        article_id=reply.article_id,
        after={"parent_id": parent.id, "author_name": name},
    )
    return reply
