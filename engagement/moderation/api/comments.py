"""Actions on comments through the API: one action on one comment, one on many, and the
newsroom's replies."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from flask import jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field

from engagement import db as database
from engagement import openapi, parsing
from engagement.abuse import bans
from engagement.comments import inputs as comment_inputs
from engagement.comments import service as comments
from engagement.http import json_body, validated
from engagement.models import Comment
from engagement.moderation import actions, requests
from engagement.moderation.api.blueprint import SCOPE, bp
from engagement.moderation.api.moderated import ModeratedComment, comment_json, comments_json
from engagement.moderation.audit import MAX_REASON
from engagement.moderation.requests import actor, comment_max_length
from engagement.parsing import fits, within
from engagement.refusals import invalid

openapi.path_parameter(
    "action",
    {"type": "string", "enum": [action.value for action in actions.Action]},
    "The moderation action.",
)
TEXT = "At most ENGAGEMENT_COMMENT_MAX_LENGTH characters (10,000 unless set)."


class ActionIn(BaseModel):
    """What an action needs besides its name: a reason, the new text (edit), a ban's length."""

    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(
        default=None, max_length=MAX_REASON, description="Why; required for edit."
    )
    text: str | None = Field(default=None, description=f"Required for edit. {TEXT}")
    days: bans.Days | None = Field(
        default=None, description="ban-author: how long (null: for good)."
    )

    def inputs(self) -> dict[str, Any]:
        """The action verb's arguments this body gives."""
        return {"reason": self.reason, "text": self.text, "ban_days": self.days}


class BulkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["approve", "reject", "spam", "not-spam", "delete", "restore"]
    ids: list[Annotated[int, within(Comment.id)]] = Field(min_length=1, max_length=actions.MAX_BULK)
    reason: str | None = Field(default=None, max_length=MAX_REASON)


class BulkOut(BaseModel):
    """The comments after the action."""

    comments: list[ModeratedComment]


class StaffReplyIn(BaseModel):
    """The newsroom's answer to a reader's comment."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        description=TEXT,
        json_schema_extra=comment_inputs.documented_pattern(comment_inputs.TEXT_PATTERN),
    )
    author_name: Annotated[str, fits(Comment.author_name, min_length=1)] = Field(
        description="Shown with the staff badge, e.g. 'The Editors'.",
        json_schema_extra=comment_inputs.documented_pattern(comment_inputs.NAME_PATTERN),
    )


@bp.post("/comments/<comment_id>/<action>")
@openapi.operation(
    {200: openapi.Answer(ModeratedComment, "The comment after the action.")},
    body=ActionIn,
    body_required=False,
    scope=SCOPE,
    refusals=(409,),
)
def comment_action(comment_id: str, action: str) -> ResponseReturnValue:
    """Approve, reject, mark spam or not, delete, restore, edit, pin, unpin, ban the author.

    409 when the comment's state forbids the action: not_spam (it is not held as spam),
    comment_deleted (restore it first), comment_erased, nothing_to_ban.
    """
    chosen = actions.action_named(action)
    ident = parsing.row_id(comment_id, field="id", column=Comment.id)
    data = validated(ActionIn, json_body(optional=True))
    db = database.session()
    comment = comments.require(db, comment_id=ident)
    max_length = comment_max_length()
    actions.act(
        db, actor=actor(), comment=comment, action=chosen, max_length=max_length, **data.inputs()
    )
    db.commit()
    return jsonify(comment_json(db, comment))


@bp.post("/comments/<comment_id>/replies")
@openapi.operation(
    {201: openapi.Answer(ModeratedComment, "The reply.")}, body=StaffReplyIn, scope=SCOPE
)
def staff_reply(comment_id: str) -> ResponseReturnValue:
    """Reply to a comment as the newsroom (staff badge, visible at once)."""
    data = validated(StaffReplyIn, json_body())
    text = comment_inputs.comment_text(data.text, max_length=comment_max_length())
    name = comment_inputs.one_line(data.author_name, "author_name", comment_inputs.NAME_MAX)
    if name is None:
        raise invalid("author_name", "author_name: give the name the reply appears under.")
    db = database.session()
    ident = parsing.row_id(comment_id, field="id", column=Comment.id)
    parent = comments.require(db, comment_id=ident)
    reply = requests.staff_reply(db, parent=parent, text=text, name=name)
    db.commit()
    return jsonify(comment_json(db, reply)), 201


@bp.post("/comments/bulk")
@openapi.operation({200: BulkOut}, body=BulkIn, scope=SCOPE, refusals=(404, 409))
def bulk() -> ResponseReturnValue:
    """Apply one action to a selection of comments (all or nothing).

    404 comment_not_found when one of the ids has no comment; 409 when one comment's state
    forbids the action, as for a single comment.
    """
    data = validated(BulkIn, json_body())
    db = database.session()
    done = actions.act_on_many(
        db,
        actor=actor(),
        comment_ids=data.ids,
        action=actions.Action(data.action),
        reason=data.reason,
    )
    db.commit()
    return jsonify(comments=comments_json(db, done))
