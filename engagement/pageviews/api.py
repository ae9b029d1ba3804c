"""Route: a magazine page records a view and gets both counters back."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, Field, HttpUrl

from engagement import db as database
from engagement import openapi, ratelimit
from engagement.articles import service as articles
from engagement.db import RawConnection
from engagement.http import article_key, json_body, validated
from engagement.models import Article, utcnow
from engagement.origins import from_allowed_origin
from engagement.pageviews import service, visitors
from engagement.parsing import fits, url_fits

bp = Blueprint("pageviews", __name__, url_prefix="/api/v1")


@openapi.schema
class ViewIn(BaseModel):
    """Optional body: describes the article when its first view registers it."""

    title: Annotated[str, fits(Article.title)] = ""
    url: Annotated[HttpUrl, url_fits(Article.url)] | None = None
    lang: str | None = Field(
        default=None, max_length=35, description="The page's language tag (es, en-GB...)."
    )


# Most views come without a body: nothing to validate.
NO_BODY = ViewIn()


@openapi.schema
class ViewOut(BaseModel):
    """The counters after this view."""

    comments: int
    views: int
    counted: bool = Field(description="Whether this request raised the view counter.")


def register_for_view(key: str, data: ViewIn) -> None:
    """Register an article nobody registered yet on its first view, for an allowed origin only,
    with what the page says about it."""
    db = database.session()
    article = articles.for_first_use(db, key=key, allowed_origin=from_allowed_origin())
    url = str(data.url) if data.url else None
    hints = articles.Hints(title=data.title, url=url, language=articles.language_of(data.lang))
    articles.register(db, article=article, hints=hints)


def _uncounted(key: str) -> ResponseReturnValue:
    """The counters, for a crawler or a prefetch: their requests count no view."""
    article = articles.require(database.session(), key=key)
    return jsonify(comments=article.comment_count, views=article.view_count, counted=False)


def _view_of(key: str) -> Callable[[RawConnection], service.ViewResult | None]:
    """Recording this request's view of the article ``key``, to run on a raw connection."""
    now = utcnow()
    return functools.partial(
        service.record_view,
        key=key,
        visitor=visitors.daily_visitor(now.date()),
        now=now,
        window=timedelta(minutes=current_app.config["VIEW_WINDOW_MINUTES"]),
    )


def _counters(result: service.ViewResult) -> ResponseReturnValue:
    """Both counters after the view."""
    # Written directly, byte for byte what ``jsonify`` gives: this answers every page load.
    counted = "true" if result.counted else "false"
    answer = f'{{"comments":{result.comments},"views":{result.views},"counted":{counted}}}\n'
    response = current_app.response_class(answer, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/articles/<key>/views")
@ratelimit.limit("views")
@openapi.operation({200: ViewOut}, body=ViewIn, body_required=False)
def record(key: str) -> ResponseReturnValue:
    """Record a view; answers both counters.

    Counts once per visitor per window (ENGAGEMENT_VIEW_WINDOW_MINUTES). Known crawlers and
    prefetches are answered without counting. An unknown article is registered when the
    request comes from an allowed origin, and is a 404 otherwise.
    """
    key = article_key(key)
    body = json_body(optional=True)
    data = validated(ViewIn, body) if body else NO_BODY
    if visitors.is_crawler(request.environ.get("HTTP_USER_AGENT", "")) or visitors.is_prefetch():
        return _uncounted(key)
    view = _view_of(key)
    result = database.raw(view, writes=True)
    if result is None:
        register_for_view(key, data)
        database.session().commit()
        result = database.raw(view, writes=True)
        assert result is not None, "the article was registered just before"
    return _counters(result)
