"""Routes: read a thread, post a comment, the author's edit and delete, likes and reports."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue

from engagement import db as database
from engagement import openapi, parsing, ratelimit
from engagement.abuse import spam
from engagement.articles import service as articles
from engagement.comments import authors, cache, inputs, likes, posting, public, reports, service
from engagement.comments.schemas import CommentCreated, CommentEdited, LikeOut, ReportOut, Thread
from engagement.comments.settings import Settings
from engagement.comments.threads import PageQuery
from engagement.http import article_key, json_body
from engagement.identity import web
from engagement.models import Comment as CommentRow
from engagement.origins import from_allowed_origin
from engagement.pageviews import visitors

bp = Blueprint("comments", __name__, url_prefix="/api/v1")

# Parsed by ``_comment_id``: a malformed id is a 400 naming ``id``, not a route that is not there.
COMMENT_ID = "<comment_id>"
AUTHOR_HEADERS = {
    "X-Edit-Token": "The edit secret the post answered (`edit_token`).",
    "Authorization": "`Bearer <reader session>` of the comment's signed-in author.",
}


def _comment_id(raw: str) -> int:
    return parsing.row_id(raw, field="id", column=CommentRow.id)


def _authored(comment: CommentRow, **more: Any) -> Response:
    """An answer to the comment's author: the comment as they see it, never stored by caches."""
    response = jsonify(comment=public.author_json(comment), **more)
    response.cache_control.no_store = True
    return response


def _no_thread(key: str, query: PageQuery) -> Response:
    """The answer for an article nobody registered: an empty thread if the widget asks so."""
    if not query.missing_empty:
        raise articles.not_found(key)
    response = jsonify(article=None, comments=[], next_cursor=None)
    response.cache_control.no_cache = True
    return response


def _thread_query() -> PageQuery:
    """The page of the thread this request asks for."""
    config = current_app.config
    return inputs.thread_query(
        request.args,
        default_limit=config["COMMENTS_PAGE_SIZE"],
        max_limit=config["COMMENTS_MAX_PAGE_SIZE"],
    )


def _thread_response(answer: cache.ThreadAnswer) -> Response:
    """The thread page, or 304 when the client holds it already."""
    # If-None-Match compares weakly: a proxy that compresses the answer marks its ETag weak.
    if request.if_none_match.contains_weak(answer.etag):
        response = Response(status=304)
    else:
        response = Response(answer.body(database.session), mimetype="application/json")
    response.set_etag(answer.etag)
    response.cache_control.no_cache = True
    return response


@bp.get("/articles/<key>/comments")
@openapi.operation(
    {200: Thread, 304: "Not modified."},
    query=inputs.ThreadQuery,
    headers={"If-None-Match": "The ETag of an earlier answer."},
)
def thread(key: str) -> ResponseReturnValue:
    """Read a thread, replies nested.

    Top-level comments in the chosen order (pinned first), each with its replies nested oldest
    first; replies deeper than ENGAGEMENT_COMMENT_MAX_DEPTH levels are shown at that depth.
    Paginated by top-level comment: pass `next_cursor` back as `cursor`. Answers carry an ETag;
    send it as If-None-Match to get 304 while nothing changed.
    """
    key, query = article_key(key), _thread_query()
    answer = cache.thread_answer(
        key=key,
        query=query,
        settings=articles.Settings.from_config(current_app.config),
        max_depth=current_app.config["COMMENT_MAX_DEPTH"],
        answers=cache.for_app(current_app),
    )
    return _no_thread(key, query) if answer is None else _thread_response(answer)


def _posted() -> tuple[dict[str, Any], inputs.NewComment]:
    """The post's body and its comment, parsed once per request (the rate limit reads them
    first: a post refused as malformed spends nothing)."""
    if "posted" not in g:
        body = json_body()
        g.posted = (
            body,
            inputs.new_comment(body, max_length=current_app.config["COMMENT_MAX_LENGTH"]),
        )
    posted: tuple[dict[str, Any], inputs.NewComment] = g.posted
    return posted


def _poster(body: dict[str, Any], settings: Settings) -> posting.Poster:
    """Who posts, as this request shows them."""
    return posting.Poster(
        visitor=visitors.stable_visitor(),
        address=ratelimit.client_address(),
        reader=web.current(),
        honeypot=spam.honeypot_value(body, settings=settings.spam),
    )


def _created(created: posting.Draft, settings: Settings) -> Response:
    """The answer to a post: 201 when the comment shows at once, 202 when it waits."""
    until = created.comment.created_at + settings.edit_window
    response = _authored(
        created.comment, edit_token=created.edit_token, editable_until=until.isoformat()
    )
    response.status_code = 201 if created.comment.visible else 202
    return response


