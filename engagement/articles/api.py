"""Routes: counters for many articles, one article, registering an article."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, HttpUrl

from engagement import db as database
from engagement import openapi
from engagement.articles import service
from engagement.errors import ApiError
from engagement.http import article_key, conditional, etag_for, json_body, validated
from engagement.models import ModerationMode
from engagement.tokens import token_required

bp = Blueprint("articles", __name__, url_prefix="/api/v1")

MAX_BATCH = 100


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


class CounterPair(BaseModel):
    comments: int
    views: int


@openapi.schema
class Counters(BaseModel):
    counters: dict[str, CounterPair]


@openapi.schema
class ArticleIn(BaseModel):
    """The fields the CMS may set on an article; absent fields keep their value."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, max_length=300)
    url: HttpUrl | None = None
    published_at: AwareDatetime | None = None
    open: bool | None = None
    moderation: ModerationMode | None = None


@bp.get("/counters")
def counters() -> ResponseReturnValue:
    """Both counters for up to 100 articles.
    ---
    get:
      summary: Comment and view counters for a batch of articles
      parameters:
        - {name: keys, in: query, required: true, schema: {type: string},
           description: "Comma-separated article keys, at most 100. Unknown keys read as zeros."}
      responses:
        200:
          description: The counters, keyed by article key.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Counters"}
        400: {$ref: "#/components/responses/Error"}
    """
    raw = request.args.get("keys", "")
    keys = [key for key in raw.split(",") if key]
    if not keys:
        raise ApiError(400, "missing_keys", "Give article keys: ?keys=a,b,c.", "keys")
    if len(keys) > MAX_BATCH:
        raise ApiError(400, "too_many_keys", f"At most {MAX_BATCH} keys per request.", "keys")
    for key in keys:
        article_key(key)
    found = database.raw(functools.partial(service.counters_for, keys=keys), writes=False)
    response = jsonify(counters=found)
    response.cache_control.public = True
    response.cache_control.max_age = current_app.config["COUNTERS_MAX_AGE"]
    # The answer's bytes are its identity: hashing them is cheaper than any other summary.
    return conditional(response, etag_for(response.get_data()))


@bp.get("/articles/<key>")
def read(key: str) -> ResponseReturnValue:
    """One article with its counters.
    ---
    get:
      summary: An article, its counters and whether its thread is open
      parameters:
        - {name: key, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: The article.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Article"}
        404: {$ref: "#/components/responses/Error"}
    """
    article = service.require(database.session(), key=article_key(key))
    response = jsonify(service.as_json(article))
    response.cache_control.no_cache = True
    return conditional(response, etag_for(response.get_data()))


@bp.put("/articles/<key>")
@token_required
def put(key: str) -> ResponseReturnValue:
    """Register or update an article (API token).
    ---
    put:
      summary: Register or update an article
      security: [{bearer: []}]
      parameters:
        - {name: key, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/ArticleIn"}
      responses:
        200:
          description: Updated.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Article"}
        201:
          description: Created.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Article"}
        400: {$ref: "#/components/responses/Error"}
        401: {$ref: "#/components/responses/Error"}
        415: {$ref: "#/components/responses/Error"}
    """
    key = article_key(key)
    data = validated(ArticleIn, json_body())
    changes: dict[str, Any] = {}
    fields = data.model_fields_set
    if "title" in fields and data.title is not None:
        changes["title"] = data.title
    if "url" in fields:
        changes["url"] = str(data.url) if data.url else None
    if "published_at" in fields:
        changes["published_at"] = data.published_at
    if "open" in fields and data.open is not None:
        changes["comments_open"] = data.open
    if "moderation" in fields:
        changes["moderation"] = data.moderation
    db = database.session()
    article, created = service.put(db, key=key, **changes)
    db.commit()
    return jsonify(service.as_json(article)), 201 if created else 200
