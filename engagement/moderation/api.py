"""The moderation actions as JSON for the CMS, under ``/api/v1/moderation`` (API token with the
scope ``moderation``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from flask import Blueprint, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field

from engagement import db as database
from engagement import openapi, parsing, tokens
from engagement.abuse import bans
from engagement.comments import inputs as comment_inputs
from engagement.errors import ApiError, invalid
from engagement.http import article_key, json_body, validated
from engagement.identity import readers
from engagement.models import (
    Ban,
    BanKind,
    Comment,
    Commenting,
    ModerationAction,
    ModerationMode,
    Reader,
    TokenScope,
    Trust,
)
from engagement.moderation import audit, search, service
from engagement.moderation.audit import Actor
from engagement.parsing import fits, within
from engagement.portability import commenters

bp = Blueprint("moderation_api", __name__, url_prefix="/api/v1/moderation")

MAX_LIMIT = 200


@bp.before_request
def _authenticate() -> None:
    tokens.require_token(TokenScope.MODERATION)


def _actor() -> Actor:
    return Actor.token(g.api_token)


def _threshold() -> int:
    return int(current_app.config["REPORT_THRESHOLD"])


def _limit(default: int) -> int:
    return parsing.optional_number(request.args, "limit", maximum=MAX_LIMIT) or default


@openapi.schema
class QueueSizes(BaseModel):
    pending: int
    reported: int
    spam: int


class ArticleRef(BaseModel):
    key: str
    title: str


class ParentRef(BaseModel):
    id: int
    author_name: str | None
    text: str


class ReportOut(BaseModel):
    reason: str
    note: str | None
    created_at: datetime


class AuthorHistoryOut(BaseModel):
    approved: int
    pending: int
    rejected: int
    spam: int


@openapi.schema
class ModeratedComment(BaseModel):
    """A comment as moderators see it: the author's email and the text source included."""

    id: int
    parent_id: int | None
    status: str
    deleted: bool
    pinned: bool
    text: str
    html: str
    author_name: str | None
    author_email: str | None
    author_website: str | None
    author_subject: str | None = Field(description="The signed-in author's reader id, or null.")
    author_staff: bool = Field(description="Written by the newsroom.")
    author_trust: Trust | None = Field(description="A moderator's mark on the signed-in author.")
    likes: int
    spam_reasons: list[str]
    created_at: datetime
    edited_at: datetime | None
    article: ArticleRef
    parent: ParentRef | None
    reports: list[ReportOut]
    author_history: AuthorHistoryOut


@openapi.schema
class QueueOut(BaseModel):
    queue: str
    comments: list[ModeratedComment]
    next_after: int | None = Field(description="Pass as ?after= for the next page.")


@openapi.schema
class ActionIn(BaseModel):
    """What an action needs besides its name: a reason, the new text (edit), a ban's length."""

    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=service.MAX_REASON)
    text: str | None = Field(default=None, max_length=10000, description="Required for edit.")
    days: int | None = Field(
        default=None, ge=1, le=bans.MAX_DAYS, description="ban-author: how long (null: for good)."
    )


@openapi.schema
class BulkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["approve", "reject", "spam", "not-spam", "delete", "restore"]
    ids: list[Annotated[int, within(Comment.id)]] = Field(min_length=1, max_length=service.MAX_BULK)
    reason: str | None = Field(default=None, max_length=service.MAX_REASON)


@openapi.schema
class BulkOut(BaseModel):
    comments: list[ModeratedComment]


@openapi.schema
class ArticleModerationIn(BaseModel):
    """Absent fields keep their value; ``moderation: null`` returns to the site default."""

    model_config = ConfigDict(extra="forbid")

    moderation: ModerationMode | None = None
    commenting: Commenting | None = Field(
        default=None, description="Who may comment here; null: the site default."
    )
    open: bool | None = None
    reason: str | None = Field(default=None, max_length=service.MAX_REASON)


@openapi.schema
class AuditEntryOut(BaseModel):
    id: int
    actor: str
    action: str
    comment_id: int | None
    article: str | None
    reason: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    created_at: datetime


@openapi.schema
class AuditOut(BaseModel):
    entries: list[AuditEntryOut]
    next_before: int | None = Field(description="Pass as ?before= for older entries.")


