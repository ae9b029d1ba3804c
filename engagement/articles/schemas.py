"""An article as the API shows it: the answer's model, and its key as a path parameter.

Every route that answers an article (its own, a thread's head, the CMS's and the moderators'
changes) documents it with this one class, which ``service.as_json`` builds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from engagement import openapi
from engagement.http import KEY_PATTERN
from engagement.models import Commenting, ModerationMode

openapi.path_parameter(
    "key",
    {"type": "string", "pattern": f"^{KEY_PATTERN.pattern}$", "maxLength": 200},
    "The article's key: the magazine's own id for it.",
)


@openapi.schema
class Article(BaseModel):
    """An article as the API shows it."""

    key: str
    title: str
    url: str | None
    published_at: datetime | None
    comments: int
    views: int
    open: bool = Field(description="Whether the thread accepts new comments.")
    moderation: ModerationMode = Field(description="The moderation mode that applies.")
    commenting: Commenting = Field(
        description="Who may comment: anyone, signed-in readers, or subscribers."
    )
    login_url: str | None = Field(
        description="The magazine's login page (ENGAGEMENT_SSO_LOGIN_URL), for guests who "
        "must sign in to comment."
    )
    edit_window_minutes: int = Field(
        description="Minutes an author may edit or delete their comment after posting it."
    )
    reply_notifications: bool = Field(
        description="Whether readers may ask to be emailed when someone replies "
        "(`notify_replies` on a new comment): the service has a mail server."
    )
    language: Literal["es", "en"] | None = Field(
        description="The article's language: how its comments are searched (null: unknown)."
    )
