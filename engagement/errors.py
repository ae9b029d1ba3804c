"""One error shape: ``{"error": {"code", "message", "field"}}`` under the API, HTML elsewhere."""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, g, jsonify, request
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from engagement import refusals

log = logging.getLogger(__name__)

API_PREFIXES = ("/api/", "/healthz", "/readyz", "/metrics", "/embed.js")

# Stable machine codes for the HTTP errors Werkzeug raises on its own.
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}

# No inline style: the moderation pages' Content-Security-Policy allows only their stylesheet.
HTML_ERROR = """<!doctype html><html lang="en"><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ status }} {{ title }}</title>
{% if stylesheet %}<link rel="stylesheet" href="{{ stylesheet }}">{% endif %}
<body><main class="error-page"><h1>{{ title }}</h1><p>{{ message }}</p></main></body></html>"""
PAGES_PREFIX = "/moderation/"
PAGES_STYLESHEET = "/moderation/static/moderation.css"


class ApiError(refusals.Refusal):
    """A refusal that only HTTP has (415, 429...): status, stable code, message, field."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(code, message, field)
        self.status = status


# The one table from a service's refusal to the HTTP status that carries it.
REFUSAL_STATUS: dict[type[refusals.Refusal], int] = {
    refusals.Invalid: 400,
    refusals.SignInRequired: 401,
    refusals.NotAllowed: 403,
    refusals.NotFound: 404,
    refusals.Conflict: 409,
    refusals.TooLarge: 413,
    refusals.Unavailable: 503,
}


def status_of(refusal: refusals.Refusal) -> int:
    """The HTTP status that carries ``refusal``."""
    if isinstance(refusal, ApiError):
        return refusal.status
    for kind in type(refusal).__mro__:
        if kind in REFUSAL_STATUS:
            return REFUSAL_STATUS[kind]
    raise LookupError(f"no status for {type(refusal).__name__}")


def error_response(status: int, code: str, message: str, field: str | None = None) -> Response:
    """The JSON body every API error carries."""
    body: dict[str, str | None] = {"code": code, "message": message, "field": field}
    response = jsonify(error=body)
    response.status_code = status
    return response


def html_error(status: int, title: str, message: str) -> Response:
    """An error page for a browser, drawn from nothing but its arguments.

    Rendered without Flask's context processors: the moderation pages' navigation counts queues,
    and after a database error that query would fail again inside the error page.
    """
    stylesheet = PAGES_STYLESHEET if request.path.startswith(PAGES_PREFIX) else None
    page = current_app.jinja_env.from_string(HTML_ERROR).render(
        status=status, title=title, message=message, stylesheet=stylesheet
    )
    return Response(page, status=status, mimetype="text/html")


def _end_transaction() -> None:
    """Roll back the request's session after a failure: on PostgreSQL a failed statement aborts
    the transaction, and anything after it (an audit, a page's navigation) would fail too."""
    db = g.get("db_session")
    if db is None:
        return
    try:
        db.rollback()
    except SQLAlchemyError:  # the connection is gone; the session closes at teardown
        log.warning("rollback after a failed request failed", exc_info=True)


def wants_json() -> bool:
    """Whether this request is answered in the API's JSON shape."""
    return request.path.startswith(API_PREFIXES) or request.accept_mimetypes.best == (
        "application/json"
    )


def refused(refusal: refusals.Refusal) -> Response:
    """The answer that carries ``refusal``: the JSON shape under the API, a page elsewhere."""
    status = status_of(refusal)
    if wants_json():
        return error_response(status, refusal.code, refusal.message, refusal.field)
    return html_error(status, HTTP_STATUS_CODES.get(status, "Error"), refusal.message)


def init_app(app: Flask) -> None:
    """Register the handlers that turn every failure into the one error shape."""

    app.register_error_handler(refusals.Refusal, refused)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        code = HTTP_CODES.get(status, "http_error")
        message = exc.description or exc.name
        if wants_json():
            response = error_response(status, code, message)
        else:
            response = html_error(status, exc.name, message)
        # Keep headers the exception carries (Allow on 405, Retry-After on 429...).
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeout)
    def _database_down(exc: SQLAlchemyError) -> Response:
        cause = getattr(exc, "orig", None) or exc
        log.error("database unavailable on %s %s: %s", request.method, request.path, cause)
        _end_transaction()
        message = "The database does not answer; try again shortly."
        if wants_json():
            response = error_response(503, "database_unavailable", message)
        else:
            response = html_error(503, "Unavailable", message)
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        _end_transaction()
        if wants_json():
            return error_response(500, "internal_error", "The server failed; it has been logged.")
        return html_error(500, "Server error", "It has been logged.")
