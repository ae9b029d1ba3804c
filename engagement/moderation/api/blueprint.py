"""What every route of the moderation API shares: its blueprint under ``/api/v1/moderation``,
the token it needs (scope ``moderation``), its page sizes and query parameters. Who acts and
the settings the verbs take come from ``moderation/requests.py``, as for the pages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Blueprint, request
from pydantic import Field

from engagement import openapi, parsing, tokens
from engagement.models import Comment, TokenScope

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
