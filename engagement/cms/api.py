"""Routes for the magazine's CMS (API token with the scope ``articles``): registering an article
with its moderation settings, and its views and comments per day.

They sit above both articles and moderation: registering is the articles service's, while
opening, closing and the moderation mode are moderation's verbs, which write the audit log with
the token as the actor, and the figures per day are moderation's statistics. So the article
layer never depends on moderation; it is only used by it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from flask import Blueprint, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, HttpUrl
from sqlalchemy.orm import Session

from engagement import db as database
from engagement import openapi, parsing
from engagement.articles import schemas
from engagement.articles import service as articles
from engagement.http import article_key, json_body, validated
from engagement.models import Article as ArticleRow
from engagement.models import Commenting, ModerationMode, TokenScope
from engagement.moderation import article_settings, stats
from engagement.moderation.audit import Actor
from engagement.parsing import fits, url_fits
from engagement.tokens import token_required

bp = Blueprint("cms", __name__, url_prefix="/api/v1")

MAX_TREND_DAYS = 365


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


class TrendQuery(BaseModel):
    days: int = Field(
        default=30,
        ge=1,
        le=MAX_TREND_DAYS,
        description="How many days, up to and including today (UTC).",
    )


def _registration(data: ArticleIn) -> dict[str, Any]:
    """What ``articles.put`` takes of the CMS's fields: those it sent (a null title keeps it)."""
    fields = data.model_fields_set
    changes: dict[str, Any] = {}
    if "title" in fields and data.title is not None:
        changes["title"] = data.title
    if "url" in fields:
        changes["url"] = str(data.url) if data.url else None
    if "published_at" in fields:
        changes["published_at"] = data.published_at
    if "language" in fields:
        changes["language"] = data.language
    return changes


def _moderate(db: Session, article: ArticleRow, data: ArticleIn, actor: Actor) -> None:
    """Apply the moderation settings the CMS sent, through the verbs that audit them."""
    fields = data.model_fields_set
    if data.open is not None:
        article_settings.set_article_open(db, actor=actor, article=article, open=data.open)
    if "moderation" in fields:
        article_settings.set_article_mode(db, actor=actor, article=article, mode=data.moderation)
    if "commenting" in fields:
        article_settings.set_article_commenting(
            db, actor=actor, article=article, commenting=data.commenting
        )


@bp.put("/articles/<key>")
@token_required(TokenScope.ARTICLES)
@openapi.operation(
    {
        200: openapi.Answer(schemas.Article, "Updated."),
        201: openapi.Answer(schemas.Article, "Created."),
    },
    body=ArticleIn,
    scope="articles",
)
def put(key: str) -> ResponseReturnValue:
    """Register or update an article (API token with the scope `articles`)."""
    key = article_key(key)
    data = validated(ArticleIn, json_body())
    db = database.session()
    article, created = articles.put(db, key=key, **_registration(data))
    _moderate(db, article, data, Actor.token(g.api_token))
    db.commit()
    settings = articles.Settings.from_config(current_app.config)
    return jsonify(articles.as_json(article, settings=settings)), 201 if created else 200


@bp.get("/articles/<key>/trend")
@token_required(TokenScope.ARTICLES)
@openapi.operation({200: TrendOut}, query=TrendQuery, scope="articles")
def trend(key: str) -> ResponseReturnValue:
    """Views and comments per day of one article (API token with the scope `articles`)."""
    days = parsing.whole_number(
        request.args.get("days", "30"), field="days", maximum=MAX_TREND_DAYS
    )
    db = database.session()
    article = articles.require(db, key=article_key(key))
    found = stats.article_trend(
        db, article_id=article.id, today=datetime.now(UTC).date(), days=days
    )
    figures = [
        {"day": views.day.isoformat(), "views": views.count, "comments": comments.count}
        for views, comments in zip(found.views, found.comments, strict=True)
    ]
    return jsonify(key=article.key, days=figures)
