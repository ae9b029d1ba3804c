"""Cross-origin access to the API: only ``ENGAGEMENT_ALLOWED_ORIGINS`` may read it from a browser.

One place for it: a ``before_request`` answers preflights (before any rate limit counts them)
and an ``after_request`` adds the headers to every API response, error responses included, so
the widget can read a 429's ``Retry-After`` or a 400's field.
"""

from __future__ import annotations

from flask import Flask, Response, request

from engagement.origins import is_allowed

CORS_PREFIXES = ("/api/",)
ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE"
ALLOWED_HEADERS = "Content-Type, X-Edit-Token, Authorization"
# What the widget reads from responses besides the CORS-safelisted headers.
EXPOSED_HEADERS = ", ".join(
    [
        "ETag",
        "Retry-After",
        "RateLimit-Limit",
        "RateLimit-Remaining",
        "RateLimit-Reset",
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining",
        "X-RateLimit-Reset",
    ]
)
PREFLIGHT_MAX_AGE = "600"


def is_preflight() -> bool:
    """Whether the current request is a browser's CORS preflight."""
    return (
        request.method == "OPTIONS"
        and "Origin" in request.headers
        and "Access-Control-Request-Method" in request.headers
    )


def _allowed_origin() -> str | None:
    origin = request.environ.get("HTTP_ORIGIN")
    if origin is None or origin == "null":
        return None
    origin = origin.rstrip("/")
    return origin if is_allowed(origin) else None


def answer_preflight() -> Response | None:
    """A 204 for preflights under the API; allowed origins get the grant, others nothing."""
    if not request.path.startswith(CORS_PREFIXES) or not is_preflight():
        return None
    response = Response(status=204)
    origin = _allowed_origin()
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return response


def add_headers(response: Response) -> Response:
    """Grant an allowed origin read access to this API response (errors included)."""
    if not request.path.startswith(CORS_PREFIXES):
        return response
    headers = response.headers
    # The answer depends on the Origin header: caches must keep one copy per origin.
    if "Vary" in headers:
        response.vary.add("Origin")
    else:  # the usual case, without parsing and rewriting a header set
        headers.add("Vary", "Origin")
    origin = _allowed_origin()
    if origin is not None:
        headers.set("Access-Control-Allow-Origin", origin)
        headers.set("Access-Control-Expose-Headers", EXPOSED_HEADERS)
    return response


def init_app(app: Flask) -> None:
    """Answer preflights first and add CORS headers to every API response."""
    app.before_request(answer_preflight)
    app.after_request(add_headers)