def item_json(item: service.QueueItem) -> dict[str, Any]:
    """A comment with its context as the moderation API shows it."""
    comment, parent = item.comment, item.parent
    return {
        "id": comment.id,
        "parent_id": comment.parent_id,
        "status": comment.status.value,
        "deleted": comment.deleted_at is not None,
        "pinned": comment.pinned,
        "text": comment.text,
        "html": comment.html,
        "author_name": comment.author_name,
        "author_email": comment.author_email,
        "author_website": comment.author_website,
        "author_subject": comment.author_subject,
        "author_staff": comment.author_staff,
        "author_trust": item.reader.trust.value if item.reader and item.reader.trust else None,
        "likes": comment.likes,
        "spam_reasons": comment.spam_reasons or [],
        "created_at": comment.created_at.isoformat(),
        "edited_at": comment.edited_at.isoformat() if comment.edited_at else None,
        "article": {"key": item.article.key, "title": item.article.title},
        "parent": (
            {"id": parent.id, "author_name": parent.author_name, "text": parent.text}
            if parent
            else None
        ),
        "reports": [
            {
                "reason": report.reason.value,
                "note": report.note,
                "created_at": report.created_at.isoformat(),
            }
            for report in item.reports
        ],
        "author_history": vars(item.history),
    }


def _items_json(comments: list[Comment]) -> list[dict[str, Any]]:
    db = database.session()
    items = service.items_for(db, comments=comments)
    return [item_json(item) for item in items]


@bp.get("/queues")
def queue_sizes() -> ResponseReturnValue:
    """How many comments wait in each queue.
    ---
    get:
      summary: Sizes of the moderation queues
      security: [{bearer: []}]
      responses:
        200:
          description: The number of comments in each queue.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/QueueSizes"}
        401: {$ref: "#/components/responses/Error"}
        403: {$ref: "#/components/responses/Error"}
    """
    sizes = service.queue_sizes(database.session(), threshold=_threshold())
    return jsonify({queue.value: size for queue, size in sizes.items()})


@bp.get("/queues/<queue>")
def queue(queue: str) -> ResponseReturnValue:
    """A moderation queue, oldest first.
    ---
    get:
      summary: The comments in a moderation queue, oldest first
      description: >
        pending: waiting for approval; reported: open reports at or above
        ENGAGEMENT_REPORT_THRESHOLD; spam: held as spam. Each comment comes with its article,
        its parent for context, its open reports and its author's history.
      security: [{bearer: []}]
      parameters:
        - {name: queue, in: path, required: true,
           schema: {type: string, enum: [pending, reported, spam]}}
        - {name: after, in: query, schema: {type: integer},
           description: "The next_after of the previous page."}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 200}}
      responses:
        200:
          description: One page of the queue.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/QueueOut"}
        401: {$ref: "#/components/responses/Error"}
        403: {$ref: "#/components/responses/Error"}
        404: {$ref: "#/components/responses/Error"}
    """
    if queue not in set(service.Queue):
        raise ApiError(404, "unknown_queue", "Queues are pending, reported and spam.", "queue")
    page = service.queue(
        database.session(),
        queue=service.Queue(queue),
        threshold=_threshold(),
        after_id=parsing.optional_id(request.args, "after", column=Comment.id),
        limit=_limit(service.PAGE_SIZE),
    )
    return jsonify(
        queue=queue,
        comments=[item_json(item) for item in page.items],
        next_after=page.next_after,
    )


@openapi.schema
class SearchHitOut(ModeratedComment):
    excerpt: str = Field(
        description="HTML: the text around the matches, escaped, each match in a <mark>."
    )


