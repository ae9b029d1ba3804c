"""Routes: counters for many articles, one article, registering an article."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from flask import Blueprint, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, HttpUrl

from engagement import db as database
from engagement import openapi
from engagement.articles import cache, service
from engagement.errors import ApiError, invalid
from engagement.http import (
    KEY_LIST_PATTERN,
    KEY_PATTERN,
    article_key,
    conditional,
    etag_for,
    json_body,
    validated,
)
from engagement.models import Article as ArticleRow
from engagement.models import Commenting, ModerationMode, TokenScope
from engagement.moderation import article_settings, stats
from engagement.moderation.audit import Actor
from engagement.parsing import fits, url_fits
from engagement.tokens import token_required

bp = Blueprint("articles", __name__, url_prefix="/api/v1")

openapi.path_parameter(
    "key",
    {"type": "string", "pattern": f"^{KEY_PATTERN.pattern}$", "maxLength": 200},
    "The article's key: the magazine's own id for it.",
)

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


class CounterPair(BaseModel):
    comments: int
    views: int


class CountersQuery(BaseModel):
    keys: str = Field(
        description=f"Comma-separated article keys, at most {MAX_BATCH}. Unknown keys read as"
        " zeros.",
        pattern=rf"^,*{KEY_PATTERN.pattern}(?:,+{KEY_PATTERN.pattern}){{0,{MAX_BATCH - 1}}},*$",
    )


class Counters(BaseModel):
    """The counters, keyed by article key."""

    counters: dict[str, CounterPair]


@openapi.schema
class ArticleIn(BaseModel):
    """The fields the CMS may set on an article; absent fields keep their value."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, fits(ArticleRow.title)] | None = None
    url: Annotated[HttpUrl, url_fits(ArticleRow.url)] | None = None
    published_at: AwareDatetime | None = None
    open: bool | None = None
    moderation: ModerationMode | None = None
    commenting: Commenting | None = Field(
        default=None, description="Who may comment here; null: the site default."
    )
    language: Literal["es", "en"] | None = Field(
        default=None, description="es or en: Spanish or English stemming in comment search."
    )


class DayFigures(BaseModel):
    day: date
    views: int
    comments: int = Field(description="Comments received that day, whatever became of them.")


class TrendOut(BaseModel):
    """The figures per day, oldest first."""

    key: str
    days: list[DayFigures] = Field(description="Oldest first, one entry per day up to today (UTC).")


MAX_TREND_DAYS = 365


class TrendQuery(BaseModel):
    days: int = Field(
        default=30,
        ge=1,
        le=MAX_TREND_DAYS,
        description="How many days, up to and including today (UTC).",
    )


@bp.get("/counters")
@openapi.operation({200: Counters}, query=CountersQuery)
def counters() -> ResponseReturnValue:
    """Comment and view counters for a batch of articles."""
    raw = request.args.get("keys", "")
    answers = cache.for_app(current_app)
    # Only valid queries' answers are stored, so one found needs no checking.
    answer = answers.get(raw) if answers is not None else None
    if answer is None:
        keys = batch_keys(raw)
        found = database.raw(functools.partial(service.counters_for, keys=keys), writes=False)
        body = counters_json(found)
        # The answer's bytes are its identity: hashing them is cheaper than any other summary.
        answer = cache.Answer(body, etag_for(body))
        if answers is not None:
            answers.put(raw, answer, len(raw) + answer.size)
    response = current_app.response_class(answer.body, mimetype="application/json")
    response.headers["Cache-Control"] = f"public, max-age={current_app.config['COUNTERS_MAX_AGE']}"
    return conditional(response, answer.etag)


def counters_json(found: dict[str, tuple[int, int]]) -> bytes:
    """The batch answer's body, byte for byte what ``jsonify`` gives, at a fraction of its cost.

    Keys are valid article keys (letters, digits, '.', '_', '-'): nothing in them needs escaping.
    """
    items = ",".join(
        [
            f'"{key}":{{"comments":{comments},"views":{views}}}'
            for key, (comments, views) in found.items()
        ]
    )
    return f'{{"counters":{{{items}}}}}\n'.encode()


def batch_keys(raw: str) -> list[str]:
    """The article keys of a ``keys=a,b,c`` query, or the 400 that says what is wrong."""
    keys = [key for key in raw.split(",") if key]
    if not keys:
        raise ApiError(400, "missing_keys", "Give article keys: ?keys=a,b,c.", "keys")
    if len(keys) > MAX_BATCH:
        raise ApiError(400, "too_many_keys", f"At most {MAX_BATCH} keys per request.", "keys")
    if not KEY_LIST_PATTERN.fullmatch(raw):
        for key in keys:
            article_key(key)
    return keys


@bp.get("/articles/<key>")
@openapi.operation(
    {200: Article, 304: "Not modified: the ETag sent in If-None-Match matches."},
    headers={"If-None-Match": "The ETag of an earlier answer."},
)
def read(key: str) -> ResponseReturnValue:
    """An article, its counters and whether its thread is open."""
    article = service.require(database.session(), key=article_key(key))
    response = jsonify(service.as_json(article))
    response.cache_control.no_cache = True
    return conditional(response, etag_for(response.get_data()))


@bp.put("/articles/<key>")
@token_required(TokenScope.ARTICLES)
@openapi.operation(
    {200: openapi.Answer(Article, "Updated."), 201: openapi.Answer(Article, "Created.")},
    body=ArticleIn,
    scope="articles",
)
def put(key: str) -> ResponseReturnValue:
    """Register or update an article (API token with the scope `articles`)."""
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
    if "language" in fields:
        changes["language"] = data.language
    db = database.session()
    article, created = service.put(db, key=key, **changes)
    # Opening, closing and the moderation mode are moderation: the verbs that write the audit
    # log make those changes, with the token as the actor.
    actor = Actor.token(g.api_token)
    if data.open is not None:
        article_settings.set_article_open(db, actor=actor, article=article, open=data.open)
    if "moderation" in fields:
        article_settings.set_article_mode(db, actor=actor, article=article, mode=data.moderation)
    if "commenting" in fields:
        article_settings.set_article_commenting(
            db, actor=actor, article=article, commenting=data.commenting
        )
    db.commit()
    return jsonify(service.as_json(article)), 201 if created else 200


@bp.get("/articles/<key>/trend")
@token_required(TokenScope.ARTICLES)
@openapi.operation({200: TrendOut}, query=TrendQuery, scope="articles")
def trend(key: str) -> ResponseReturnValue:
    """Views and comments per day of one article (API token with the scope `articles`)."""
    raw = request.args.get("days", "30")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 3 and 1 <= int(raw) <= MAX_TREND_DAYS):
        raise invalid("days", f"days: a whole number from 1 to {MAX_TREND_DAYS}.")
    db = database.session()
    article = service.require(db, key=article_key(key))
    found = stats.article_trend(
        db, article_id=article.id, today=datetime.now(UTC).date(), days=int(raw)
    )
    days = [
        {"day": views.day.isoformat(), "views": views.count, "comments": comments.count}
        for views, comments in zip(found.views, found.comments, strict=True)
    ]
    return jsonify(key=article.key, days=days)
