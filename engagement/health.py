"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from engagement import db as database
from engagement import ratelimit

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@ratelimit.exempt
def healthz() -> ResponseReturnValue:
    """The process is alive.
    ---
    get:
      summary: Liveness
      responses:
        200: {description: "Alive: {\\"status\\": \\"ok\\"}"}
    """
    return jsonify(status="ok")


@bp.get("/readyz")
@ratelimit.exempt
def readyz() -> ResponseReturnValue:
    """The process can serve: its database answers.
    ---
    get:
      summary: Readiness (the database answers)
      responses:
        200: {description: "Ready."}
        503: {$ref: "#/components/responses/Error"}
    """
    try:
        database.ping()
    except SQLAlchemyError as exc:
        log.warning("readiness check failed: %s", exc.__class__.__name__)
        body = {"code": "database_unavailable", "message": "The database does not answer."}
        return jsonify(status="unavailable", error=body), 503
    return jsonify(status="ready")