@openapi.schema
class SearchOut(BaseModel):
    comments: list[SearchHitOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page.")


@bp.get("/search")
def search_comments() -> ResponseReturnValue:
    """Every comment matching a search, newest first.
    ---
    get:
      summary: Search every comment by text, article, author, status, date and spam signal
      description: >
        q matches the text with the stemming of the article's language (Spanish or English;
        accents ignored); every word must match. All given filters must hold. Results come
        newest first, each with an HTML excerpt whose matches are in <mark>.
      security: [{bearer: []}]
      parameters:
        - {name: q, in: query, schema: {type: string, maxLength: 200}}
        - {name: article, in: query, schema: {type: string}, description: "An article key."}
        - {name: author, in: query, schema: {type: string},
           description: "The author's name (any case) or email address."}
        - {name: identity, in: query, schema: {type: string},
           description: "The commenter's visitor hash, as the moderation pages show it."}
        - {name: status, in: query, style: form, explode: true,
           schema: {type: array, items: {type: string,
                    enum: [approved, pending, rejected, spam]}}}
        - {name: since, in: query, schema: {type: string, format: date}}
        - {name: until, in: query, schema: {type: string, format: date},
           description: "The last day included (UTC)."}
        - {name: signal, in: query,
           schema: {type: string, enum: [honeypot, banned, blocklist, duplicate_site,
                                          duplicate_visitor, links]}}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 100}}
        - {name: cursor, in: query, schema: {type: string}}
      responses:
        200:
          description: One page of matching comments.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/SearchOut"}
        400: {$ref: "#/components/responses/Error"}
        401: {$ref: "#/components/responses/Error"}
        403: {$ref: "#/components/responses/Error"}
    """
    query = search.parse(request.args, request.args.getlist("status"))
    page = search.search(database.session(), query=query)
    return jsonify(
        comments=[{**item_json(hit.item), "excerpt": str(hit.excerpt)} for hit in page.hits],
        next_cursor=page.next_cursor,
    )


@bp.post("/comments/<comment_id>/<action>")
def comment_action(comment_id: str, action: str) -> ResponseReturnValue:
    """One moderation action on one comment.
    ---
    post:
      summary: Approve, reject, mark spam or not, delete, restore, edit, pin, unpin, ban the author
      security: [{bearer: []}]
      parameters:
        - {name: comment_id, in: path, required: true, schema: {type: integer}}
        - {name: action, in: path, required: true,
           schema: {type: string, enum: [approve, reject, spam, not-spam, delete, restore, edit,
                                          pin, unpin, ban-author]}}
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/ActionIn"}
      responses:
        200:
          description: The comment after the action.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ModeratedComment"}
        400: {$ref: "#/components/responses/Error"}
        401: {$ref: "#/components/responses/Error"}
        403: {$ref: "#/components/responses/Error"}
        404: {$ref: "#/components/responses/Error"}
    """
    if action not in set(service.Action):
        raise ApiError(404, "unknown_action", f"No moderation action {action!r}.", "action")
    ident = parsing.row_id(comment_id, field="id", column=Comment.id)
    data = validated(ActionIn, json_body(optional=True))
    db = database.session()
    comment = service.get_comment(db, comment_id=ident)
    if comment is None:
        raise ApiError(404, "comment_not_found", f"No comment with id {ident}.", "id")
    service.act(
        db,
        actor=_actor(),
        comment=comment,
        action=service.Action(action),
        reason=data.reason,
        text=data.text,
        ban_days=data.days,
    )
    db.commit()
    return jsonify(item_json(service.item_for(db, comment=comment)))


@openapi.schema
class StaffReplyIn(BaseModel):
    """The newsroom's answer to a reader's comment."""

    model_config = ConfigDict(extra="forbid")

    text: str
    author_name: str = Field(
        min_length=1, max_length=100, description="Shown with the staff badge, e.g. 'The Editors'."
    )


@bp.post("/comments/<comment_id>/replies")
def staff_reply(comment_id: str) -> ResponseReturnValue:
    """Reply to a comment as the newsroom.
    ---
    post:
      summary: Reply to a comment as the newsroom (staff badge, visible at once)
      security: [{bearer: []}]
      parameters:
        - {name: comment_id, in: path, required: true, schema: {type: integer}}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/StaffReplyIn"}
      responses:
        201:
          description: The reply.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ModeratedComment"}
        400: {$ref: "#/components/responses/Error"}
        401: {$ref: "#/components/responses/Error"}
        403: {$ref: "#/components/responses/Error"}
        404: {$ref: "#/components/responses/Error"}
    """
    data = validated(StaffReplyIn, json_body())
    text = comment_inputs.comment_text(
        data.text, max_length=current_app.config["COMMENT_MAX_LENGTH"]
    )
    name = comment_inputs.one_line(data.author_name, "author_name", comment_inputs.NAME_MAX)
    if name is None:
        raise invalid("author_name", "author_name: give the name the reply appears under.")
    db = database.session()
    ident = parsing.row_id(comment_id, field="id", column=Comment.id)
    parent = service.get_comment(db, comment_id=ident)
    if parent is None:
        raise ApiError(404, "comment_not_found", f"No comment with id {ident}.", "id")
    reply = service.staff_reply(db, actor=_actor(), parent=parent, text=text, name=name)
    db.commit()
    return jsonify(item_json(service.item_for(db, comment=reply))), 201


@bp.post("/comments/bulk")
def bulk() -> ResponseReturnValue:
    """One action on many comments, all or nothing.
    ---
    post:
      summary: Apply one action to a selection of comments (all or nothing)
      security: [{bearer: []}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/BulkIn"}
      responses:
        200:
          description: The comments after the action.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/BulkOut"}
        400: {$ref: "#/components/responses/Error"}
        401: {$ref: "#/components/responses/Error"}
        403: {$ref: "#/components/responses/Error"}
        404: {$ref: "#/components/responses/Error"}
    """
    data = validated(BulkIn, json_body())
    db = database.session()
    done = service.act_on_many(
        db,
        actor=_actor(),
        comment_ids=data.ids,
        action=service.Action(data.action),
        reason=data.reason,
    )
    db.commit()
    return jsonify(comments=_items_json(done))


@bp.patch("/articles/<key>")
def article(key: str) -> ResponseReturnValue:
    """Override an article's moderation mode or who may comment, or close or open its thread.
    ---
    patch:
      summary: Set an article's moderation mode or who may comment; close or open its thread
      security: [{bearer: []}]
      parameters:
        - {name: key, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/ArticleModerationIn"}
      responses:
        200:
          description: The article.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Article"}
        400: {$ref: "#/components/responses/Error"}
        401: {$ref: "#/components/responses/Error"}
        403: {$ref: "#/components/responses/Error"}
        404: {$ref: "#/components/responses/Error"}
    """
    key = article_key(key)
    data = validated(ArticleModerationIn, json_body())
    db = database.session()
    found = service.articles.require(db, key=key)
    if "moderation" in data.model_fields_set:
        service.set_article_mode(
            db, actor=_actor(), article=found, mode=data.moderation, reason=data.reason
        )
    if "commenting" in data.model_fields_set:
        service.set_article_commenting(
            db, actor=_actor(), article=found, commenting=data.commenting, reason=data.reason
        )
    if data.open is not None:
        service.set_article_open(
            db, actor=_actor(), article=found, open=data.open, reason=data.reason
        )
    db.commit()
    settings = service.articles.Settings.from_config(current_app.config)
    return jsonify(service.articles.as_json(found, settings=settings))


@bp.get("/audit")
def audit_log() -> ResponseReturnValue:
    """The audit log, newest first.
    ---
    get:
      summary: The audit log of moderation actions, newest first, filterable
      security: [{bearer: []}]
      parameters:
        - {name: action, in: query, schema: {type: string}}
        - {name: actor, in: query, schema: {type: string}}
        - {name: article, in: query, schema: {type: string}, description: "An article key."}
        - {name: comment, in: query, schema: {type: integer}}
        - {name: before, in: query, schema: {type: integer},
           description: "The next_before of the previous page."}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 200}}
      responses:
        200:
          description: One page of the log.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/AuditOut"}
        400: {$ref: "#/components/responses/Error"}
        401: {$ref: "#/components/responses/Error"}
        403: {$ref: "#/components/responses/Error"}
    """
    args = request.args
    wanted = audit.AuditFilter(
        action=parsing.text_filter(
            args.get("action"), field="action", column=ModerationAction.action
        ),
        actor=parsing.text_filter(args.get("actor"), field="actor", column=ModerationAction.actor),
        article_key=article_key(args["article"]) if args.get("article") else None,
        comment_id=parsing.optional_id(args, "comment", column=Comment.id),
    )
    page = audit.entries(
        database.session(),
        wanted=wanted,
        before_id=parsing.optional_id(args, "before", column=ModerationAction.id),
        limit=_limit(audit.PAGE_SIZE),
    )
    return jsonify(
        entries=[audit.as_json(entry, key) for entry, key in page.entries],
        next_before=page.next_before,
    )


@openapi.schema
class BanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: BanKind
    value: Annotated[str, fits(Ban.value, min_length=1)]
    days: int | None = Field(default=None, ge=1, le=bans.MAX_DAYS, description="null: for good.")
    reason: str | None = Field(default=None, max_length=service.MAX_REASON)


@openapi.schema
class BanOut(BaseModel):
    id: int
    kind: BanKind
    value: str
    reason: str | None
    created_at: datetime
    created_by: str | None
    expires_at: datetime | None
    revoked_at: datetime | None
    active: bool


@openapi.schema
class BansOut(BaseModel):
    bans: list[BanOut]


@bp.get("/bans")
def ban_list() -> ResponseReturnValue:
    """The bans.
    ---
    get:
      summary: Active bans, newest first (every ban with ?all=1)
      security: [{bearer: []}]
      parameters:
        - {name: all, in: query, schema: {type: integer, enum: [0, 1]}}
      responses:
        200:
          description: The bans.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/BansOut"}
        401: {$ref: "#/components/responses/Error"}
        403: {$ref: "#/components/responses/Error"}
    """
    found = bans.list(database.session(), active_only=request.args.get("all") != "1")
    return jsonify(bans=[bans.as_json(ban) for ban in found])


@bp.post("/bans")
def ban_create() -> ResponseReturnValue:
    """Ban an email, visitor, network or name.
    ---
    post:
      summary: Ban an email, a visitor hash, an IP network or a name
      security: [{bearer: []}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/BanIn"}
      responses:
        201:
          description: The ban.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/BanOut"}
        400: {$ref: "#/components/responses/Error"}
        401: {$ref: "#/components/responses/Error"}
        403: {$ref: "#/components/responses/Error"}
    """
    data = validated(BanIn, json_body())
    db = database.session()
    made = service.ban(
        db, actor=_actor(), kind=data.kind, value=data.value, days=data.days, reason=data.reason
    )
    db.commit()
    return jsonify(bans.as_json(made)), 201


@bp.delete("/bans/<ban_id>")
def ban_lift(ban_id: str) -> ResponseReturnValue:
    """Lift a ban.
    ---
    delete:
      summary: Lift a ban now
      security: [{bearer: []}]
      parameters:
        - {name: ban_id, in: path, required: true, schema: {type: integer}}
      responses:
        200:
          description: The ban, lifted.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/BanOut"}
        401: {$ref: "#/components/responses/Error"}
        403: {$ref: "#/components/responses/Error"}
        404: {$ref: "#/components/responses/Error"}
    """
    ident = parsing.row_id(ban_id, field="id", column=Ban.id)
    db = database.session()
    lifted = service.lift_ban(db, actor=_actor(), ban_id=ident)
    db.commit()
    return jsonify(bans.as_json(lifted))


# --- a commenter's data (data-protection requests) -------------------------------------------
# The address travels in the body, never in the URL: URLs end up in access logs.


@openapi.schema
class CommenterIn(BaseModel):
    """The commenter, by email address or by SSO subject: exactly one of the two."""

    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, fits(Comment.author_email, min_length=1)] | None = Field(
        default=None, description="Matched case-insensitively."
    )
    subject: Annotated[str, fits(Reader.subject, min_length=1)] | None = Field(
        default=None,
        description="A signed-in reader's id at the magazine (the sign-in token's `sub`).",
    )


