"""Routes: counters for many articles, one article (the CMS registers them: ``cms/api.py``)."""

from __future__ import annotations

import functools

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, Field

from engagement import db as database
from engagement import openapi
from engagement.articles import cache, schemas, service
from engagement.http import KEY_LIST_PATTERN, KEY_PATTERN, article_key, conditional, etag_for
from engagement.refusals import Invalid

bp = Blueprint("articles", __name__, url_prefix="/api/v1")

MAX_BATCH = 100


class CounterPair(BaseModel):
    comments: int
    views: int


NOT_MODIFIED = "Not modified: the ETag sent in If-None-Match matches."
EARLIER = "The ETag of an earlier answer."


class CountersQuery(BaseModel):
    keys: str = Field(
        description=f"Comma-separated article keys, at most {MAX_BATCH}. Unknown keys read as"
        " zeros.",
        pattern=rf"^,*{KEY_PATTERN.pattern}(?:,+{KEY_PATTERN.pattern}){{0,{MAX_BATCH - 1}}},*$",
    )


class Counters(BaseModel):
    """The counters, keyed by article key."""

    counters: dict[str, CounterPair]


@bp.get("/counters")
@openapi.operation(
    {200: Counters, 304: NOT_MODIFIED}, query=CountersQuery, headers={"If-None-Match": EARLIER}
)
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
    """The article keys of a ``keys=a,b,c`` query; refused as invalid, saying what is wrong."""
    keys = [key for key in raw.split(",") if key]
    if not keys:
        raise Invalid("missing_keys", "Give article keys: ?keys=a,b,c.", "keys")
    if len(keys) > MAX_BATCH:
        raise Invalid("too_many_keys", f"At most {MAX_BATCH} keys per request.", "keys")
    if not KEY_LIST_PATTERN.fullmatch(raw):
        for key in keys:
            article_key(key)
    return keys


@bp.get("/articles/<key>")
@openapi.operation({200: schemas.Article, 304: NOT_MODIFIED}, headers={"If-None-Match": EARLIER})
def read(key: str) -> ResponseReturnValue:
    """An article, its counters and whether its thread is open."""
    article = service.require(database.session(), key=article_key(key))
    settings = service.Settings.from_config(current_app.config)
    response = jsonify(service.as_json(article, settings=settings))
    response.cache_control.no_cache = True
    return conditional(response, etag_for(response.get_data()))
