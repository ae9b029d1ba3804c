"""Routes: the widget exchanges the magazine's sign-in token for a reader session."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from engagement import db as database
from engagement import openapi
from engagement.http import json_body, validated
from engagement.identity import readers, sessions, signin, web
from engagement.models import utcnow
from engagement.refusals import SignInRequired

bp = Blueprint("identity", __name__, url_prefix="/api/v1/sso")

TOKEN_MAX = 8192


@openapi.schema
class SignInIn(BaseModel):
    """The sign-in token the magazine's backend signed for its logged-in reader."""

    model_config = ConfigDict(extra="ignore")

    token: StrictStr = Field(min_length=1, max_length=TOKEN_MAX, description="A JWT.")


@openapi.schema
class ReaderOut(BaseModel):
    """The signed-in reader, as the widget shows them."""

    id: str = Field(description="Public id; equals `author_id` on the reader's comments.")
    name: str | None
    avatar: str | None = Field(description="An https picture URL, or null.")
    staff: bool
    subscriber: bool


@openapi.schema
class ReaderSessionOut(BaseModel):
    """A reader session, and the reader it is for."""

    session: str = Field(
        description="Send as `Authorization: Bearer <session>` when posting, editing or "
        "deleting as this reader."
    )
    expires_at: datetime = Field(description="When the session stops working.")
    reader: ReaderOut


@bp.post("/session")
@openapi.operation(
    {201: openapi.Answer(ReaderSessionOut, "Signed in.")}, body=SignInIn, refusals=(401, 404)
)
def open_session() -> ResponseReturnValue:
    """Sign a reader in with the magazine's token (SSO).

    The token is a JWT the magazine's backend signed: HS256 with ENGAGEMENT_SSO_SECRET, or
    RS256/ES256 with a key of ENGAGEMENT_SSO_JWKS_URL. It must carry `sub`, `iss`, `aud`,
    `exp`, `iat` and `jti`, and may carry `name`, `email`, `avatar` and `roles` (`staff`,
    `subscriber`). Each token is accepted once. 401 with the reason otherwise:
    `token_expired`, `token_bad_signature`, `token_wrong_audience`, `token_wrong_issuer`,
    `token_replayed`, `token_algorithm_refused` (`alg: none` among them), `token_unknown_key`,
    `token_not_yet_valid`, `token_too_long_lived`, `token_missing_claim`,
    `token_invalid_claim`, `token_malformed`, `token_invalid`. 404 `sign_in_not_configured`
    when the site accepts no tokens; 503 `sign_in_unavailable` when the magazine's keys
    (ENGAGEMENT_SSO_JWKS_URL) cannot be read.
    """
    data = validated(SignInIn, json_body())
    db = database.session()
    sign_in = signin.exchange(db, token=data.token, settings=web.sign_in_settings())
    readers.record_sign_in(db, sign_in=sign_in)
    db.commit()
    response = jsonify(
        session=sessions.issue(sign_in, secret_key=web.secret_key()),
        expires_at=(utcnow() + web.session_lifetime()).isoformat(),
        reader=sessions.describe(sessions.from_sign_in(sign_in)),
    )
    response.status_code = 201
    response.cache_control.no_store = True
    return response


@bp.get("/session")
@openapi.operation(
    {200: openapi.Answer(ReaderOut, "The signed-in reader.")},
    headers={"Authorization": "`Bearer <reader session>`."},
    refusals=(401,),
)
def whoami() -> ResponseReturnValue:
    """Who the reader session belongs to."""
    session = web.current()
    if session is None:
        raise SignInRequired("session_missing", "Send a reader session.", "Authorization")
    response = jsonify(sessions.describe(session))
    response.cache_control.no_store = True
    return response
