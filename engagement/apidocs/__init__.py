"""The API page: Swagger UI over /api/openapi.json, at /api/docs/.

Swagger UI's files come from the pinned ``flask-swagger-ui`` package (no CDN); the page and its
start-up script are ours, so the page runs under a Content-Security-Policy without inline
scripts.
"""

from __future__ import annotations

from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, Response, render_template, send_from_directory, url_for
from flask.typing import ResponseReturnValue

bp = Blueprint(
    "apidocs",
    __name__,
    url_prefix="/api/docs",
    template_folder="templates",
    static_folder="static",
)

SWAGGER_UI = Path(flask_swagger_ui.__file__).parent / "dist"
# Swagger UI sets element styles from script, and draws its icons as data: URLs.
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


def _with_policy(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = POLICY
    return response


@bp.get("/")
def page() -> ResponseReturnValue:
    """The API's reference, readable and tryable in a browser."""
    html = render_template("apidocs/page.html", document=url_for("openapi.document"))
    return _with_policy(Response(html, mimetype="text/html"))


@bp.get("/swagger-ui/<path:name>")
def asset(name: str) -> ResponseReturnValue:
    """Swagger UI's own files, as the pinned package ships them."""
    response = send_from_directory(SWAGGER_UI, name, max_age=3600)
    return _with_policy(response)
