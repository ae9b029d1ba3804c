"""A commenter's data through the API, for data-protection requests: export it, erase it.

The address travels in the body, never in the URL: URLs end up in access logs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from flask import jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field

from engagement import db as database
from engagement import openapi
from engagement.http import json_body, validated
from engagement.models import Comment, Reader
from engagement.moderation.api.bans import BanOut
from engagement.moderation.api.blueprint import SCOPE, bp
from engagement.moderation.requests import actor
from engagement.parsing import fits
from engagement.portability import commenters
from engagement.refusals import invalid


class CommenterIn(BaseModel):
    """The commenter, by email address or by SSO subject: exactly one of the two."""

    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, fits(Comment.author_email, min_length=1)] | None = Field(
        default=None, description="Matched case-insensitively."
    )
    subject: Annotated[str, fits(Reader.subject, min_length=1)] | None = Field(
        default=None,
        description="A signed-in reader's id at the magazine (the sign-in token's `sub`).",
    )


class CommenterComment(BaseModel):
    id: int
    article: str
    article_title: str
    article_url: str | None
    parent_id: int | None
    status: str
    deleted: bool
    text: str
    html: str
    author_name: str | None
    author_email: str | None
    author_website: str | None
    likes: int
    pinned: bool
    created_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None


class CommenterOut(BaseModel):
    """The commenter's data."""

    format: Literal["engagement-commenter"]
    version: int
    exported_at: datetime
    email: str | None
    subject: str | None
    reader: dict[str, Any] | None = Field(
        description="The signed-in reader's record (name, email, staff, trust), by subject."
    )
    comments: list[CommenterComment]
    bans: list[BanOut]


class ErasureOut(BaseModel):
    """What was erased."""

    comments: int = Field(description="How many comments were deleted and wiped.")
    bans_kept: int = Field(description="Active bans of the address, which erasing keeps.")


def _commenter() -> tuple[str | None, str | None]:
    """(normalized email, subject) from the body, exactly one given; or a 400."""
    data = validated(CommenterIn, json_body())
    if (data.email is None) == (data.subject is None):
        raise invalid("email", "Name the commenter by email or by subject (one of the two).")
    if data.subject is not None:
        return None, data.subject
    try:
        return commenters.normalized(data.email or ""), None
    except commenters.NotAnEmail:
        raise invalid("email", "email: not an email address.") from None


@bp.post("/commenters/export")
@openapi.operation({200: CommenterOut}, body=CommenterIn, scope=SCOPE)
def commenter_export() -> ResponseReturnValue:
    """Export a commenter's comments and bans, by email address or SSO subject."""
    email, subject = _commenter()
    return jsonify(commenters.export(database.session(), email=email, subject=subject))


@bp.post("/commenters/erase")
@openapi.operation({200: ErasureOut}, body=CommenterIn, scope=SCOPE)
def commenter_erase() -> ResponseReturnValue:
    """Delete a commenter's comments and wipe their personal data, by email or subject.

    Comments others answered stay as placeholders with the replies in place; the comment
    counters follow. Bans of the address are kept. Audited without the address.
    """
    db = database.session()
    email, subject = _commenter()
    erased = commenters.erase(db, actor=actor(), email=email, subject=subject)
    db.commit()
    return jsonify(comments=erased.comments, bans_kept=erased.bans_kept)