@bp.post("/articles/<key>/comments")
@ratelimit.limit("comments", parse=_posted)
@openapi.operation(
    {
        201: openapi.Answer(CommentCreated, "Posted and visible."),
        202: openapi.Answer(CommentCreated, "Posted; waits for a moderator."),
    },
    body=inputs.CommentIn,
    headers={"Authorization": "`Bearer <reader session>` for a signed-in reader."},
    refusals=(401, 403, 409),
)
def create(key: str) -> ResponseReturnValue:
    """Post a comment or reply.

    201 when the comment is visible at once, 202 when it waits for moderation. The answer
    carries the edit secret: send it as X-Edit-Token to edit or delete the comment within
    ENGAGEMENT_COMMENT_EDIT_WINDOW_MINUTES. Unknown fields are ignored, except the honeypot
    `url` (the widget's hidden trap for bots), which people leave empty. A comment the spam
    screening holds or files away is answered like any comment waiting for moderation. 403
    `banned` for a banned poster; 429 `rate_limited` beyond ENGAGEMENT_LIMIT_COMMENTS. A
    signed-in reader sends their session (POST /api/v1/sso/session) as `Authorization: Bearer`
    and posts under the magazine's name for them (the author fields are not used); 401
    `sign_in_required` for a guest where the article needs sign-in, 403 `subscribers_only` for
    a non-subscriber where it needs a subscriber, 409 `name_reserved` for a guest who uses a
    signed-in reader's name. An article nobody registered yet is registered by its first
    comment from an allowed origin (`article_title`, `article_url`, `article_lang` describe
    it), and is a 404 otherwise.
    """
    key = article_key(key)
    body, new = _posted()
    settings = Settings.from_app(current_app)
    db = database.session()
    created = posting.post(
        db,
        key=key,
        new=new,
        poster=_poster(body, settings),
        hints=inputs.article_hints(body),
        allowed_origin=from_allowed_origin(),
        settings=settings,
    )
    db.commit()
    return _created(created, settings)


def _claim() -> authors.Claim:
    """What this request offers as proof that it comes from the comment's author."""
    return authors.Claim(token=request.headers.get("X-Edit-Token"), reader=web.current())


@bp.patch(f"/comments/{COMMENT_ID}")
@openapi.operation(
    {200: CommentEdited}, body=inputs.CommentEditIn, headers=AUTHOR_HEADERS, refusals=(401, 403)
)
def edit(comment_id: str) -> ResponseReturnValue:
    """Edit one's own comment (X-Edit-Token, or the author's reader session).

    Re-renders the text and sets `edited_at`. Under pre-moderation the comment waits for a
    moderator again. A signed-in author may send their reader session instead of the edit
    secret, from any device.
    """
    text = inputs.edited_text(json_body(), max_length=current_app.config["COMMENT_MAX_LENGTH"])
    db = database.session()
    comment = service.require(db, comment_id=_comment_id(comment_id))
    authors.edit_by_author(
        db,
        comment=comment,
        claim=_claim(),
        text=text,
        settings=Settings.from_app(current_app),
        address=ratelimit.client_address(),
    )
    db.commit()
    return _authored(comment)


@bp.delete(f"/comments/{COMMENT_ID}")
@openapi.operation({204: "Deleted."}, headers=AUTHOR_HEADERS, refusals=(401, 403))
def delete(comment_id: str) -> ResponseReturnValue:
    """Delete one's own comment (X-Edit-Token, or the author's reader session).

    A comment with replies leaves a placeholder so the thread keeps its shape.
    """
    db = database.session()
    comment = service.require(db, comment_id=_comment_id(comment_id))
    window = Settings.from_app(current_app).edit_window
    authors.delete_by_author(db, comment=comment, claim=_claim(), edit_window=window)
    db.commit()
    return Response(status=204)


@bp.post(f"/comments/{COMMENT_ID}/likes")
@openapi.operation({200: LikeOut}, refusals=(415,))
def like(comment_id: str) -> ResponseReturnValue:
    """Like a comment (once per visitor).

    A second like by the same visitor changes nothing.
    """
    json_body(optional=True)
    db = database.session()
    comment = service.get_visible(db, comment_id=_comment_id(comment_id))
    liked = likes.like(db, comment=comment, visitor=visitors.stable_visitor())
    count = likes.likes_of(db, comment_id=comment.id)
    db.commit()
    return jsonify(likes=count, liked=liked)


@bp.delete(f"/comments/{COMMENT_ID}/likes")
@openapi.operation({200: openapi.Answer(LikeOut, "The comment's likes now.")})
def unlike(comment_id: str) -> ResponseReturnValue:
    """Take back this visitor's like of a comment.

    Without a like from this visitor it changes nothing (and answers the same).
    """
    db = database.session()
    comment = service.get_visible(db, comment_id=_comment_id(comment_id))
    likes.unlike(db, comment=comment, visitor=visitors.stable_visitor())
    count = likes.likes_of(db, comment_id=comment.id)
    db.commit()
    return jsonify(likes=count, liked=False)


@bp.post(f"/comments/{COMMENT_ID}/reports")
@openapi.operation(
    {
        200: openapi.Answer(ReportOut, "Already reported by this visitor; nothing changed."),
        201: openapi.Answer(ReportOut, "Reported."),
    },
    body=inputs.ReportIn,
)
def report(comment_id: str) -> ResponseReturnValue:
    """Report a comment (once per visitor).

    201 for a new report, 200 when this visitor had already reported it.
    """
    data = inputs.report(json_body())
    db = database.session()
    comment = service.get_visible(db, comment_id=_comment_id(comment_id))
    new = reports.report(
        db,
        comment=comment,
        visitor=visitors.stable_visitor(),
        reason=data.reason,
        hide_after=Settings.from_app(current_app).hide_after_reports,
        note=data.note,
        network=visitors.network(),
    )
    db.commit()
    return jsonify(reported=True), 201 if new else 200