@openapi.schema
class CommenterComment(BaseModel):
    id: int
    article: str
    article_title: str
    article_url: str | None
    parent_id: int | None
    status: str
    deleted: bool
    text: str
    html: str
    author_name: str | None
    author_email: str | None
    author_website: str | None
    likes: int
    pinned: bool
    created_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None


@openapi.schema
class CommenterOut(BaseModel):
    format: Literal["engagement-commenter"]
    version: int
    exported_at: datetime
    email: str | None
    subject: str | None
    reader: dict[str, Any] | None = Field(
        description="The signed-in reader's record (name, email, staff, trust), by subject."
    )
    comments: list[CommenterComment]
    bans: list[BanOut]


@openapi.schema
class ErasureOut(BaseModel):
    comments: int = Field(description="How many comments were deleted and wiped.")
    bans_kept: int = Field(description="Active bans of the address, which erasing keeps.")


def _commenter() -> tuple[str | None, str | None]:
    """(normalized email, subject) from the body, exactly one given; or a 400."""
    data = validated(CommenterIn, json_body())
    if (data.email is None) == (data.subject is None):
        raise invalid("email", "Name the commenter by email or by subject (one of the two).")
    if data.subject is not None:
        return None, data.subject
    try:
        return commenters.normalized(data.email or ""), None
    except commenters.NotAnEmail:
        raise invalid("email", "email: not an email address.") from None


