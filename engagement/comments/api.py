"""Routes: read a thread, post a comment, the author's edit and delete, likes and reports."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from engagement import db as database
from engagement import openapi, parsing, ratelimit
from engagement.abuse import spam
from engagement.articles import service as articles
from engagement.articles.api import Article as ArticleOut
from engagement.comments import cache, inputs, service, threads
from engagement.errors import ApiError, invalid
from engagement.http import article_key, etag_for, json_body
from engagement.identity import sessions
from engagement.models import Comment as CommentRow
from engagement.origins import from_allowed_origin
from engagement.pageviews import visitors

bp = Blueprint("comments", __name__, url_prefix="/api/v1")

# Parsed by ``_comment``: a malformed id is a 400 naming ``id``, not a route that is not there.
COMMENT_ID = "<comment_id>"


@openapi.schema
class Comment(BaseModel):
    """A comment as readers see it. Never carries an email, address or secret."""

    id: int
    parent_id: int | None
    html: str = Field(description="The sanitized rendering of the Markdown text.")
    author_name: str | None = Field(description="Plain text: escape it when showing it.")
    author_website: str | None = Field(description="An http or https URL, plain text.")
    author_verified: bool = Field(
        description="Written by a reader the magazine signed in (the name is theirs)."
    )
    author_staff: bool = Field(description="Written by the newsroom: show a staff badge.")
    author_id: str | None = Field(
        description="The signed-in author's public id (as `reader.id` of POST /api/v1/sso/session)"
        ", so the widget knows its reader's own comments; null for guests."
    )
    avatar: str | None = Field(
        description="A hash to draw an avatar from, or an https picture URL of a signed-in "
        "reader; null on placeholders."
    )
    likes: int
    status: str = Field(
        description="approved (or pending in a 202 answer); `deleted` on a placeholder."
    )
    pinned: bool
    deleted: bool = Field(description="A placeholder kept because the comment has replies.")
    created_at: datetime
    edited_at: datetime | None


@openapi.schema
class ThreadComment(Comment):
    reply_count: int = Field(description="Visible comments shown below this one.")
    replies: list[ThreadComment]


@openapi.schema
class AuthorComment(Comment):
    text: str = Field(description="The Markdown source, for the author's edit form.")


@openapi.schema
class Thread(BaseModel):
    article: ArticleOut = Field(description="The article, as GET /api/v1/articles/{key}.")
    comments: list[ThreadComment]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at end.")


@openapi.schema
class CommentCreated(BaseModel):
    comment: AuthorComment
    edit_token: str = Field(
        description="Send as X-Edit-Token to edit or delete the comment; shown only once."
    )
    editable_until: datetime = Field(
        description="When the edit secret stops working (the widget hides its controls then)."
    )


@openapi.schema
class CommentEdited(BaseModel):
    comment: AuthorComment


@openapi.schema
class LikeOut(BaseModel):
    likes: int
    liked: bool = Field(
        description="POST: whether this request added a like (false if it was there);"
        " DELETE: always false."
    )


@openapi.schema
class ReportOut(BaseModel):
    reported: bool


def _encode(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


@bp.get("/articles/<key>/comments")
def thread(key: str) -> ResponseReturnValue:
    """One page of the article's thread.
    ---
    get:
      summary: Read a thread, replies nested
      description: >
        Top-level comments in the chosen order (pinned first), each with its replies nested
        oldest first; replies deeper than ENGAGEMENT_COMMENT_MAX_DEPTH levels are shown at that
        depth. Paginated by top-level comment: pass `next_cursor` back as `cursor`. Answers carry
        an ETag; send it as If-None-Match to get 304 while nothing changed.
      parameters:
        - {name: key, in: path, required: true, schema: {type: string}}
        - {name: sort, in: query, schema: {type: string, enum: [oldest, newest, top],
           default: oldest}}
        - {name: limit, in: query, schema: {type: integer, minimum: 1},
           description: "Top-level comments per page (default ENGAGEMENT_COMMENTS_PAGE_SIZE)."}
        - {name: cursor, in: query, schema: {type: string}}
        - {name: missing, in: query, schema: {type: string, enum: [empty]},
           description: "empty: an unregistered article answers 200 with article null and no
             comments instead of 404 (the widget asks so while the first view registers it)."}
      responses:
        200:
          description: The thread page.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Thread"}
        304: {description: Not modified.}
        400: {$ref: "#/components/responses/Error"}
        404: {$ref: "#/components/responses/Error"}
    """
    key = article_key(key)
    config = current_app.config
    sort = request.args.get("sort") or "oldest"
    if sort not in threads.SORTS:
        raise invalid("sort", "sort: one of oldest, newest, top.")
    limit = parsing.optional_number(
        request.args, "limit", maximum=config["COMMENTS_MAX_PAGE_SIZE"]
    ) or int(config["COMMENTS_PAGE_SIZE"])
    cursor = request.args.get("cursor") or None
    after = threads.decode_cursor(cursor, sort) if cursor else None

    article = threads.thread_article(key=key)
    if article is None:
        if request.args.get("missing") == "empty":
            response = jsonify(article=None, comments=[], next_cursor=None)
            response.cache_control.no_cache = True
            return response
        raise articles.not_found(key)
    head = _encode(articles.as_json(article))
    etag = etag_for(head, article.thread_version, sort, cursor, limit)
    # If-None-Match compares weakly: a proxy that compresses the answer marks its ETag weak.
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        answers = cache.for_app(current_app)
        cache_key = (article.id, article.thread_version, sort, cursor, limit)
        tail = answers.get(cache_key)
        if tail is None:
            page = threads.page(
                database.session(),
                article=article,
                sort=sort,
                after=after,
                limit=limit,
                max_depth=config["COMMENT_MAX_DEPTH"],
            )
            tail = _encode({"comments": page.comments, "next_cursor": page.next_cursor})
            answers.put(cache_key, tail, len(tail))
        # The article part is fresh on every request (its view count moves on its own); the
        # thread part is the cached bytes, served as they are.
        response = Response(b'{"article":' + head + b"," + tail[1:], mimetype="application/json")
    response.set_etag(etag)
    response.cache_control.no_cache = True
    return response


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


def _draft(db: Session, key: str, new: inputs.NewComment, body: dict[str, Any]) -> service.Draft:
    """The post checked and screened, reading only. An article nobody registered yet is checked
    as it would be registered (for an allowed origin only): a refused post registers nothing."""
    article = articles.get(db, key=key)
    if article is None:
        if not from_allowed_origin():
            raise articles.not_found(key)
        article = articles.unregistered(key)
    return service.prepare(
        db,
        article=article,
        new=new,
        visitor=visitors.stable_visitor(),
        address=ratelimit.client_address(),
        honeypot=spam.honeypot_value(body),
        reader=sessions.current(),
    )


@bp.post("/articles/<key>/comments")
@ratelimit.limit("comments", parse=_posted)
def create(key: str) -> ResponseReturnValue:
    """Post a comment or a reply.
    ---
    post:
      summary: Post a comment or reply
      description: >
        201 when the comment is visible at once, 202 when it waits for moderation. The answer
        carries the edit secret: send it as X-Edit-Token to edit or delete the comment within
        ENGAGEMENT_COMMENT_EDIT_WINDOW_MINUTES. Unknown fields are ignored, except the honeypot
        `url` (the widget's hidden trap for bots), which people leave empty. A comment the
        spam screening holds or files away is answered like any comment waiting for moderation.
        403 `banned` for a banned poster; 429 `rate_limited` beyond ENGAGEMENT_LIMIT_COMMENTS.
        A signed-in reader sends their session (POST /api/v1/sso/session) as
        `Authorization: Bearer` and posts under the magazine's name for them (the author
        fields are not used); 401 `sign_in_required` for a guest where the article needs
        sign-in, 403 `subscribers_only` for a non-subscriber where it needs a subscriber,
        409 `name_reserved` for a guest who uses a signed-in reader's name.
      parameters:
        - {name: key, in: path, required: true, schema: {type: string}}
        - {name: Authorization, in: header, required: false, schema: {type: string},
           description: "`Bearer <reader session>` for a signed-in reader."}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/CommentIn"}
      responses:
        201:
          description: Posted and visible.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/CommentCreated"}
        202:
          description: Posted; waits for a moderator.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/CommentCreated"}
        400: {$ref: "#/components/responses/Error"}
        401: {$ref: "#/components/responses/Error"}
        403: {$ref: "#/components/responses/Error"}
        404: {$ref: "#/components/responses/Error"}
        409: {$ref: "#/components/responses/Error"}
        413: {$ref: "#/components/responses/Error"}
        415: {$ref: "#/components/responses/Error"}
        429: {$ref: "#/components/responses/Error"}
    """
    key = article_key(key)
    body, new = _posted()
    db = database.session()
    # Everything that decides the post is read before its write transaction, so concurrent
    # posts (and views) wait only for the insert and the counter update.
    with database.reading(db):
        draft = _draft(db, key, new, body)
    if draft.comment.article_id is None:  # the article's first comment registers it
        about = inputs.article_hints(body)
        draft.comment.article_id = articles.get_or_create(
            db, key=key, title=about.title, url=about.url, language=about.language
        ).id
    created = service.save(db, draft)
    db.commit()
    window = timedelta(minutes=current_app.config["COMMENT_EDIT_WINDOW_MINUTES"])
    response = jsonify(
        comment=service.author_json(created.comment),
        edit_token=created.edit_token,
        editable_until=(created.comment.created_at + window).isoformat(),
    )
    response.status_code = 201 if created.comment.visible else 202
    response.cache_control.no_store = True
    return response


def _comment_id(raw: str) -> int:
    return parsing.row_id(raw, field="id", column=CommentRow.id)


def _comment(db: Session, raw_id: str) -> Any:
    comment_id = _comment_id(raw_id)
    comment = service.get(db, comment_id=comment_id)
    if comment is None:
        raise ApiError(404, "comment_not_found", f"No comment with id {comment_id}.", "id")
    return comment


@bp.patch(f"/comments/{COMMENT_ID}")
def edit(comment_id: str) -> ResponseReturnValue:
    """The author edits their comment.
    ---
    patch:
      summary: Edit one's own comment (X-Edit-Token, or the author's reader session)
      description: >
        Re-renders the text and sets `edited_at`. Under pre-moderation the comment waits for a
        moderator again. A signed-in author may send their reader session instead of the edit
        secret, from any device.
      parameters:
        - {name: comment_id, in: path, required: true, schema: {type: integer}}
        - {name: X-Edit-Token, in: header, required: false, schema: {type: string}}
        - {name: Authorization, in: header, required: false, schema: {type: string},
           description: "`Bearer <reader session>` of the comment's signed-in author."}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/CommentEditIn"}
      responses:
        200:
          description: The edited comment.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/CommentEdited"}
        400: {$ref: "#/components/responses/Error"}
        401: {$ref: "#/components/responses/Error"}
        403: {$ref: "#/components/responses/Error"}
        404: {$ref: "#/components/responses/Error"}
        415: {$ref: "#/components/responses/Error"}
    """
    text = inputs.edited_text(json_body(), max_length=current_app.config["COMMENT_MAX_LENGTH"])
    db = database.session()
    comment = _comment(db, comment_id)
    token = request.headers.get("X-Edit-Token")
    service.edit_by_author(
        db,
        comment=comment,
        token=token,
        text=text,
        address=ratelimit.client_address(),
        reader=sessions.current(),
    )
    db.commit()
    response = jsonify(comment=service.author_json(comment))
    response.cache_control.no_store = True
    return response


@bp.delete(f"/comments/{COMMENT_ID}")
def delete(comment_id: str) -> ResponseReturnValue:
    """The author deletes their comment.
    ---
    delete:
      summary: Delete one's own comment (X-Edit-Token, or the author's reader session)
      description: A comment with replies leaves a placeholder so the thread keeps its shape.
      parameters:
        - {name: comment_id, in: path, required: true, schema: {type: integer}}
        - {name: X-Edit-Token, in: header, required: false, schema: {type: string}}
        - {name: Authorization, in: header, required: false, schema: {type: string},
           description: "`Bearer <reader session>` of the comment's signed-in author."}
      responses:
        204: {description: Deleted.}
        401: {$ref: "#/components/responses/Error"}
        403: {$ref: "#/components/responses/Error"}
        404: {$ref: "#/components/responses/Error"}
    """
    db = database.session()
    comment = _comment(db, comment_id)
    service.delete_by_author(
        db,
        comment=comment,
        token=request.headers.get("X-Edit-Token"),
        reader=sessions.current(),
    )
    db.commit()
    return Response(status=204)


@bp.post(f"/comments/{COMMENT_ID}/likes")
def like(comment_id: str) -> ResponseReturnValue:
    """Like a comment.
    ---
    post:
      summary: Like a comment (once per visitor)
      description: A second like by the same visitor changes nothing.
      parameters:
        - {name: comment_id, in: path, required: true, schema: {type: integer}}
      responses:
        200:
          description: The comment's likes.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/LikeOut"}
        404: {$ref: "#/components/responses/Error"}
        415: {$ref: "#/components/responses/Error"}
    """
    json_body(optional=True)
    db = database.session()
    comment = service.get_visible(db, comment_id=_comment_id(comment_id))
    liked = service.like(db, comment=comment, visitor=visitors.stable_visitor())
    likes = service.likes_of(db, comment_id=comment.id)
    db.commit()
    return jsonify(likes=likes, liked=liked)


@bp.delete(f"/comments/{COMMENT_ID}/likes")
def unlike(comment_id: str) -> ResponseReturnValue:
    """Take back one's like.
    ---
    delete:
      summary: Take back this visitor's like of a comment
      description: Without a like from this visitor it changes nothing (and answers the same).
      parameters:
        - {name: comment_id, in: path, required: true, schema: {type: integer}}
      responses:
        200:
          description: The comment's likes now.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/LikeOut"}
        400: {$ref: "#/components/responses/Error"}
        404: {$ref: "#/components/responses/Error"}
    """
    db = database.session()
    comment = service.get_visible(db, comment_id=_comment_id(comment_id))
    service.unlike(db, comment=comment, visitor=visitors.stable_visitor())
    likes = service.likes_of(db, comment_id=comment.id)
    db.commit()
    return jsonify(likes=likes, liked=False)


@bp.post(f"/comments/{COMMENT_ID}/reports")
def report(comment_id: str) -> ResponseReturnValue:
    """Report a comment to the moderators.
    ---
    post:
      summary: Report a comment (once per visitor)
      description: 201 for a new report, 200 when this visitor had already reported it.
      parameters:
        - {name: comment_id, in: path, required: true, schema: {type: integer}}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/ReportIn"}
      responses:
        200:
          description: Already reported by this visitor; nothing changed.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ReportOut"}
        201:
          description: Reported.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ReportOut"}
        400: {$ref: "#/components/responses/Error"}
        404: {$ref: "#/components/responses/Error"}
        415: {$ref: "#/components/responses/Error"}
    """
    data = inputs.report(json_body())
    db = database.session()
    comment = service.get_visible(db, comment_id=_comment_id(comment_id))
    new = service.report(
        db,
        comment=comment,
        visitor=visitors.stable_visitor(),
        reason=data.reason,
        note=data.note,
        network=visitors.network(),
    )
    db.commit()
    return jsonify(reported=True), 201 if new else 200
