"""Routes: the site-wide and per-article Atom feeds of approved comments."""

from __future__ import annotations

from flask import Blueprint, current_app, request, url_for
from flask.typing import ResponseReturnValue

from engagement import db as database
from engagement.articles import service as articles
from engagement.feeds import service
from engagement.http import article_key, conditional, etag_for
from engagement.models import utcnow

bp = Blueprint("feeds", __name__, url_prefix="/feeds")

# Feed readers poll; a few minutes' delay is what they expect, and the ETag makes a poll cheap.
FEED_MAX_AGE = 300


def _answer(document: bytes) -> ResponseReturnValue:
    response = current_app.response_class(document, mimetype="application/atom+xml")
    response.cache_control.public = True
    response.cache_control.max_age = FEED_MAX_AGE
    response.headers["Access-Control-Allow-Origin"] = "*"
    return conditional(response, etag_for(document))


@bp.get("/comments.atom")
def site_feed() -> ResponseReturnValue:
    """The latest approved comments on every article."""
    comments = service.latest(database.session())
    document = service.atom(
        comments,
        title="Latest comments",
        self_url=request.url,
        home_url=request.host_url,
        feed_key="comments",
        updated=utcnow(),
    )
    return _answer(document)


@bp.get("/articles/<key>/comments.atom")
def article_feed(key: str) -> ResponseReturnValue:
    """The latest approved comments on one article."""
    db = database.session()
    article = articles.require(db, key=article_key(key))
    comments = service.latest(db, article_id=article.id)
    document = service.atom(
        comments,
        title=f"Comments on {article.title or article.key}",
        self_url=url_for("feeds.article_feed", key=article.key, _external=True),
        home_url=article.url or request.host_url,
        feed_key=f"articles/{article.key}",
        updated=article.created_at,
    )
    return _answer(document)