@bp.post("/commenters/export")
def commenter_export() -> ResponseReturnValue:
    """Everything held about a commenter.
    ---
    post:
      summary: Export a commenter's comments and bans, by email address or SSO subject
      security: [{bearer: []}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/CommenterIn"}
      responses:
        200:
          description: The commenter's data.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/CommenterOut"}
        400: {$ref: "#/components/responses/Error"}
        401: {$ref: "#/components/responses/Error"}
        403: {$ref: "#/components/responses/Error"}
    """
    email, subject = _commenter()
    return jsonify(commenters.export(database.session(), email=email, subject=subject))


@bp.post("/commenters/erase")
def commenter_erase() -> ResponseReturnValue:
    """Erase a commenter's personal data.
    ---
    post:
      summary: Delete a commenter's comments and wipe their personal data, by email or subject
      description: >
        Comments others answered stay as placeholders with the replies in place; the comment
        counters follow. Bans of the address are kept. Audited without the address.
      security: [{bearer: []}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/CommenterIn"}
      responses:
        200:
          description: What was erased.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ErasureOut"}
        400: {$ref: "#/components/responses/Error"}
        401: {$ref: "#/components/responses/Error"}
        403: {$ref: "#/components/responses/Error"}
    """
    db = database.session()
    email, subject = _commenter()
    erased = commenters.erase(db, actor=_actor(), email=email, subject=subject)
    db.commit()
    return jsonify(comments=erased.comments, bans_kept=erased.bans_kept)


