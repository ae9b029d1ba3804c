"""Signed-in readers through the API: their record and latest comments, and their trust."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field

from engagement import db as database
from engagement import openapi
from engagement.http import json_body, validated
from engagement.identity import readers
from engagement.models import Trust
from engagement.moderation import reader_trust as trust_service
from engagement.moderation.api.blueprint import SCOPE, bp
from engagement.moderation.api.moderated import ModeratedComment, item_json
from engagement.moderation.audit import MAX_REASON
from engagement.moderation.requests import actor, trust_clean_days


class ReaderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str = Field(
        min_length=1,
        max_length=readers.SUBJECT_MAX,
        description="The magazine's reader id (the token's `sub`).",
    )


class ReaderTrustIn(ReaderIn):
    trust: Trust | None = Field(description="trusted, untrusted, or null: back to the rules.")
    reason: str | None = Field(default=None, max_length=MAX_REASON)


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


class ReaderHistoryOut(BaseModel):
    """The reader and their latest comments, newest first."""

    reader: ReaderRecordOut
    comments: list[ModeratedComment]


def _reader_json(history: trust_service.ReaderHistory) -> dict[str, Any]:
    reader = history.reader
    return readers.as_json(reader) | {
        "trust_set_by": reader.trust_set_by,
        "trust_set_at": reader.trust_set_at.isoformat() if reader.trust_set_at else None,
        "approved": history.standing.approved,
        "recent_rejections": history.standing.recent_rejections,
    }


def _history_json(subject: str) -> dict[str, Any]:
    """The reader's record and latest comments (``ReaderHistoryOut``)."""
    history = trust_service.reader_history(
        database.session(), subject=subject, clean_days=trust_clean_days()
    )
    return {
        "reader": _reader_json(history),
        "comments": [item_json(item) for item in history.items],
    }


@bp.post("/readers/history")
@openapi.operation({200: ReaderHistoryOut}, body=ReaderIn, scope=SCOPE, refusals=(404,))
def reader_history() -> ResponseReturnValue:
    """A signed-in reader's trust, record and latest comments, by subject.

    The subject is sent in the body, never in a URL that logs keep.
    """
    data = validated(ReaderIn, json_body())
    return jsonify(_history_json(data.subject))


@bp.post("/readers/trust")
@openapi.operation(
    {200: openapi.Answer(ReaderHistoryOut, "The reader and their latest comments.")},
    body=ReaderTrustIn,
    scope=SCOPE,
    refusals=(404,),
)
def reader_trust() -> ResponseReturnValue:
    """Mark a signed-in reader trusted (approved at once) or untrusted (always held)."""
    data = validated(ReaderTrustIn, json_body())
    db = database.session()
    reader = readers.require(db, subject=data.subject)
    trust_service.set_reader_trust(
        db, actor=actor(), reader=reader, trust=data.trust, reason=data.reason
    )
    db.commit()
    return jsonify(_history_json(data.subject))
