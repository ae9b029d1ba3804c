"""One error shape: ``{"error": {"code", "message", "field"}}`` under the API, HTML elsewhere."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template_string, request
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

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

HTML_ERROR = """<!doctype html><html lang="en"><meta charset="utf-8">
<title>{{ status }} {{ title }}</title>
<body style="font-family:system-ui;max-width:40rem;margin:3rem auto">
<h1>{{ title }}</h1><p>{{ message }}</p></body></html>"""


class ApiError(Exception):
    """A refusal the client can act on: HTTP status, stable code, message, optional field."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


def invalid(field: str, message: str, code: str = "invalid") -> ApiError:
    """A 400 naming the offending field."""
    return ApiError(400, code, message, field)


def error_response(status: int, code: str, message: str, field: str | None = None) -> Response:
    """The JSON body every API error carries."""
    body: dict[str, str | None] = {"code": code, "message": message, "field": field}
    response = jsonify(error=body)
    response.status_code = status
    return response


def wants_json() -> bool:
    """Whether this request is answered in the API's JSON shape."""
    return request.path.startswith(API_PREFIXES) or request.accept_mimetypes.best == (
        "application/json"
    )


def init_app(app: Flask) -> None:
    """Register the handlers that turn every failure into the one error shape."""

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        return error_response(exc.status, exc.code, exc.message, exc.field)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response | tuple[str, int]:
        status = exc.code or 500
        code = HTTP_CODES.get(status, "http_error")
        message = exc.description or exc.name
        if wants_json():
            response = error_response(status, code, message)
        else:
            page = render_template_string(
                HTML_ERROR, status=status, title=exc.name, message=message
            )
            response = Response(page, status=status, mimetype="text/html")
        # Keep headers the exception carries (Allow on 405, Retry-After on 429...).
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeout)
    def _database_down(exc: SQLAlchemyError) -> Response | tuple[str, int]:
        cause = getattr(exc, "orig", None) or exc
        log.error("database unavailable on %s %s: %s", request.method, request.path, cause)
        message = "The database does not answer; try again shortly."
        if wants_json():
            response = error_response(503, "database_unavailable", message)
            response.headers["Retry-After"] = "5"
            return response
        page = render_template_string(HTML_ERROR, status=503, title="Unavailable", message=message)
        return page, 503

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response | tuple[str, int]:
        log.exception("unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return error_response(500, "internal_error", "The server failed; it has been logged.")
        page = render_template_string(
            HTML_ERROR, status=500, title="Server error", message="It has been logged."
        )
        return page, 500
