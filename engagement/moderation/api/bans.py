"""Bans through the API: listing, making and lifting them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from flask import jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field

from engagement import db as database
from engagement import openapi, parsing
from engagement.abuse import bans
from engagement.http import json_body, validated
from engagement.models import Ban, BanKind
from engagement.moderation import banning
from engagement.moderation.api.blueprint import SCOPE, bp, optional
from engagement.moderation.audit import MAX_REASON
from engagement.moderation.requests import actor
from engagement.parsing import fits
from engagement.refusals import invalid

openapi.path_parameter(
    "ban_id",
    {"type": "integer", "minimum": 1, "maximum": parsing.column_max(Ban.id)},
    "The ban's id.",
)


class BanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: BanKind
    value: Annotated[str, fits(Ban.value, min_length=1)]
    days: bans.Days | None = Field(default=None, description="null: for good.")
    reason: str | None = Field(default=None, max_length=MAX_REASON)


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


class BansOut(BaseModel):
    """The bans."""

    bans: list[BanOut]


class BansQuery(BaseModel):
    all: Literal[0, 1] = optional("1: every ban, lifted and expired ones included.")


@bp.get("/bans")
@openapi.operation({200: BansOut}, query=BansQuery, scope=SCOPE)
def ban_list() -> ResponseReturnValue:
    """Active bans, newest first (every ban with ?all=1)."""
    every = request.args.get("all", "0")
    if every not in {"0", "1"}:
        raise invalid("all", "all: 0 or 1.")
    found = bans.list(database.session(), active_only=every == "0")
    return jsonify(bans=[bans.as_json(ban) for ban in found])


@bp.post("/bans")
@openapi.operation({201: openapi.Answer(BanOut, "The ban.")}, body=BanIn, scope=SCOPE)
def ban_create() -> ResponseReturnValue:
    """Ban an email, a visitor hash, an IP network or a name.

    Banning what is already banned replaces that ban's reason, expiry and author.
    """
    data = validated(BanIn, json_body())
    db = database.session()
    made = banning.ban(
        db, actor=actor(), kind=data.kind, value=data.value, days=data.days, reason=data.reason
    )
    db.commit()
    return jsonify(bans.as_json(made)), 201


@bp.delete("/bans/<ban_id>")
@openapi.operation({200: openapi.Answer(BanOut, "The ban, lifted.")}, scope=SCOPE)
def ban_lift(ban_id: str) -> ResponseReturnValue:
    """Lift a ban now."""
    ident = parsing.row_id(ban_id, field="id", column=Ban.id)
    db = database.session()
    lifted = banning.lift_ban(db, actor=actor(), ban_id=ident)
    db.commit()
    return jsonify(bans.as_json(lifted))