# --- signed-in readers: history and trust ------------------------------------------------------


@openapi.schema
class ReaderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str = Field(
        min_length=1, max_length=200, description="The magazine's reader id (the token's `sub`)."
    )


@openapi.schema
class ReaderTrustIn(ReaderIn):
    trust: Trust | None = Field(description="trusted, untrusted, or null: back to the rules.")
    reason: str | None = Field(default=None, max_length=1000)


@openapi.schema
class ReaderRecordOut(BaseModel):
    subject: str
    name: str | None
    email: str | None
    staff: bool
    trust: Trust | None
    trust_set_by: str | None
    trust_set_at: datetime | None
    approved: int = Field(description="Approved comments.")
    recent_rejections: int = Field(
        description="Comments rejected or marked spam in the last ENGAGEMENT_TRUST_CLEAN_DAYS."
    )
    created_at: datetime
    last_seen_at: datetime


@openapi.schema
class ReaderHistoryOut(BaseModel):
    reader: ReaderRecordOut
    comments: list[ModeratedComment]


def _reader_json(history: service.ReaderHistory) -> dict[str, Any]:
    reader = history.reader
    return {
        "subject": reader.subject,
        "name": reader.name,
        "email": reader.email,
        "staff": reader.staff,
        "trust": reader.trust.value if reader.trust else None,
        "trust_set_by": reader.trust_set_by,
        "trust_set_at": reader.trust_set_at.isoformat() if reader.trust_set_at else None,
        "approved": history.standing.approved,
        "recent_rejections": history.standing.recent_rejections,
        "created_at": reader.created_at.isoformat(),
        "last_seen_at": reader.last_seen_at.isoformat(),
    }


def _history_json(subject: str) -> dict[str, Any]:
    history = service.reader_history(database.session(), subject=subject)
    return {
        "reader": _reader_json(history),
        "comments": [item_json(item) for item in history.items],
    }


@bp.post("/readers/history")
def reader_history() -> ResponseReturnValue:
    """A signed-in reader's record and latest comments.
    ---
    post:
      summary: A signed-in reader's trust, record and latest comments, by subject
      description: The subject is sent in the body, never in a URL that logs keep.
      security: [{bearer: []}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/ReaderIn"}
      responses:
        200:
          description: The reader and their latest comments, newest first.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ReaderHistoryOut"}
        400: {$ref: "#/components/responses/Error"}
        401: {$ref: "#/components/responses/Error"}
        403: {$ref: "#/components/responses/Error"}
        404: {$ref: "#/components/responses/Error"}
    """
    data = validated(ReaderIn, json_body())
    return jsonify(_history_json(data.subject))


@bp.post("/readers/trust")
def reader_trust() -> ResponseReturnValue:
    """Mark a signed-in reader trusted or untrusted.
    ---
    post:
      summary: Mark a signed-in reader trusted (approved at once) or untrusted (always held)
      security: [{bearer: []}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/ReaderTrustIn"}
      responses:
        200:
          description: The reader and their latest comments.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ReaderHistoryOut"}
        400: {$ref: "#/components/responses/Error"}
        401: {$ref: "#/components/responses/Error"}
        403: {$ref: "#/components/responses/Error"}
        404: {$ref: "#/components/responses/Error"}
    """
    data = validated(ReaderTrustIn, json_body())
    db = database.session()
    reader = readers.require(db, subject=data.subject)
    service.set_reader_trust(
        db, actor=_actor(), reader=reader, trust=data.trust, reason=data.reason
    )
    db.commit()
    return jsonify(_history_json(data.subject))
