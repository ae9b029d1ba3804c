"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as WaitExpired
from dataclasses import dataclass
from typing import Literal

from flask import Blueprint, Flask, current_app, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from engagement import db as database
from engagement import openapi, ratelimit

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)

# /readyz answers within 2 s whatever the database does: it waits this long for the check.
READY_WAIT_SECONDS = 1.5
EXTENSION = "engagement.readiness"


class AliveOut(BaseModel):
    """Alive."""

    status: Literal["ok"]


class ReadyOut(BaseModel):
    """Ready."""

    status: Literal["ready"]


class UnreadyReason(BaseModel):
    """Why the process is not ready, in the one error shape."""

    code: Literal["database_unavailable", "schema_not_current"]
    message: str = Field(description="For operators: what to do about it.")
    field: None


class NotReadyOut(BaseModel):
    """Not ready: no traffic for now (`Retry-After: 5`)."""

    status: Literal["unavailable"]
    error: UnreadyReason


@dataclass(frozen=True)
class Unready:
    """Why the process should get no traffic: a stable code and a message for operators."""

    code: str
    message: str


def check(engine: Engine) -> Unready | None:
    """Whether the database answers and its schema is the one this version needs."""
    try:
        problem = database.schema_problem(engine)
    except SQLAlchemyError as exc:
        log.warning("readiness check failed: %s", getattr(exc, "orig", None) or exc)
        return Unready("database_unavailable", "The database does not answer.")
    if problem is not None:
        sentence = problem[:1].upper() + problem[1:]
        return Unready("schema_not_current", f"{sentence}: run engagement db upgrade.")
    return None


class Readiness:
    """Runs ``check`` in a thread of its own, one at a time, and waits a bounded time for it.

    A check stuck on a hung database ends by itself (the statement and connect timeouts); until
    then, callers wait on the same check instead of starting more.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._running: Future[Unready | None] | None = None

    def _start(self) -> Future[Unready | None]:
        with self._lock:
            if self._running is None or self._running.done():
                future: Future[Unready | None] = Future()
                thread = threading.Thread(target=self._run, args=(future,), daemon=True)
                thread.start()
                self._running = future
            return self._running

    def _run(self, future: Future[Unready | None]) -> None:
        try:
            future.set_result(check(self._engine))
        except BaseException as exc:  # handed to the waiting request, which logs it
            future.set_exception(exc)

    def probe(self, wait: float = READY_WAIT_SECONDS) -> Unready | None:
        """Why the process is not ready, or None; never waits longer than ``wait`` seconds."""
        try:
            return self._start().result(timeout=wait)
        except WaitExpired:
            return Unready(
                "database_unavailable", f"The database did not answer within {wait:g} s."
            )


def init_app(app: Flask) -> None:
    """Give the app its readiness check."""
    app.extensions[EXTENSION] = Readiness(database.engine_of(app))


@bp.get("/healthz")
@ratelimit.exempt
@openapi.operation({200: AliveOut}, database=False)
def healthz() -> ResponseReturnValue:
    """Liveness."""
    return jsonify(status="ok")


@bp.get("/readyz")
@ratelimit.exempt
@openapi.operation({200: ReadyOut, 503: NotReadyOut})
def readyz() -> ResponseReturnValue:
    """Readiness (the database answers, the schema is at this version's revision).

    Answers within 2 seconds whatever the database does: a check that takes longer is a 503
    `database_unavailable`.
    """
    unready = current_app.extensions[EXTENSION].probe()
    if unready is not None:
        body = {"code": unready.code, "message": unready.message, "field": None}
        response = jsonify(status="unavailable", error=body)
        response.headers["Retry-After"] = "5"
        return response, 503
    return jsonify(status="ready")
