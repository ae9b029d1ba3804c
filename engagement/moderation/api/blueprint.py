"""What every route of the moderation API shares: its blueprint under ``/api/v1/moderation``,
the token it needs (scope ``moderation``), who acts, and the settings its verbs take."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Blueprint, current_app, g, request
from pydantic import Field

from engagement import openapi, parsing, tokens
from engagement.models import Comment, TokenScope
from engagement.moderation.audit import Actor

bp = Blueprint("moderation_api", __name__, url_prefix="/api/v1/moderation")

# The largest page of a queue or of the audit log.
MAX_LIMIT = 200
SCOPE = TokenScope.MODERATION.value

openapi.path_parameter(
    "comment_id",
    {"type": "integer", "minimum": 1, "maximum": parsing.column_max(Comment.id)},
    "The comment's id.",
)


@bp.before_request
def _authenticate() -> None:
    tokens.require_token(TokenScope.MODERATION)


def actor() -> Actor:
    """The API token the request came with, as the actor the audit log names."""
    return Actor.token(g.api_token)


def threshold() -> int:
    """Open reports, from this many networks, that put a comment in the reported queue."""
    return int(current_app.config["REPORT_THRESHOLD"])


def comment_max_length() -> int:
    """The most characters a comment's text may have."""
    return int(current_app.config["COMMENT_MAX_LENGTH"])


def trust_clean_days() -> int:
    """Days back a rejected comment counts against a reader's record."""
    return int(current_app.config["TRUST_CLEAN_DAYS"])


def page_limit(default: int) -> int:
    """The page size asked for with ``?limit=`` (1 to ``MAX_LIMIT``), else ``default``."""
    return parsing.optional_number(request.args, "limit", maximum=MAX_LIMIT) or default


def optional(description: str, *, choices: Iterable[str] = (), **limits: Any) -> Any:
    """A query parameter that may be left out, in a model documenting a route's query string:
    ``after: int = optional("...", ge=1)``; absent, it has no value to document. ``choices``:
    the only values it takes."""
    allowed = list(choices)

    def document(schema: dict[str, Any]) -> None:
        schema.pop("default", None)
        if allowed:
            schema["enum"] = allowed

    return Field(default=None, description=description, json_schema_extra=document, **limits)
