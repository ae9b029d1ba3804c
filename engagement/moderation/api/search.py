"""Searching every comment through the API."""

from __future__ import annotations

from datetime import date

from flask import jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, Field

from engagement import db as database
from engagement import openapi
from engagement.http import KEY_PATTERN
from engagement.models import CommentStatus
from engagement.moderation import search
from engagement.moderation.api.blueprint import SCOPE, bp, optional
from engagement.moderation.api.moderated import ModeratedComment, item_json


class SearchQuery(BaseModel):
    q: str = optional(
        "Words the text must all contain, stemmed in the article's language.",
        max_length=search.MAX_TEXT,
    )
    article: str = optional("An article key.", pattern=f"^{KEY_PATTERN.pattern}$", max_length=200)
    author: str = optional(
        "The author's name (any case) or email address.", max_length=search.MAX_NAME
    )
    identity: str = optional(
        "The commenter's visitor hash, as the moderation pages show it.", max_length=64
    )
    status: list[CommentStatus] = optional("Any of these statuses (repeat the parameter).")
    since: date = optional("The first day included (UTC).")
    until: date = optional("The last day included (UTC).")
    signal: str = optional("A spam signal the comment raised.", choices=search.SIGNALS)
    limit: int = Field(
        default=search.DEFAULT_LIMIT, ge=1, le=search.MAX_LIMIT, description="Page size."
    )
    cursor: str = optional("The next_cursor of the previous page.", max_length=200)


class SearchHitOut(ModeratedComment):
    excerpt: str = Field(
        description="HTML: the text around the matches, escaped, each match in a <mark>."
    )


class SearchOut(BaseModel):
    """One page of matching comments."""

    comments: list[SearchHitOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page.")


@bp.get("/search")
@openapi.operation({200: SearchOut}, query=SearchQuery, scope=SCOPE)
def search_comments() -> ResponseReturnValue:
    """Search every comment by text, article, author, status, date and spam signal.

    q matches the text with the stemming of the article's language (Spanish or English;
    accents ignored); every word must match. All given filters must hold. Results come newest
    first, each with an HTML excerpt whose matches are in <mark>.
    """
    query = search.parse(request.args, request.args.getlist("status"))
    page = search.search(database.session(), query=query)
    return jsonify(
        comments=[{**item_json(hit.item), "excerpt": str(hit.excerpt)} for hit in page.hits],
        next_cursor=page.next_cursor,
    )
