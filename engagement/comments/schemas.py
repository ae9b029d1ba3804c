"""A comment as the API shows it: the answers' models, and its id as a path parameter.

``public.py`` builds the JSON these classes describe.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from engagement import openapi
from engagement.articles import schemas as articles
from engagement.models import Comment as CommentRow
from engagement.parsing import column_max

openapi.path_parameter(
    "comment_id",
    {"type": "integer", "minimum": 1, "maximum": column_max(CommentRow.id)},
    "The comment's id.",
)


@openapi.schema
class Comment(BaseModel):
    """A comment as readers see it. Never carries an email, address or secret."""

    id: int
    parent_id: int | None
    html: str = Field(description="The sanitized rendering of the Markdown text.")
    author_name: str | None = Field(description="Plain text: escape it when showing it.")
    author_website: str | None = Field(description="An http or https URL, plain text.")
    author_verified: bool = Field(
        description="Written by a reader the magazine signed in (the name is theirs)."
    )
    author_staff: bool = Field(description="Written by the newsroom: show a staff badge.")
    author_id: str | None = Field(
        description="The signed-in author's public id (as `reader.id` of POST /api/v1/sso/session)"
        ", so the widget knows its reader's own comments; null for guests."
    )
    avatar: str | None = Field(
        description="A hash to draw an avatar from, or an https picture URL of a signed-in "
        "reader; null on placeholders."
    )
    likes: int
    status: str = Field(
        description="approved (or pending in a 202 answer); `deleted` on a placeholder."
    )
    pinned: bool
    deleted: bool = Field(description="A placeholder kept because the comment has replies.")
    created_at: datetime
    edited_at: datetime | None


@openapi.schema
class ThreadComment(Comment):
    reply_count: int = Field(description="Visible comments shown below this one.")
    replies: list[ThreadComment]


@openapi.schema
class AuthorComment(Comment):
    text: str = Field(description="The Markdown source, for the author's edit form.")


@openapi.schema
class Thread(BaseModel):
    """The thread page."""

    article: articles.Article | None = Field(
        description="The article, as GET /api/v1/articles/{key}; null for an article nobody "
        "registered yet, asked for with `missing=empty`."
    )
    comments: list[ThreadComment]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at end.")


@openapi.schema
class CommentCreated(BaseModel):
    comment: AuthorComment
    edit_token: str = Field(
        description="Send as X-Edit-Token to edit or delete the comment; shown only once."
    )
    editable_until: datetime = Field(
        description="When the edit secret stops working (the widget hides its controls then)."
    )


@openapi.schema
class CommentEdited(BaseModel):
    """The edited comment."""

    comment: AuthorComment


@openapi.schema
class LikeOut(BaseModel):
    """The comment's likes."""

    likes: int
    liked: bool = Field(
        description="POST: whether this request added a like (false if it was there);"
        " DELETE: always false."
    )


@openapi.schema
class ReportOut(BaseModel):
    """Whether the comment stands reported by this visitor."""

    reported: bool
